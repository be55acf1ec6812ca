"""In-store weighed-goods barcodes: the EAN-13 labels a scale prints, read by a template.

``[catalog] weighed_prefixes`` says which codes are in-store ones (default ``20-29``; a list
such as ``21,22,25-27`` works too).  ``[catalog] weighed_template`` says how to read them
(default ``2PPPPPWWWWWC``):

* leading digits: fixed, the code must start with them;
* ``P`` the product's code (PLU); ``W`` the weight in grams; ``$`` the price in kopecks
  (a template has W or $, not both); ``X`` a digit that means nothing; ``C`` the check
  digit, always last.

The letters are read from the right end of the code, so a template shorter than 13 leaves
the digits after its fixed ones to the prefix: the default reads ``2x PPPPP WWWWW C``.

PLU: a product's ``plu`` (from 1C: the ``ПЛУ`` or numeric ``Код`` requisite); a product
without one whose SKU is a number of at most 5 digits answers to that number (how CSV
products get one).  A plain barcode in the catalog always wins: ``find`` asks the catalog
first and reads the template only for codes the catalog does not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .barcodes import check_digit
from .catalog import product_by_barcode
from .errors import Invalid, NotFound
from .models import Product, database

DEFAULT_TEMPLATE = "2PPPPPWWWWWC"
DEFAULT_PREFIXES = "20-29"
_TEMPLATE_RE = re.compile(r"^(\d*)([PWX$C]+)$")


@dataclass(frozen=True)
class Template:
    fixed: str  # digits the code starts with
    fields: str  # the letters, aligned to the code's right end
    plu: slice
    value: slice  # the weight or the price digits
    by_price: bool  # True: value is kopecks ($); False: grams (W)


@lru_cache(maxsize=16)
def parse_template(text: str) -> Template:
    """'2PPPPPWWWWWC' -> Template; Invalid with the reason for a template that cannot work."""
    t = (text or "").strip().upper()
    m = _TEMPLATE_RE.match(t)
    if not m or len(t) > 13:
        raise Invalid(f"weighed_template {text!r}: digits, then P, W or $, X and a final C; "
                      "at most 13 characters", field="catalog.weighed_template")
    fixed, fields = m.groups()
    offset = 13 - len(fields)

    def run(letter: str) -> slice | None:
        spans = [mm.span() for mm in re.finditer(re.escape(letter) + "+", fields)]
        if len(spans) > 1:
            raise Invalid(f"weighed_template {text!r}: the {letter} digits must be together",
                          field="catalog.weighed_template")
        return slice(spans[0][0] + offset, spans[0][1] + offset) if spans else None

    plu, weight, price = run("P"), run("W"), run("$")
    if plu is None or (weight is None) == (price is None) or fields.count("C") != 1 \
            or not fields.endswith("C") or len(fixed) > offset:
        raise Invalid(f"weighed_template {text!r}: needs P digits, either W or $ digits, and "
                      "the check digit C last", field="catalog.weighed_template")
    return Template(fixed, fields, plu, weight or price, price is not None)


@lru_cache(maxsize=16)
def parse_prefixes(text: str) -> tuple[tuple[str, str], ...]:
    """'20-29' / '21,22,25-27' -> ((low, high), ...) as equal-length digit strings."""
    out = []
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        low, dash, high = part.partition("-")
        high = high if dash else low
        if not (low.isdigit() and high.isdigit() and len(low) == len(high) and low <= high):
            raise Invalid(f"weighed_prefixes {text!r}: write ranges like 20-29 or lists like "
                          "21,22,25-27", field="catalog.weighed_prefixes")
        out.append((low, high))
    return tuple(out)


def _settings(config) -> tuple[Template, tuple]:
    if config is None:
        template, prefixes = DEFAULT_TEMPLATE, DEFAULT_PREFIXES
    elif hasattr(config, "get") and not isinstance(config, dict):
        template = config.get("catalog", "weighed_template")
        prefixes = config.get("catalog", "weighed_prefixes")
    else:  # the [catalog] section as a mapping
        template = config.get("weighed_template", DEFAULT_TEMPLATE)
        prefixes = config.get("weighed_prefixes", DEFAULT_PREFIXES)
    return parse_template(template), parse_prefixes(prefixes)


def by_plu(plu: int) -> Product | None:
    """The product with this PLU; else one without a PLU whose SKU is that number (<= 5 digits)."""
    cur = database.execute_sql("SELECT * FROM product WHERE plu = ?", (plu,))
    row = cur.fetchone()
    if row is None and plu < 100_000:
        skus = [str(plu).zfill(n) for n in range(len(str(plu)), 6)]
        cur = database.execute_sql(
            f"SELECT * FROM product WHERE plu IS NULL AND sku IN ({', '.join('?' * len(skus))})"
            " ORDER BY length(sku) LIMIT 1", skus)
        row = cur.fetchone()
    if row is None:
        return None
    return Product(**dict(zip([c[0] for c in cur.description], row, strict=True)))


def resolve(code: str, config=None) -> tuple[Product, int | None, int | None] | None:
    """An in-store code -> (product, qty_milli, None) for a weight template or
    (product, None, amount) for a price template; None when the code is not one of ours
    (wrong length or prefix, bad check digit, unknown PLU).  ``config``: the store's Config,
    its [catalog] mapping, or None for the defaults."""
    code = str(code or "").strip()
    if len(code) != 13 or not code.isdigit() or not code.isascii():
        return None
    template, prefixes = _settings(config)
    if not any(low <= code[:len(low)] <= high for low, high in prefixes):
        return None
    if not code.startswith(template.fixed):
        return None
    if check_digit(code[:12]) != int(code[12]):
        return None
    product = by_plu(int(code[template.plu]))
    if product is None:
        return None
    value = int(code[template.value])
    return (product, None, value) if template.by_price else (product, value, None)


def line_qty(product: Product, qty_milli: int | None, amount: int | None,
             field: str = "barcode") -> tuple[int, int | None]:
    """A resolved label -> (qty_milli, amount or None).  A price label's quantity is derived
    from the product's price: qty = amount * 1000 // price; its amount stays the label's."""
    if amount is not None:
        if product.price <= 0:
            raise Invalid(f"{product.name} has no price to weigh a price label by", field=field)
        qty_milli = amount * 1000 // product.price
    if not qty_milli or qty_milli <= 0:
        raise Invalid(f"the label of {product.name} carries no weight", field=field)
    return qty_milli, amount


def find(code: str, config=None, field: str = "barcode") -> tuple[Product, int | None, int | None]:
    """A scanned code -> (product, qty_milli, amount): (product, None, None) for a catalog
    barcode, the label's quantity (and amount, for price labels) for an in-store code.
    NotFound when neither knows it."""
    try:
        return product_by_barcode(code), None, None
    except NotFound:
        hit = resolve(code, config)
        if hit is None:
            raise
    qty, amount = line_qty(*hit, field=field)
    return hit[0], qty, amount
