"""Products and barcodes: lookup, search, and the upsert every import goes through."""

from __future__ import annotations

from . import clock, sql
from .errors import Conflict, Invalid, NotFound
from .models import Barcode, Product, StockLevel

UNITS = ("pcs", "kg")
VAT_RATES = ("22", "20", "10", "0", "none")


def search_key(name: str, sku: str) -> str:
    """Case-folded text searched by name and SKU (Cyrillic folds too: 'Молоко' ~ 'молоко')."""
    return f"{name} {sku}".casefold().replace("ё", "е")


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


def search(q: str, limit: int = 20) -> list[Product]:
    words = [w for w in search_key(q or "", "").split() if w]
    query = Product.select().where(Product.hidden == False)  # noqa: E712
    for w in words[:6]:
        escaped = w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Product.search_name.contains(escaped))
    return list(query.order_by(Product.name).limit(max(1, min(int(limit), 200))))


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
    elif any(getattr(product, k) != v for k, v in fields.items() if k != "updated_at"):
        Product.update(**fields).where(Product.id == product.id).execute()
        for k, v in fields.items():
            setattr(product, k, v)
    for code in barcodes:
        Barcode.insert(code=code, product=product.id).on_conflict_ignore().execute()
    return product, created


def products_changed(product_ids: list[int]) -> None:
    """Hook for indexes kept beside the product table (full-text search); bulk writers call it."""
    return None


def product_dict(product: Product, barcode: str | None = None) -> dict:
    from .money import qty_str
    from .stock import on_hand_milli
    return {
        "sku": product.sku, "name": product.name, "price": product.price,
        "barcode": barcode, "unit": product.unit, "vat": product.vat,
        "stock": qty_str(on_hand_milli(product.id)),
        "parent_sku": product.parent_sku, "variant": product.variant,
    }
