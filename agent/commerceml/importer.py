"""One CommerceML import run: which files, in what order, which price and which stock.

Files may come in any order or as a folder; they are read classifier first, then catalogs
(import*.xml), then offers that list goods, then prices, then rests, so that every record
finds what it refers to.  Records are written in chunks, each chunk one transaction with
the stock count document and ``stock.counted`` event of its rests.

* Price: ``[catalog] price_type`` names the ИдТипаЦены or the Наименование of a ТипЦены;
  empty = the first price type the files declare (or, if none is declared, the first used).
* Stock: ``[catalog] warehouses`` lists the Склад ids (or names) that are this store;
  empty = the offer's Количество (or the sum over all its warehouses).  With warehouses set,
  an offer without per-warehouse rests leaves the store's stock alone.
* Hiding: after a full (not ``СодержитТолькоИзменения``) catalog, the products of that
  catalog absent from it are hidden; after a full offers package that lists goods, so are
  its absent variants.  The parts of one full exchange go in one run.  Nothing is hidden for
  absence when any file failed to read, nor by a full catalog that lists no product at all.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from .. import catalog, clock
from ..errors import Invalid
from . import parser, values
from .summary import ImportSummary
from .writer import Rejected, Writer, clean_item

CHUNK = 2000


def expand(paths) -> list[Path]:
    """Files as given; a folder stands for the .xml files under it."""
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(x for x in p.rglob("*") if x.suffix.lower() == ".xml" and x.is_file())
            if not found:  # the wrong folder, or 1C has not written the exchange yet
                raise Invalid(f"{p}: the folder holds no .xml files (CommerceML import*.xml, "
                              "offers*.xml)", field="file")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise Invalid(f"{p}: no such file or folder", field="file")
    return list(dict.fromkeys(out))


class Run:
    def __init__(self, store, progress=None):
        self.store, self.progress = store, progress
        self.summary = ImportSummary()
        self.run_id = uuid.uuid4().hex[:12]
        cfg = store.config
        self.price_type_cfg = (cfg.get("catalog", "price_type") or "").strip()
        self.warehouses_cfg = [str(w).strip() for w in cfg.get("catalog", "warehouses") if str(w).strip()]
        self.groups: dict[str, str] = {}
        self.price_types: list[tuple[str, str]] = []
        self.warehouse_names: dict[str, str] = {}
        self.price_type_id: str | None = None
        self.store_warehouses: set[str] | None = None
        self.full_catalogs: set[str] = set()
        self.listed_packages: set[str] = set()
        self.listed: set[str] = set()  # catalogs and packages that listed anything in this run
        self.failed = False
        self.pending: list = []
        self.chunks = 0

    # -- price and stock -------------------------------------------------------------------
    def _resolve(self) -> None:
        """Settle the price type and the store's warehouses from what the files declared."""
        want = self.price_type_cfg.casefold()
        if want:
            ids = [i for i, name in self.price_types if want in (i.casefold(), name.casefold())]
            self.price_type_id = ids[0] if ids else self.price_type_cfg
            if not ids and self.price_types:
                self.summary.note(f"price type {self.price_type_cfg!r} is not among the files' "
                                  f"ТипыЦен ({', '.join(n for _, n in self.price_types)})")
        elif self.price_types and self.price_type_id is None:
            self.price_type_id = self.price_types[0][0]
        if self.warehouses_cfg:
            wanted = {w.casefold() for w in self.warehouses_cfg}
            self.store_warehouses = {i for i, n in self.warehouse_names.items()
                                     if i.casefold() in wanted or n.casefold() in wanted}
            self.store_warehouses |= set(self.warehouses_cfg)

    def price(self, item, file: str) -> int | None:
        """The offer's retail price in kopecks, or None when it has none of that type."""
        if not item.prices:
            return None
        if self.price_type_id is None:  # nothing declared, nothing configured: the first used
            self.price_type_id = item.prices[0][0]
        for type_id, amount, coefficient in item.prices:
            if type_id != self.price_type_id:
                continue
            try:
                if coefficient and values.decimal(coefficient, "Коэффициент") != 1:
                    raise ValueError(f"a price per {coefficient} units is not supported")
                return values.kopecks(amount)
            except ValueError as e:
                self.summary.reject(file, item.id, "price", str(e), sku=item.sku or None)
                return None
        self.summary.note("offers without a price of the store's price type kept their price")
        return None

    def stock_target(self, item) -> int | None:
        """What the store should have on hand per this offer, in thousandths, or None."""
        if self.store_warehouses is not None:
            if not item.warehouse_qty:
                if item.total_qty is not None:
                    self.summary.note("offers with rests but none per warehouse left stock alone")
                return None
            return sum(values.milli(q) for w, q in item.warehouse_qty if w in self.store_warehouses)
        if item.total_qty is not None:
            return values.milli(item.total_qty)
        if item.warehouse_qty:
            return sum(values.milli(q) for _, q in item.warehouse_qty)
        return None

    # -- reading ---------------------------------------------------------------------------
    def read_file(self, path: Path) -> None:
        name = path.name
        self.summary.files.append(name)
        section = None
        try:
            for kind, value in parser.read(str(path)):
                if kind == "group":
                    self.groups[value[0]] = value[1][:255]
                elif kind == "price_type":
                    self.price_types.append(value)
                elif kind == "warehouse":
                    self.warehouse_names[value[0]] = value[1]
                elif kind in ("catalog", "package"):
                    section = value
                    self._resolve()
                elif kind in ("product", "offer"):
                    self.summary.records += 1
                    self.listed.add(f"{kind}:{section.id}")
                    self.pending.append((kind, value, section.id, name))
                    if len(self.pending) >= CHUNK:
                        self.flush()
                elif kind == "end" and not value.delta:
                    if value.kind == "catalog":
                        self.full_catalogs.add(value.id)
                    elif value.listed:
                        self.listed_packages.add(value.id)
        except ET.ParseError as e:
            self.failed = True
            self.summary.reject(name, None, "file", f"not well-formed XML ({e}); "
                                "what came before the fault was imported")
        except OSError as e:
            self.failed = True
            self.summary.reject(name, None, "file", f"cannot be read: {e.strerror or e}")
        self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        db = self.store.db
        with db.write():
            conn = db.db.connection()
            writer = Writer(conn, self)
            writer.prepare(batch)
            for kind, item, catalog_id, file in batch:
                conn.execute("SAVEPOINT cml_record")  # a refused record leaves nothing behind
                mark = writer.mark()
                try:
                    if not item.id:
                        raise Rejected("id", "a record without an Ид")
                    clean_item(item)
                    if "#" in item.id:
                        writer.variant(item, catalog_id, file)
                    elif kind == "product":
                        writer.product(item, catalog_id, file)
                    else:
                        writer.offer(item, file)
                except (Rejected, sqlite3.IntegrityError) as e:
                    conn.execute("ROLLBACK TO cml_record")
                    writer.undo(mark)
                    if not isinstance(e, Rejected):  # refusals come before any write
                        writer.forget()
                    fld, message = (e.field, e.message) if isinstance(e, Rejected) else (
                        "record", f"the database refused it ({e})")
                    self.summary.reject(file, item.id or None, fld, message, sku=item.sku or None)
                    if kind == "product" and item.id:
                        writer.seen(item.id, catalog_id)  # present in the file all the same
                conn.execute("RELEASE cml_record")
            writer.finish()
            catalog.products_changed(writer.reindex)  # after the savepoints: one index flush
            writer.flush_stock(self.chunks)
        self.chunks += 1
        if self.progress:
            self.progress(self.summary.records)

    # -- the end ---------------------------------------------------------------------------
    def hide_absent(self) -> None:
        if self.failed:
            if self.full_catalogs or self.listed_packages:
                self.summary.note("a file failed to read: nothing was hidden for being absent")
            return
        db, now = self.store.db, clock.iso()
        with db.write():
            conn = db.db.connection()
            for ids, variants in ((self.full_catalogs, False), (self.listed_packages, True)):
                for catalog_id in sorted(ids):
                    if f"{'offer' if variants else 'product'}:{catalog_id}" not in self.listed:
                        self.summary.note("a full catalog without a single product hid nothing")
                        continue
                    cur = conn.execute(
                        "UPDATE product SET hidden = 1, updated_at = ? WHERE hidden = 0"
                        f" AND parent_sku IS {'NOT ' if variants else ''}NULL AND id IN"
                        " (SELECT product_id FROM cml_item WHERE catalog_id = ?"
                        " AND seen_run IS NOT ?)", (now, catalog_id, self.run_id))
                    self.summary.hidden += cur.rowcount
            cur = conn.execute(  # a variant is hidden while its product is
                "UPDATE product SET hidden = 1, updated_at = ? WHERE hidden = 0 AND parent_sku IN"
                " (SELECT sku FROM product WHERE hidden = 1 AND external_id IS NOT NULL)", (now,))
            self.summary.hidden += cur.rowcount
        unpriced = self.store.db.db.execute_sql(  # e.g. a parent whose offers are its variants
            "SELECT COUNT(*) FROM product WHERE price <= 0 AND hidden = 0").fetchone()[0]
        if unpriced:
            self.summary.note(f"{unpriced} products have no price: they are not sold until "
                              "one arrives")


def import_files(store, paths, progress=None) -> ImportSummary:
    """Import CommerceML files (or folders of them) into the store; see the module docstring."""
    files = expand([paths] if isinstance(paths, (str, os.PathLike)) else paths)
    run = Run(store, progress)
    ranked = []
    for path in files:
        try:
            rank = parser.peek(str(path))
        except (ET.ParseError, OSError) as e:
            run.failed = True
            run.summary.reject(path.name, None, "file", f"not a readable XML file ({e})")
            continue
        if rank == 9:
            run.summary.reject(path.name, None, "file",
                               "holds no CommerceML classifier, catalog or offers")
            continue
        ranked.append((rank, str(path), path))
    for _, _, path in sorted(ranked):
        run.read_file(path)
    run.hide_absent()
    return run.summary
