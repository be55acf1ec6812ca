"""A virtual Epson-compatible 2x20 customer display (ESC/POS display command set) on a pty.

Understands what real DM-D class displays do with the commands drivers send: ESC @
(initialise: clear, cursor home, code table 0), ESC t n (code table), FF (clear), VT/HOME
(cursor home), CR, LF, BS, HT, CAN (clear line), US $ x y (cursor to column x, row y,
1-based), US MD1/MD2/MD3 (overwrite / scroll modes; all act as overwrite here), and skips
ESC R n, US C n, US E n, US X n. ``screen`` is the two 20-character rows as shown.
"""

from __future__ import annotations

from drivers.emulators.escpos_text import table_encoding
from drivers.emulators.pty_device import PtyDevice

__all__ = ["VirtualDisplay"]

COLS, ROWS = 20, 2


class VirtualDisplay(PtyDevice):
    def __init__(self, codepage: str = "cp437") -> None:
        super().__init__()
        self.codepage = codepage
        self._encoding = codepage
        self._cells = [[" "] * COLS for _ in range(ROWS)]
        self._row = self._col = 0
        self._pending = b""

    @property
    def screen(self) -> tuple[str, str]:
        with self._cond:
            return tuple("".join(row) for row in self._cells)

    def wait_for_screen(self, line1: str | None = None, line2: str | None = None,
                        timeout: float = 5.0) -> tuple[str, str]:
        """Wait until the rows show ``line1``/``line2`` (padded to 20); return the screen."""
        want = [None if s is None else s.ljust(COLS)[:COLS] for s in (line1, line2)]

        def shown() -> bool:
            rows = ["".join(row) for row in self._cells]
            return all(w is None or w == r for w, r in zip(want, rows, strict=True))

        self.wait_until(shown, timeout)
        return self.screen

    def _clear(self) -> None:
        self._cells = [[" "] * COLS for _ in range(ROWS)]
        self._row = self._col = 0

    def _put(self, ch: str) -> None:
        if self._col >= COLS:  # overwrite mode: past the end of row 1 go to row 2
            if self._row + 1 < ROWS:
                self._row, self._col = self._row + 1, 0
            else:
                self._col = COLS - 1
        self._cells[self._row][self._col] = ch
        self._col += 1

    def handle(self, data: bytes) -> bytes:
        buf = self._pending + data
        self._pending = b""
        i = 0
        while i < len(buf):
            b = buf[i]
            need = {0x1B: 2, 0x1F: 2}.get(b, 1)
            if b in (0x1B, 0x1F) and i + 1 < len(buf):
                need = {(0x1B, 0x74): 3, (0x1B, 0x52): 3, (0x1F, 0x24): 4, (0x1F, 0x43): 3,
                        (0x1F, 0x45): 3, (0x1F, 0x58): 3}.get((b, buf[i + 1]), 2)
            if i + need > len(buf):
                self._pending = buf[i:]
                break
            cmd = buf[i : i + need]
            i += need
            if cmd == b"\x1b@":
                self._clear()
                self._encoding = self.codepage
            elif cmd[:2] == b"\x1bt":
                self._encoding = table_encoding(cmd[2])
            elif cmd == b"\x0c":
                self._clear()
            elif cmd == b"\x0b":
                self._row = self._col = 0
            elif cmd == b"\x0d":
                self._col = 0
            elif cmd == b"\x0a":
                self._row = min(self._row + 1, ROWS - 1)
            elif cmd == b"\x08":
                self._col = max(self._col - 1, 0)
            elif cmd == b"\x09":
                self._col = min(self._col + 1, COLS)
            elif cmd == b"\x18":
                self._cells[self._row] = [" "] * COLS
                self._col = 0
            elif cmd[:2] == b"\x1f$":
                self._col = min(max(cmd[2], 1), COLS) - 1
                self._row = min(max(cmd[3], 1), ROWS) - 1
            elif len(cmd) == 1 and b >= 0x20:
                self._put(cmd.decode(self._encoding, errors="replace"))
            # anything else (US MDn, ESC R n, US C n, ...) changes nothing we show
        return b""
