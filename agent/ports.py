"""What the core needs from the outside, as types: the ports the composition root
(``pos_ui.process``) plugs the drivers and the hub client into.

The core never imports a driver or the sync package; it holds these on the ``Store``
(``store.printer``, ``store.fiscal_register``, ``store.hub`` ...; ``None`` when not
configured) and reads a device's failure only through :class:`DeviceFailure`, which the
drivers' exception classes implement structurally (they cannot import the core).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # the typed receipt arrives with agent.documents; nothing imports it at run time
    from agent.documents import Receipt


@runtime_checkable
class DeviceFailure(Protocol):
    """One failure contract for every device (printer, fiscal register, scale, display).

    ``needs_person``: it will not pass by itself (a refused receipt, a shift over 24 h, the
    fiscal storage); a cable, a link or paper that comes back is not.  ``retry_safe``: the
    same call may be repeated without doing the thing twice (no second fiscal document).
    ``message(lang)``: what the cashier ("ru") or the log and support ("en") read."""

    needs_person: bool
    retry_safe: bool

    def message(self, lang: str) -> str: ...


def failure_message(exc: BaseException, lang: str) -> str:
    """The people's sentence for any exception a device raised."""
    if isinstance(exc, DeviceFailure):
        text = exc.message(lang)
        if text:
            return text
    return str(exc) or type(exc).__name__


def needs_person(exc: BaseException) -> bool:
    """A failure that is not a :class:`DeviceFailure` is treated as needing a person."""
    return bool(exc.needs_person) if isinstance(exc, DeviceFailure) else True


class ReceiptPrinter(Protocol):
    """Prints receipts (and kicks the drawer wired to it); raises a DeviceFailure."""

    def print_receipt(self, receipt: "Receipt | dict[str, Any]") -> None: ...

    def open_drawer(self) -> None: ...

    def status(self) -> Any: ...  # has ``state`` (an enum with ``value``) and ``message``

    def close(self) -> None: ...


class CashDrawer(Protocol):
    def open(self) -> None: ...


class CustomerDisplay(Protocol):
    """Two rows facing the customer: the last line scanned and the total, then the change."""

    def show_item(self, name: str, qty: object, amount: int, total: int,
                  unit: str = "pcs") -> None: ...

    def show_change(self, paid: int, change: int) -> None: ...

    def close(self) -> None: ...


class Scale(Protocol):
    def read_weight(self, timeout: float = 2.0) -> Decimal: ...

    def close(self) -> None: ...


class FiscalResult(Protocol):
    """The register's answer to a fiscalised receipt."""

    document_number: int
    fiscal_sign: int | str
    fn_number: str


class ShiftReport(Protocol):
    shift_number: int
    document_number: int
    receipts: int | None


class FiscalRegister(Protocol):
    """A 54-FZ register; a retry of ``fiscalize`` with the same receipt never prints twice."""

    def fiscalize(self, receipt: "Receipt | dict[str, Any]") -> FiscalResult: ...

    def open_shift(self, cashier_name: str) -> Any: ...

    def cash_in(self, amount: int) -> None: ...

    def cash_out(self, amount: int) -> None: ...

    def x_report(self) -> None: ...

    def z_report(self, cashier_name: str | None = None) -> ShiftReport: ...

    def close(self) -> None: ...


class HubClient(Protocol):
    """The hub as the core asks it things online (loyalty); sync does the rest."""

    def authorize_redemption(self, phone: str, amount: int, client_ref: str,
                             timeout: float | None = None) -> dict: ...

    def customer(self, phone: str, timeout: float | None = None) -> dict | None: ...

    def lookup_sale(self, store_id: str, sale_id: int | None = None, number: int | None = None,
                    shift_number: int | None = None,
                    timeout: float | None = None) -> dict | None: ...

    def sales_by_phone(self, phone: str, timeout: float | None = None) -> list[dict]: ...

    def register_customer(self, phone: str, name: str | None, welcome_bonus: int,
                          timeout: float | None = None) -> tuple[dict, int]: ...
