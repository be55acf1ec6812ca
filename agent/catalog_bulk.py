"""Many products at once, set-based: the CSV import's chunks and the hub feed's pages.

A few statements per call however many rows: one lookup of the SKUs already here, one of
the barcodes' owners, then ``executemany`` inserts and updates and one search-index step.
A row whose barcode belongs to another SKU is refused alone (nothing of it is written);
the others are written.  Rows are applied in order, so a later row of the same SKU wins.
The caller holds the transaction (``store.db.write()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import catalog, sql


@dataclass
class Written:
    """What ``write`` did, per row key (a CSV line number, a feed item's cursor)."""

    added: list = field(default_factory=list)      # keys of rows that created a product
    updated: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)   # (key, message)
    ids: dict = field(default_factory=dict)        # sku -> product id, for every row written


def _in_chunks(values: list, size: int = 900):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _existing(skus: list[str]) -> dict[str, tuple]:
    found = {}
    for part in _in_chunks(skus):
        marks = ",".join("?" * len(part))
        for row in sql.database.execute_sql(
                "SELECT sku, id, name, price, unit, vat, hidden FROM product"
                f" WHERE sku IN ({marks})", part):
            found[row[0]] = row[1:]
    return found


def _owners(codes: list[str]) -> dict[str, str]:
    found = {}
    for part in _in_chunks(codes):
        marks = ",".join("?" * len(part))
        for code, sku in sql.database.execute_sql(
                f"SELECT b.code, p.sku FROM barcode b JOIN product p ON p.id = b.product_id"
                f" WHERE b.code IN ({marks})", part):
            found[code] = sku
    return found


class _New:
    """A product this call adds: its id is known once the row is written."""

    __slots__ = ("sku",)

    def __init__(self, sku: str):
        self.sku = sku


def write(rows: list[tuple[object, dict]], now: str) -> Written:
    """Upsert ``rows`` of ``(key, {"sku","name","price","unit","vat","barcodes",
    "hidden"?, "stock"?})``: values already checked by the caller.  ``hidden`` absent keeps
    the product's own flag (a CSV has none); ``stock`` is the opening on-hand (thousandths)
    of a product this call creates — the caller records the moves that explain it."""
    out = Written()
    existing = _existing(list({v["sku"] for _, v in rows}))
    owners = _owners(list({c for _, v in rows for c in v["barcodes"]}))
    new_products, updates, new_codes, opening = [], [], [], {}
    for key, v in rows:
        sku = v["sku"]
        clash = next((c for c in v["barcodes"] if owners.get(c, sku) != sku), None)
        if clash:
            out.rejected.append((key, f"barcode {clash} already belongs to SKU {owners[clash]}"))
            continue
        if sku in existing:
            pid, *old = existing[sku]
            hidden = old[4] if v.get("hidden") is None else int(bool(v["hidden"]))
            fields = (v["name"], v["price"], v["unit"], v["vat"], hidden)
            if tuple(old) != fields:
                updates.append((*fields, catalog.search_key(v["name"], sku), now, pid))
                out.updated += 1
            else:
                out.unchanged += 1
        else:
            pid = _New(sku)  # SQLite gives the id when the row is written, below
            fields = (v["name"], v["price"], v["unit"], v["vat"], int(bool(v.get("hidden"))))
            new_products.append((sku, v["name"], catalog.search_key(v["name"], sku),
                                 v["unit"], v["vat"], v["price"], fields[4], now))
            out.added.append(key)
            if v.get("stock"):
                opening[sku] = v["stock"]
        existing[sku] = (pid, *fields)  # a later row of the same SKU updates this one
        for code in v["barcodes"]:
            owners[code] = sku
            new_codes.append((code, pid))
    db = sql.database
    new_ids: dict[str, int] = {}
    if new_products:
        db.cursor().executemany(
            "INSERT INTO product (sku, name, search_name, unit, vat, price, hidden,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?)", new_products)
        new_ids = {sku: row[0] for sku, row in _existing([p[0] for p in new_products]).items()}
        db.cursor().executemany("INSERT INTO stock_level (product_id, on_hand_milli)"
                                " VALUES (?, ?)", [(new_ids[p[0]], opening.get(p[0], 0))
                                                   for p in new_products])

    def real(pid):
        return new_ids[pid.sku] if isinstance(pid, _New) else pid

    updates = [(*u[:-1], real(u[-1])) for u in updates]
    if updates:
        db.cursor().executemany("UPDATE product SET name = ?, price = ?, unit = ?, vat = ?,"
                                " hidden = ?, search_name = ?, updated_at = ? WHERE id = ?",
                                updates)
    if new_codes:
        db.cursor().executemany("INSERT OR IGNORE INTO barcode (code, product_id) VALUES (?, ?)",
                                [(code, real(pid)) for code, pid in new_codes])
    catalog.products_changed(list(new_ids.values()) + [u[-1] for u in updates])
    out.ids = {sku: real(row[0]) for sku, row in existing.items()}
    return out
