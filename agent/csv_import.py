"""The CSV catalog import of the contract: ``sku,name,barcodes,price,unit,vat,stock``.

Each row is checked on its own; a bad row is reported with its line number and skipped,
good rows are imported.  Re-importing updates names and prices and adds barcodes, never
duplicates.  ``stock`` is the initial on-hand of a product the store did not have yet,
recorded as a receipt move; for a product the store already has it is ignored (on-hand
then changes only through moves: receipts, counts, sales).
Rows are written in chunks, each chunk one transaction with its stock event.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field

from . import barcodes, catalog, catalog_bulk, outbox, sql, stock
from . import text as textrule
from .errors import Invalid
from .money import parse_major, parse_qty, qty_str

REQUIRED = ("sku", "name", "barcodes", "price", "unit", "vat")
CHUNK = 5000


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    stock_lines: int = 0
    rejected: list = field(default_factory=list)  # {"line", "field", "message"}

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "stock_lines": self.stock_lines, "rejected": self.rejected}


def parse_row(row: dict) -> dict:
    """One CSV row -> clean values, or Invalid naming the field."""
    def text(key, limit=255):
        value = (row.get(key) or "").strip()
        try:  # control characters refuse the row; bidi overrides are stripped
            value = textrule.clean(value, key, strip_bidi=True).strip()
        except textrule.BadText as e:
            raise Invalid(str(e), field=key) from None
        if not value:
            raise Invalid(f"{key} is empty", field=key)
        if len(value) > limit:
            raise Invalid(f"{key} is longer than {limit} characters", field=key)
        return value

    sku, name = text("sku", 64), text("name")
    price = parse_major(text("price", 20), "price")
    if price <= 0:
        raise Invalid("price must be more than 0: a product without a price cannot be sold",
                      field="price")
    unit = text("unit", 8).lower()
    if unit not in catalog.UNITS:
        raise Invalid(f"unit must be pcs or kg, got {unit!r}", field="unit")
    vat = text("vat", 8).lower().rstrip("%")
    if vat not in catalog.VAT_RATES:
        raise Invalid(f"vat must be one of {', '.join(catalog.VAT_RATES)}, got {vat!r}", field="vat")
    codes = []
    for code in (row.get("barcodes") or "").split("|"):
        code = code.strip()
        if not code:
            continue
        why = barcodes.problem(code)
        if why:
            raise Invalid(why, field="barcodes")
        if code not in codes:
            codes.append(code)
    qty = None
    raw_stock = (row.get("stock") or "").strip()
    if raw_stock and raw_stock not in ("0", "0.0", "0.000"):
        qty = parse_qty(raw_stock, "stock")
        if unit == "pcs" and qty % 1000:
            raise Invalid("stock must be whole for pcs", field="stock")
    return dict(sku=sku, name=name, price=price, unit=unit, vat=vat, barcodes=codes, stock=qty)


def _write_chunk(store, rows: list[tuple[int, dict]], summary: ImportSummary, run_id: str, n: int):
    """One chunk, one transaction, set-based (``catalog_bulk``), with its stock event."""
    with store.db.write():
        now = stock.clock.iso()
        done = catalog_bulk.write(rows, now)
        for line_no, message in done.rejected:
            summary.rejected.append({"line": line_no, "field": "barcodes", "message": message})
        summary.added += len(done.added)
        summary.updated += done.updated
        summary.unchanged += done.unchanged
        added = set(done.added)
        moves = [(done.ids[v["sku"]], v["sku"], v["stock"]) for line_no, v in rows
                 if line_no in added and v["stock"]]
        if moves:  # stock_level already holds the opening stock these moves explain
            doc_id = sql.insert("INSERT INTO stock_doc (client_ref, kind, note, created_at)"
                                " VALUES (?, 'receipt', 'initial stock from catalog import', ?)",
                                (f"import:{run_id}:{n}", now))
            sql.database.cursor().executemany(
                "INSERT INTO stock_move (product_id, kind, qty_milli, doc_id, created_at)"
                " VALUES (?, 'receipt', ?, ?, ?)", [(pid, q, doc_id, now) for pid, _, q in moves])
            outbox.emit("stock.moved", {
                "doc_id": doc_id, "client_ref": f"import:{run_id}:{n}", "kind": "receipt",
                "cashier": None, "lines": [{"sku": sku, "qty": qty_str(q)} for _, sku, q in moves]})
            summary.stock_lines += len(moves)


def import_csv(store, stream: io.TextIOBase, progress=None) -> ImportSummary:
    """Import from an open text stream.  ``progress(rows_done)`` is called per chunk."""
    reader = csv.DictReader(stream)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid(f"CSV header lacks column(s): {', '.join(missing)} "
                      f"(expected sku,name,barcodes,price,unit,vat,stock)", field="header")
    reader.fieldnames = header
    summary, run_id, chunk, n, done = ImportSummary(), uuid.uuid4().hex[:12], [], 0, 0
    for row in reader:
        line_no = reader.line_num
        if None in row:  # more cells than header columns
            summary.rejected.append({"line": line_no, "field": None,
                                     "message": "more cells than the header has columns"})
            continue
        try:
            chunk.append((line_no, parse_row(row)))
        except Invalid as e:
            summary.rejected.append({"line": line_no, "field": e.field, "message": e.message})
        if len(chunk) >= CHUNK:
            _write_chunk(store, chunk, summary, run_id, n)
            n, done, chunk = n + 1, done + len(chunk), []
            if progress:
                progress(done)
    if chunk:
        _write_chunk(store, chunk, summary, run_id, n)
        done += len(chunk)
        if progress:
            progress(done)
    return summary
