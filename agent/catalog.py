"""Products and barcodes: lookup, search, and the upsert every import goes through."""

from __future__ import annotations

from . import clock, sql
from .catalog_search import fts_query, search, search_key  # noqa: F401 (the catalog's API)
from .errors import Conflict, Invalid, NotFound
from .models import Barcode, Product, StockLevel

UNITS = ("pcs", "kg")
VAT_RATES = ("22", "20", "10", "0", "none")


def product_by_barcode(code: str) -> Product:
    code = str(code).strip()
    if not code or len(code) > 64:
        raise Invalid("barcode is required", field="barcode")
    row = sql.one("SELECT p.* FROM barcode b JOIN product p ON p.id = b.product_id"
                  " WHERE b.code = ?", (code,))
    if row is not None:
        return Product(**row)
    raise NotFound(f"unknown barcode {code}", field="barcode", code="unknown_barcode")


def product_by_sku(sku: str) -> Product:
    if not isinstance(sku, str) or not sku.strip():
        raise Invalid("sku is required", field="sku")
    row = sql.one("SELECT * FROM product WHERE sku = ?", (sku.strip(),))
    if row is None:
        raise NotFound(f"unknown SKU {sku}", field="sku", code="unknown_sku")
    return Product(**row)


def upsert(sku: str, name: str, price: int, unit: str, vat: str, barcodes: list[str] = (),
           **extra) -> tuple[Product, bool]:
    """Create or update a product by SKU and add its barcodes.  Caller holds the transaction.

    Refuses (Conflict) a barcode that belongs to another product; nothing of the row is
    written then, because barcodes are checked before anything changes.
    """
    for code in barcodes:
        owner = (Product.select(Product.sku).join(Barcode).where(Barcode.code == code).first())
        if owner and owner.sku != sku:
            raise Conflict(f"barcode {code} already belongs to SKU {owner.sku}", field="barcodes")
    now = clock.iso()
    product = Product.get_or_none(Product.sku == sku)
    fields = dict(name=name, search_name=search_key(name, sku), price=price, unit=unit, vat=vat,
                  updated_at=now, **extra)
    created = product is None
    if created:
        product = Product.create(sku=sku, **fields)
        StockLevel.insert(product=product.id, on_hand_milli=0).on_conflict_ignore().execute()
        products_changed([product.id])
    elif any(getattr(product, k) != v for k, v in fields.items() if k != "updated_at"):
        Product.update(**fields).where(Product.id == product.id).execute()
        for k, v in fields.items():
            setattr(product, k, v)
    for code in barcodes:
        Barcode.insert(code=code, product=product.id).on_conflict_ignore().execute()
    return product, created


def products_changed(product_ids) -> None:
    """Index new products for search (the caller's transaction, after writing them).

    Every writer of new product rows calls it: ``upsert`` per product, bulk imports once per
    chunk (set-based, one statement per 500 ids).  Changes and deletions of indexed rows
    are followed by the triggers of schema step 5, so ids already indexed are skipped.
    """
    ids = list(dict.fromkeys(product_ids))
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        sql.database.execute_sql(
            "INSERT INTO product_fts (rowid, search_name) SELECT p.id, p.search_name FROM product p"
            f" WHERE p.id IN ({','.join('?' * len(part))}) AND NOT EXISTS"
            " (SELECT 1 FROM product_fts_docsize d WHERE d.id = p.id)", part)


def on_hand_milli(product_id: int) -> int:
    """The running stock level (``stock.record_move`` keeps it)."""
    return sql.scalar("SELECT on_hand_milli FROM stock_level WHERE product_id = ?",
                      (product_id,)) or 0


def first_barcodes(product_ids) -> dict[int, str]:
    """Each product's first barcode (the one imported first), for search answers: the
    cashier and a newcomer to the demo see what to scan."""
    ids = [int(i) for i in product_ids]
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in sql.rows(f"SELECT product_id, code FROM barcode WHERE product_id IN ({marks})"
                            " ORDER BY rowid", chunk):
            found.setdefault(row["product_id"], row["code"])
    return found


def search_answer(products: list[Product]) -> list[dict]:
    """A search's products as the API answers them: each with its first barcode and stock,
    read for all of them at once (two queries, not two per product)."""
    ids = [p.id for p in products]
    codes = first_barcodes(ids)
    stock: dict[int, int] = {}
    if ids:
        stock = {r["product_id"]: r["on_hand_milli"] for r in sql.rows(
            "SELECT product_id, on_hand_milli FROM stock_level WHERE product_id IN"
            f" ({','.join('?' * len(ids))})", ids)}
    return [product_dict(p, barcode=codes.get(p.id), on_hand=stock.get(p.id, 0))
            for p in products]


def product_dict(product: Product, barcode: str | None = None,
                 on_hand: int | None = None) -> dict:
    from .money import qty_str
    if on_hand is None:
        on_hand = on_hand_milli(product.id)
    return {
        "sku": product.sku, "name": product.name, "price": product.price,
        "barcode": barcode, "unit": product.unit, "vat": product.vat,
        "stock": qty_str(on_hand or 0),
        "parent_sku": product.parent_sku, "variant": product.variant,
        "sellable": bool(product.price and product.price > 0 and not product.hidden),
    }
