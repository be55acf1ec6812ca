"""The fiscal register interface the agent talks to, its result types, and ``open_fiscal``.

The agent hands a committed sale or return (the receipt dict of docs/receipt-shape.md) to
``fiscalize`` and gets back the fiscal document number and fiscal sign, or an exception
saying whether a retry is safe. Implementations: :class:`~drivers.fiscal.shtrih.ShtrihRegister`
(serial or TCP Shtrih-M 54-FZ registers) and :class:`~drivers.fiscal.dummy.DummyRegister`
(in-memory journal for stores without a register). Chosen by URL::

    shtrih+serial:///dev/ttyS0?baudrate=115200&password=30
    shtrih+tcp://10.0.0.7:7778?password=30
    dummy:
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlsplit

from .errors import ConfigError


@dataclass(frozen=True)
class FiscalResult:
    """What the register made of one receipt."""

    document_number: int
    fiscal_sign: str
    fn_number: str
    kind: str
    total: int
    datetime: dt.datetime | None = None
    change: int | None = None
    #: True when the link broke and the result was read back from the fiscal storage
    recovered: bool = False
    #: True for the dummy register: no real fiscal document exists
    simulated: bool = False

    def as_receipt_fiscal(self) -> dict[str, Any]:
        """The ``fiscal`` member of the receipt dict."""
        return {"document_number": self.document_number, "fiscal_sign": self.fiscal_sign,
                "fn": self.fn_number}

    def qr_text(self) -> str:
        """The text of the receipt QR code (t, s, fn, i, fp, n) the tax service checks."""
        when = self.datetime.strftime("%Y%m%dT%H%M") if self.datetime else ""
        n = 1 if self.kind == "sale" else 2
        return (f"t={when}&s={self.total // 100}.{self.total % 100:02d}&fn={self.fn_number}"
                f"&i={self.document_number}&fp={self.fiscal_sign}&n={n}")


@dataclass(frozen=True)
class RegisterStatus:
    """Mode/submode of the register, in words the agent can act on."""

    mode: int
    submode: int
    mode_status: int = 0
    operator: int = 0

    @property
    def shift_open(self) -> bool:
        return self.mode in (2, 3, 8)

    @property
    def shift_expired(self) -> bool:
        return self.mode == 3

    @property
    def receipt_open(self) -> bool:
        return self.mode == 8

    @property
    def paper_out(self) -> bool:
        return self.submode in (1, 2)

    @property
    def waiting_continue_print(self) -> bool:
        return self.submode == 3

    @property
    def printing(self) -> bool:
        return self.submode in (4, 5)


@dataclass(frozen=True)
class DocumentInfo:
    """Fiscal storage status (FF01): the last fiscal document number above all."""

    fn_number: str
    last_document_number: int
    shift_open: bool
    current_document: int = 0
    datetime: dt.datetime | None = None


@dataclass(frozen=True)
class ShiftReport:
    """Result of opening or closing a shift; compare ``receipts`` with the agent's count."""

    shift_number: int
    document_number: int
    receipts: int = 0
    already_open: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class FiscalRegister(abc.ABC):
    """A 54-FZ register. Money is int kopecks. Every method raises a
    :class:`~drivers.fiscal.errors.FiscalError` subclass on failure."""

    @abc.abstractmethod
    def status(self) -> RegisterStatus: ...

    @abc.abstractmethod
    def open_shift(self, cashier_name: str) -> ShiftReport: ...

    @abc.abstractmethod
    def fiscalize(self, receipt: Mapping[str, Any]) -> FiscalResult:
        """Fiscalise a sale or return exactly once, whatever happens on the wire."""

    def sell(self, receipt: Mapping[str, Any]) -> FiscalResult:
        """A sale receipt; goes through the same never-twice path as :meth:`fiscalize`."""
        return self.fiscalize({**receipt, "kind": "sale"})

    def refund(self, receipt: Mapping[str, Any]) -> FiscalResult:
        """A sale-return receipt (возврат прихода); same path as :meth:`fiscalize`."""
        return self.fiscalize({**receipt, "kind": "return"})

    @abc.abstractmethod
    def cancel_receipt(self) -> bool:
        """Cancel an open (not yet fiscalised) receipt; False when none was open."""

    @abc.abstractmethod
    def cash_in(self, amount: int) -> None: ...

    @abc.abstractmethod
    def cash_out(self, amount: int) -> None: ...

    @abc.abstractmethod
    def x_report(self) -> None: ...

    @abc.abstractmethod
    def z_report(self, cashier_name: str | None = None) -> ShiftReport: ...

    def close_shift(self, cashier_name: str | None = None) -> ShiftReport:
        """Same as :meth:`z_report` (closing the shift is the Z report)."""
        return self.z_report(cashier_name)

    @abc.abstractmethod
    def last_document(self) -> DocumentInfo: ...

    def close(self) -> None:
        """Release the port (nothing to release by default)."""
        return None

    def __enter__(self) -> "FiscalRegister":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_amount(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ConfigError("Неверная сумма", f"amount must be positive int kopecks: {amount!r}")
    return amount


_INT_OPTIONS = {"baudrate", "password", "admin_password", "tax_system", "department",
                "payment_method", "subject"}
_FLOAT_OPTIONS = {"timeout", "report_timeout", "byte_timeout", "control_timeout"}


def parse_fiscal_url(url: str) -> tuple[str, str | None, dict[str, Any]]:
    """``(kind, pyserial_url, options)`` for a register URL; :class:`ConfigError` if bad."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    options: dict[str, Any] = {}
    vat: dict[str, int] = {}
    slots: dict[str, int] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        try:
            if key in _INT_OPTIONS:
                options[key] = int(value, 0)
            elif key in _FLOAT_OPTIONS:
                options[key] = float(value)
            elif key == "state_path":
                options[key] = value
            elif key.startswith("vat"):
                vat[key[3:].replace("_", "/")] = int(value, 0)
            elif key.startswith("pay_"):
                slots[key[4:]] = int(value, 0) - 1  # URL uses payment types 1..16
            else:
                raise ConfigError("Неизвестный параметр ККТ", f"unknown register option {key!r}")
        except ValueError as exc:
            raise ConfigError("Неверный параметр ККТ", f"bad value for {key!r}: {value!r}") from exc
    if vat:
        options["vat_overrides"] = vat
    if slots:
        options["payment_slot_overrides"] = slots
    if scheme == "dummy":
        return "dummy", None, options
    if scheme == "shtrih+serial":
        device = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not device:
            raise ConfigError("Не указан порт ККТ", f"no serial device in {url!r}")
        return "shtrih", device, options
    if scheme == "shtrih+tcp":
        if not parts.hostname:
            raise ConfigError("Не указан адрес ККТ", f"no host in {url!r}")
        return "shtrih", f"socket://{parts.hostname}:{parts.port or 7778}", options
    raise ConfigError("Неизвестный тип ККТ", f"unsupported register URL {url!r}")
