"""One print job's ESC/POS bytes, built with python-escpos's command layer.

python-escpos writes the commands (style, QR, cut, drawer kick) into its ``Dummy``
printer; the text we encode ourselves, because python-escpos 3.1 forgets that ESC @ (and a
font change) resets the printer's code page and then skips ESC t, which prints Cyrillic as
garbage. So every ``init()`` is followed by ``ESC t <table>`` here, and text is encoded in
that table's code page by us. Building the whole job in memory first lets the transport
send it in one write, so a half-connected printer fails before anything is printed.
"""

from __future__ import annotations

from escpos.printer import Dummy

from drivers.formatting import encode_text

__all__ = ["DLE_EOT", "EscposJob", "kick_bytes"]

ESC = b"\x1b"
DLE_EOT = b"\x10\x04"  # real-time status: DLE EOT n (1 printer, 2 offline cause, 4 paper)


def kick_bytes(pin: int = 2) -> bytes:
    """ESC p m t1 t2: pulse the drawer on connector pin 2 or 5 for 50 ms on, 500 ms off."""
    job = EscposJob()
    job.kick(pin)
    return job.data


class EscposJob:
    """Accumulates the bytes of one job (init, styled lines, QR, cut, drawer kick)."""

    def __init__(self, codepage: str = "cp866", codepage_table: int = 17,
                 profile: str | None = None) -> None:
        self.codepage = codepage
        self.codepage_table = codepage_table
        self._printer = Dummy(profile=profile)
        self._style: tuple[bool, bool] | None = None  # unknown until init()

    def init(self) -> None:
        """ESC @ then ESC t <table>: the reset forgets the code page, so re-select it."""
        self._printer.hw("INIT")
        self._style = (False, False)
        self.select_codepage()

    def select_codepage(self) -> None:
        self._printer._raw(ESC + b"t" + bytes([self.codepage_table]))

    def style(self, bold: bool = False, double: bool = False) -> None:
        """Bold and double width+height (ESC E, ESC !). No font change (ESC M), which
        would reset the code page on some firmware. Sent only when the style changes."""
        was_bold, was_double = self._style or (None, None)
        if double != was_double:
            self._printer.set(normal_textsize=not double, double_width=double,
                              double_height=double)
        if bold != was_bold:
            self._printer.set(bold=bold)
        self._style = (bold, double)

    def line(self, text: str) -> None:
        """One row of text, encoded in the selected code page, then LF."""
        self._printer._raw(encode_text(text, self.codepage) + b"\n")

    def qr(self, data: str) -> None:
        """A QR code: native GS ( k where the profile has it, an image otherwise."""
        native = bool(self._printer.profile.supports("qrCode"))
        self._printer.set(align="center")
        self._printer.qr(data, size=5, native=native, center=not native)
        if native:
            self._printer._raw(b"\n")
        self._printer.set(align="left")

    def cut(self) -> None:
        """Feed past the cutter and cut (nothing if the profile has no cutter)."""
        self._printer.cut()

    def kick(self, pin: int = 2) -> None:
        """Cash drawer pulse: ESC p 0 25 250 (pin 2) or ESC p 1 25 250 (pin 5)."""
        if pin not in (2, 5):
            raise ValueError("drawer pin must be 2 or 5")
        self._printer.cashdraw([27, 112, 0 if pin == 2 else 1, 25, 250])

    @property
    def data(self) -> bytes:
        return self._printer.output
