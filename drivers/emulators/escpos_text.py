"""Decode ESC/POS bytes back to the text a printer would put on paper.

Used by tests and the demo to show real receipts from the real bytes. It behaves like an
Epson printer where it matters for us: ESC @ resets the code page to the printer's default
(table 0, PC437 unless told otherwise), and only ESC t n switches it, so a job that forgets
to re-select CP866 after ESC @ decodes as garbage here too. Commands are stripped; a cut
becomes ``[cut]``, a drawer kick ``[drawer]``, a QR code ``[QR: data]``, an image
``[image]``.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping

from escpos.capabilities import CAPABILITIES

__all__ = ["EPSON_TABLES", "escpos_to_text", "table_encoding"]


def _epson_tables() -> dict[int, str]:
    tables = {}
    for number, name in CAPABILITIES["profiles"]["default"]["codePages"].items():
        enc = CAPABILITIES["encodings"].get(name, {}).get("python_encode")
        try:
            if enc and codecs.lookup(enc):
                tables[int(number)] = enc
        except LookupError:
            continue
    return tables


#: ESC t table number -> Python codec, as on Epson printers (17 = cp866, 46 = cp1251).
EPSON_TABLES: dict[int, str] = _epson_tables()

# Bytes of parameters after ESC <c> / GS <c> for the fixed-length commands we may meet.
_ESC_ARGS = {b"@": 0, b"2": 0, b"!": 1, b"E": 1, b"-": 1, b"a": 1, b"M": 1, b"d": 1,
             b"J": 1, b"G": 1, b"{": 1, b"V": 1, b"r": 1, b"R": 1, b" ": 1, b"3": 1,
             b"U": 1, b"=": 1, b"e": 1, b"t": 1, b"p": 3, b"$": 2, b"\\": 2, b"c": 2,
             b"?": 2, b"L": 0, b"S": 0, b"T": 1, b"%": 1}
_GS_ARGS = {b"!": 1, b"B": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"L": 2, b"W": 2,
            b"a": 1, b"r": 1, b"I": 1, b"P": 2, b"$": 2, b"\\": 2, b"b": 1, b"x": 1}


def table_encoding(table: int, tables: Mapping[int, str] | None = None) -> str:
    """The Python codec for ESC t ``table`` (cp437 for tables we do not know)."""
    return (tables or {}).get(table) or EPSON_TABLES.get(table, "cp437")


def escpos_to_text(data: bytes, codepage: str = "cp437",
                   tables: Mapping[int, str] | None = None) -> str:
    """Readable text of an ESC/POS stream.

    ``codepage`` is the printer's power-on code page (active after ESC @ until ESC t);
    ``tables`` adds or overrides ESC t numbers (e.g. ``{73: "cp1251"}`` for clones).
    """
    out: list[str] = []
    line = bytearray()
    encoding = codepage
    qr_data = b""

    def flush(newline: bool = True) -> None:
        out.append(line.decode(encoding, errors="replace"))
        line.clear()

    i, n = 0, len(data)
    while i < n:
        b = data[i : i + 1]
        if b == b"\n":
            flush()
            i += 1
        elif b == b"\x1b" and i + 1 < n:
            cmd = data[i + 1 : i + 2]
            if cmd == b"@":
                if line:
                    flush()
                encoding = codepage
            elif cmd == b"t" and i + 2 < n:
                if line:
                    flush()
                encoding = table_encoding(data[i + 2], tables)
            elif cmd == b"d" and i + 2 < n:
                if line:
                    flush()
                out.extend([""] * max(data[i + 2] - 1, 0))
            elif cmd == b"p":
                out.append("[drawer]")
            elif cmd == b"D":  # tab stops: NUL-terminated
                end = data.find(b"\x00", i + 2)
                i = n if end < 0 else end + 1
                continue
            i += 2 + _ESC_ARGS.get(cmd, 0)
        elif b == b"\x1d" and i + 1 < n:
            cmd = data[i + 1 : i + 2]
            if cmd == b"V":  # cut: GS V m, or GS V m n for m in 65/66
                m = data[i + 2] if i + 2 < n else 0
                if line:
                    flush()
                out.append("[cut]")
                i += 3 + (1 if m in (65, 66, 97, 98, 103, 104) else 0)
                continue
            if cmd == b"(" and i + 4 < n:  # GS ( x pL pH data
                kind, size = data[i + 2 : i + 3], data[i + 3] + 256 * data[i + 4]
                body = data[i + 5 : i + 5 + size]
                if kind == b"k" and len(body) >= 3 and body[1] == 80:  # QR: store data
                    qr_data = body[3:]
                elif kind == b"k" and len(body) >= 2 and body[1] == 81:  # QR: print
                    if line:
                        flush()
                    out.append(f"[QR: {qr_data.decode('utf-8', errors='replace')}]")
                elif kind == b"L" and len(body) >= 2 and body[1] in (2, 50):
                    out.append("[image]")
                i += 5 + size
                continue
            if cmd == b"v" and i + 7 < n:  # GS v 0 m xL xH yL yH raster image
                width = data[i + 4] + 256 * data[i + 5]
                height = data[i + 6] + 256 * data[i + 7]
                if line:
                    flush()
                out.append("[image]")
                i += 8 + width * height
                continue
            if cmd == b"k" and i + 2 < n:  # barcode
                m = data[i + 2]
                if m <= 6:
                    end = data.find(b"\x00", i + 3)
                    i = n if end < 0 else end + 1
                else:
                    i += 4 + (data[i + 3] if i + 3 < n else 0)
                out.append("[barcode]")
                continue
            i += 2 + _GS_ARGS.get(cmd, 0)
        elif b == b"\x10" and i + 1 < n and data[i + 1] in (4, 5, 20):  # real-time commands
            i += {4: 3, 5: 3, 20: 5}[data[i + 1]]
        elif data[i] < 0x20 and b != b"\t":
            i += 1  # CR and other control bytes do not print
        else:
            line += b
            i += 1
    if line:
        flush()
    return "\n".join(out) + ("\n" if out else "")
