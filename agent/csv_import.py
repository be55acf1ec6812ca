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

from . import barcodes, catalog, outbox, stock
from .errors import Conflict, Invalid
from .money import parse_major, parse_qty, qty_str

REQUIRED = ("sku", "name", "barcodes", "price", "unit", "vat")
CHUNK = 2000


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
        if not value:
            raise Invalid(f"{key} is empty", field=key)
        if len(value) > limit:
            raise Invalid(f"{key} is longer than {limit} characters", field=key)
        return value

    sku, name = text("sku", 64), text("name")
    price = parse_major(text("price", 20), "price")
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
    with store.db.write():
        moves = []
        for line_no, values in rows:
            before = catalog.Product.get_or_none(catalog.Product.sku == values["sku"])
            snapshot = before and (before.name, before.price, before.unit, before.vat)
            try:
                with store.db.db.atomic():  # a savepoint: a refused row leaves nothing behind
                    product, created = catalog.upsert(
                        values["sku"], values["name"], values["price"], values["unit"],
                        values["vat"], values["barcodes"])
            except Conflict as e:
                summary.rejected.append({"line": line_no, "field": e.field, "message": e.message})
                continue
            if created:
                summary.added += 1
                if values["stock"]:
                    moves.append((product, values["stock"]))
            elif snapshot != (product.name, product.price, product.unit, product.vat):
                summary.updated += 1
            else:
                summary.unchanged += 1
        if moves:
            doc = stock.StockDoc.create(client_ref=f"import:{run_id}:{n}", kind="receipt",
                                        note="initial stock from catalog import",
                                        created_at=stock.clock.iso())
            for product, qty in moves:
                stock.record_move(product.id, "receipt", qty, doc_id=doc.id)
            outbox.emit("stock.moved", {
                "doc_id": doc.id, "client_ref": doc.client_ref, "kind": "receipt", "cashier": None,
                "lines": [{"sku": p.sku, "qty": qty_str(q)} for p, q in moves]})
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
