"""Cash drawers. Almost every drawer is wired to the receipt printer's DK port and opened
by a kick pulse the printer sends (ESC p 0 25 250), so ``printer:`` is the usual URL;
``dummy:`` counts openings for demos. An empty URL means no drawer."""

from __future__ import annotations

from abc import ABC, abstractmethod

from drivers.printer import ReceiptPrinter
from drivers.urls import parse_drawer_url

__all__ = ["CashDrawer", "DummyDrawer", "PrinterDrawer", "open_drawer_device"]


class CashDrawer(ABC):
    @abstractmethod
    def open(self) -> None:
        """Open the drawer; raises PrinterError (printer-kicked) on failure."""


class PrinterDrawer(CashDrawer):
    """Kicked through the receipt printer it hangs on."""

    def __init__(self, printer: ReceiptPrinter) -> None:
        self.printer = printer

    def open(self) -> None:
        self.printer.open_drawer()


class DummyDrawer(CashDrawer):
    def __init__(self) -> None:
        self.openings = 0

    def open(self) -> None:
        self.openings += 1


def open_drawer_device(url: str = "printer:", printer: ReceiptPrinter | None = None
                       ) -> CashDrawer | None:
    """The drawer for a URL: ``printer:`` (needs the printer), ``dummy:``, ``""`` = none."""
    kind = parse_drawer_url(url)
    if kind is None:
        return None
    if kind == "dummy":
        return DummyDrawer()
    if printer is None:
        raise ValueError(f"cash drawer URL {url!r} needs a receipt printer, and none is "
                         f"configured")
    return PrinterDrawer(printer)
