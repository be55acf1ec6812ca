"""Lines of a stock document as typed or scanned: by SKU or barcode, summed per product.

A scanner sends one line per scan, so the same product may come many times; every
document here adds them up before anything is written.  Quantities are integer thousandths.
"""

from __future__ import annotations

from .catalog import product_by_barcode, product_by_sku
from .errors import Invalid
from .models import Product
from .money import parse_qty


def line_objects(lines):
    """``(field name, line)`` for each object of a request's non-empty ``lines`` list: the
    one check of the list's shape for documents and returns."""
    if not isinstance(lines, list) or not lines:
        raise Invalid("lines must be a non-empty list", field="lines")
    for i, line in enumerate(lines):
        f = f"lines[{i}]"
        if not isinstance(line, dict):
            raise Invalid(f"{f} must be an object", field=f)
        yield f, line


def product_of(line: dict, f: str) -> Product:
    if line.get("barcode"):
        return product_by_barcode(line["barcode"])
    if line.get("sku"):
        return product_by_sku(line["sku"])
    raise Invalid(f"{f} needs a sku or a barcode", field=f"{f}.sku")


def qty_of(value, f: str, product: Product, allow_zero: bool = False) -> int:
    if allow_zero and value in (0, "0", "0.0", "0.000"):
        return 0
    qty = parse_qty(value, f)
    if product.unit == "pcs" and qty % 1000:
        raise Invalid(f"{f} must be whole for a product counted in pieces", field=f)
    return qty


def summed(lines, qty_key: str = "qty", extra_key: str | None = None,
           allow_zero: bool = False) -> dict[int, tuple[Product, int, int]]:
    """{product id: (product, qty, extra)} for a non-empty list of line objects."""
    if isinstance(lines, list) and len(lines) > 5000:
        raise Invalid("at most 5000 lines in one document", field="lines")
    out: dict[int, tuple[Product, int, int]] = {}
    for f, line in line_objects(lines):
        product = product_of(line, f)
        qty = qty_of(line.get(qty_key), f"{f}.{qty_key}", product, allow_zero)
        extra = 0
        if extra_key and line.get(extra_key) not in (None, 0, "0", "0.000", ""):
            extra = qty_of(line.get(extra_key), f"{f}.{extra_key}", product)
            if extra > qty:
                raise Invalid(f"{f}.{extra_key} cannot exceed {qty_key}", field=f"{f}.{extra_key}")
        _, q0, e0 = out.get(product.id, (product, 0, 0))
        out[product.id] = (product, q0 + qty, e0 + extra)
    return out
