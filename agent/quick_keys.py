"""The quick-key grid of the sale screen: favourite products (goods without a barcode,
bakery, bags, weighed fruit) from ``[quick_keys] skus``, in the configured order.

A SKU the catalog does not know (or hides) is left out of the grid and named in
``missing``, so a typo in the config shows instead of an empty key.
"""

from __future__ import annotations

from . import catalog
from .models import Product


def grid(config) -> dict:
    skus = [s.strip() for s in config.get("quick_keys", "skus")]
    found = {p.sku: p for p in Product.select().where(Product.sku.in_(skus))} if skus else {}
    shown = [found[s] for s in skus if s in found and not found[s].hidden]
    codes = catalog.first_barcodes(p.id for p in shown)
    return {"items": [catalog.product_dict(p, barcode=codes.get(p.id)) for p in shown],
            "missing": [s for s in skus if s not in found or found[s].hidden]}
