"""54-FZ fiscal registers: Shtrih-M over serial/TCP, and a dummy journal.

    from drivers.fiscal import open_fiscal
    reg = open_fiscal("shtrih+tcp://10.0.0.7:7778?password=30")
    result = reg.fiscalize(receipt)   # -> FiscalResult(document_number, fiscal_sign, ...)

The emulator (``drivers.fiscal.emulator``) is for tests and demos and is not imported here.
"""

from .errors import (
                     Category,
                     ConfigError,
                     DeviceError,
                     ErrorInfo,
                     FiscalError,
                     LinkDown,
                     LinkError,
                     LinkLost,
                     NotExecuted,
                     OutcomeUnknown,
                     ReceiptNotFiscalized,
                     describe_error,
)
from .factory import open_fiscal
from .register import (
                     DocumentInfo,
                     FiscalRegister,
                     FiscalResult,
                     RegisterStatus,
                     ShiftReport,
                     parse_fiscal_url,
)

__all__ = [
    "Category", "ConfigError", "DeviceError", "ErrorInfo", "FiscalError", "LinkDown", "LinkError",
    "LinkLost", "NotExecuted", "OutcomeUnknown", "ReceiptNotFiscalized", "describe_error",
    "DocumentInfo", "FiscalRegister", "FiscalResult", "RegisterStatus", "ShiftReport",
    "open_fiscal", "parse_fiscal_url",
]
