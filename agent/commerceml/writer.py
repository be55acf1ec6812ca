"""Writing CommerceML records into the store: products, variants, prices, barcodes, rests.

Runs inside the import's chunk transaction (the caller holds ``store.db.write()``).  Plain
SQL on the store's connection: an import may write millions of rows.  New products are
collected in ``reindex`` for the importer to index per chunk (``catalog.products_changed``);
changed ones are re-indexed by the triggers of schema step 5.

Rules:

* identity is the 1C ``Ид`` (``product.external_id``); a product the store already has under
  the same SKU but without an Ид (from the CSV import) is adopted, not duplicated;
* SKU = ``Артикул``, else the ``Ид``.  An Артикул another 1C product already holds leaves the
  SKU at the Ид (noted); a changed Артикул renames the SKU when it is free;
* a variant (``Ид`` "product#characteristic") is its own product: SKU = the offer's Артикул
  when it differs from the product's, else ``<product SKU>#<first 8 of the characteristic
  id>`` (the whole id if those 8 are taken); parent_sku = the product's SKU; name, unit from
  the offer (else the product's), VAT and group from the product;
* ``ПометкаУдаления`` / ``Статус=Удален`` hides, a Товар without it shows again; a variant is
  hidden while its product is;
* barcodes are only ever added; a bad check digit or a code of another product is rejected.
"""

from __future__ import annotations

from .. import barcodes, clock, outbox
from .. import text as textrule
from ..catalog import search_key
from ..money import qty_str
from . import values

_FIELDS = ("sku", "name", "search_name", "unit", "vat", "price", "external_id", "parent_sku",
           "variant", "group_name", "plu", "hidden")
COLS = ("id",) + _FIELDS
_SELECT = f"SELECT {', '.join(COLS)} FROM product"
_MISSING = object()


def _parts(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i:i + size]


class Rejected(Exception):
    """A record (or a part of it) refused; ``field`` says which."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def clean_item(item) -> None:
    """The text of a record by ``agent.text``'s rule for imports: bidi controls stripped,
    control characters refusing the record (naming the field), NFC."""
    try:
        item.id = textrule.clean(item.id, "id", strip_bidi=True)
        item.sku = textrule.clean(item.sku or "", "sku", strip_bidi=True)
        item.name = textrule.clean(item.name or "", "name", strip_bidi=True)
        item.features = [(textrule.clean(str(n), "features", strip_bidi=True),
                          textrule.clean(str(v), "features", strip_bidi=True))
                         for n, v in item.features]
        item.requisites = {k: textrule.clean(v, "requisites", strip_bidi=True)
                           if isinstance(v, str) else v for k, v in item.requisites.items()}
    except textrule.BadText as e:
        raise Rejected(e.field, str(e)) from None


class Writer:
    def __init__(self, conn, run):
        self.conn, self.run, self.summary = conn, run, run.summary
        self.now = clock.iso()
        self.targets: list[tuple[int, str, str, int]] = []  # (product id, sku, unit, on-hand)
        self.members: list[tuple[int, str]] = []  # (product id, catalog id) seen in this run
        self.levels: list[tuple[int]] = []  # new products' stock rows
        self.reindex: list[int] = []  # new products, to be indexed for search

    # -- lookups: rows of the chunk fetched at once, then kept in step with what it writes --
    def prepare(self, batch) -> None:
        """Fetch the rows and barcode owners a chunk of records refers to, a few queries in all."""
        exts, skus, codes = set(), set(), set()
        for _, item, _, _ in batch:
            exts.update((item.id, item.id.partition("#")[0]))
            if item.sku:
                skus.add(item.sku)
            codes.update(c.strip() for c in item.barcodes)
        self._ext, self._sku, self._owner = dict.fromkeys(exts), dict.fromkeys(skus), {}
        for field, keys in (("external_id", exts), ("sku", skus)):
            for part in _parts(list(keys)):
                marks = ",".join("?" * len(part))
                for r in self.conn.execute(f"{_SELECT} WHERE {field} IN ({marks})", part):
                    row = dict(zip(COLS, r, strict=True))
                    self._sku[row["sku"]] = row
                    if row["external_id"]:
                        self._ext[row["external_id"]] = row
        for part in _parts(list(codes)):
            self._owner.update(dict.fromkeys(part))
            for code, pid, sku in self.conn.execute(
                    "SELECT b.code, b.product_id, p.sku FROM barcode b JOIN product p ON"
                    f" p.id = b.product_id WHERE b.code IN ({','.join('?' * len(part))})", part):
                self._owner[code] = (pid, sku)

    def forget(self) -> None:
        """A record was rolled back: what was remembered may be wrong; ask the database again."""
        self._ext, self._sku, self._owner = {}, {}, {}

    def _cached(self, cache: dict, key: str, sql: str):
        row = cache.get(key, _MISSING)
        if row is _MISSING:
            r = self.conn.execute(sql, (key,)).fetchone()
            row = cache[key] = dict(zip(COLS, r, strict=True)) if r else None
        return row

    def by_external(self, ext: str) -> dict | None:
        return self._cached(self._ext, ext, f"{_SELECT} WHERE external_id = ?")

    def by_sku(self, sku: str) -> dict | None:
        return self._cached(self._sku, sku, f"{_SELECT} WHERE sku = ?")

    def _remember(self, old: dict | None, row: dict) -> None:
        if old and old["sku"] != row["sku"]:
            self._sku[old["sku"]] = None
            self._ext = {}  # its variants' parent_sku changed with it
        if row.get("external_id"):
            self._ext[row["external_id"]] = row
        self._sku[row["sku"]] = row

    def _sku_free(self, sku: str, row: dict | None) -> bool:
        owner = self.by_sku(sku)
        return owner is None or (row is not None and owner["id"] == row["id"])

    def _plu(self, wanted: int | None, row: dict | None) -> int | None:
        if wanted is None or (row and row["plu"] == wanted):
            return row["plu"] if row else None
        owner = self.conn.execute("SELECT sku FROM product WHERE plu = ?", (wanted,)).fetchone()
        if owner:
            self.summary.note(f"a PLU already used by another product was not taken ({wanted})")
            return row["plu"] if row else None
        return wanted

    # -- writing ---------------------------------------------------------------------------
    def _save(self, row: dict | None, fields: dict) -> tuple[dict, bool, bool]:
        """Insert or update one product row -> (row, created, changed)."""
        fields["search_name"] = search_key(
            " ".join(x for x in (fields["name"], fields.get("variant")) if x),
            " ".join(x for x in (fields["sku"], fields.get("parent_sku")) if x))
        if row is None:
            cur = self.conn.execute(
                f"INSERT INTO product ({', '.join(_FIELDS)}, updated_at)"
                f" VALUES ({', '.join('?' * (len(_FIELDS) + 1))})",
                [fields[k] for k in _FIELDS] + [self.now])
            new = {**fields, "id": cur.lastrowid}
            self.levels.append((new["id"],))
            self.reindex.append(new["id"])
            self._remember(None, new)
            return new, True, True
        if all(fields[k] == row[k] for k in _FIELDS):
            return row, False, False
        if row["sku"] != fields["sku"]:  # variants follow their product's new SKU
            self.conn.execute("UPDATE product SET parent_sku = ? WHERE parent_sku = ?",
                              (fields["sku"], row["sku"]))
        self.conn.execute(f"UPDATE product SET {', '.join(k + ' = ?' for k in _FIELDS)},"
                          " updated_at = ? WHERE id = ?",
                          [fields[k] for k in _FIELDS] + [self.now, row["id"]])
        new = {**row, **fields}
        self._remember(row, new)
        return new, False, True

    def _barcodes(self, pid: int, sku: str, codes: list, file: str, ext: str) -> bool:
        added = False
        for code in dict.fromkeys(c.strip() for c in codes if c.strip()):
            why = barcodes.problem(code)
            if why:
                self.summary.reject(file, ext, "barcode", why, sku=sku)
                continue
            owner = self._owner.get(code, _MISSING)
            if owner is _MISSING:
                owner = self.conn.execute("SELECT b.product_id, p.sku FROM barcode b JOIN product p"
                                          " ON p.id = b.product_id WHERE b.code = ?", (code,)).fetchone()
            if owner is None:
                self.conn.execute("INSERT INTO barcode (code, product_id) VALUES (?, ?)",
                                  (code, pid))
                self._owner[code] = (pid, sku)
                added = True
            elif owner[0] != pid:
                self.summary.reject(file, ext, "barcode",
                                    f"barcode {code} already belongs to SKU {owner[1]}", sku=sku)
        return added

    def _member(self, pid: int, catalog_id: str) -> None:
        self.members.append((pid, catalog_id))

    def mark(self) -> tuple[int, ...]:
        """Where the chunk's deferred writes stand (to undo a refused record's)."""
        return len(self.targets), len(self.members), len(self.levels)

    def undo(self, mark: tuple[int, ...]) -> None:
        del self.targets[mark[0]:], self.members[mark[1]:], self.levels[mark[2]:]

    def finish(self) -> None:
        """The chunk's deferred writes, set-based: stock rows of new products, catalog marks."""
        self.conn.executemany("INSERT OR IGNORE INTO stock_level (product_id, on_hand_milli)"
                              " VALUES (?, 0)", self.levels)
        self.conn.executemany(
            "INSERT INTO cml_item (product_id, catalog_id, seen_run) VALUES (?, ?, ?)"
            " ON CONFLICT (product_id) DO UPDATE SET catalog_id = excluded.catalog_id,"
            " seen_run = excluded.seen_run", [(p, c, self.run.run_id) for p, c in self.members])
        self.levels, self.members = [], []

    def seen(self, ext: str, catalog_id: str) -> None:
        """A refused Товар is still in the file: it must not be hidden for being absent."""
        row = self.by_external(ext)
        if row:
            self._member(row["id"], catalog_id)

    def _count(self, created: bool, changed: bool, was_hidden, hidden: bool, variant=False):
        s = self.summary
        if created:
            s.added += 1
            s.variants += variant
        elif changed:
            s.updated += 1
        else:
            s.unchanged += 1
        if hidden and not was_hidden:
            s.hidden += 1

    # -- records ---------------------------------------------------------------------------
    def product(self, item, catalog_id: str, file: str) -> None:
        """A Товар of the catalog."""
        row = self.by_external(item.id)
        name = (item.name or item.requisites.get("Полное наименование", ""))[:255]
        if not name:
            raise Rejected("name", "product has no Наименование")
        unit, vat = values.unit(item.unit), _vat(item.vat)
        wanted = item.sku or item.id
        if row is None:
            owner = self.by_sku(wanted)
            if owner and owner["external_id"] is None:
                row = owner  # a product the store had before 1C: adopt it
            elif owner:
                self.summary.note("an Артикул another 1C product holds: SKU = the product's Ид")
                wanted = item.id
                if not self._sku_free(wanted, None):
                    raise Rejected("sku", f"SKU {wanted} belongs to another product")
        elif wanted != row["sku"] and not self._sku_free(wanted, row):
            self.summary.note("a changed Артикул another product holds: SKU kept")
            wanted = row["sku"]
        if vat is None and (row is None or row["vat"] is None):
            self.summary.note("products without a VAT rate were recorded as 'none'")
        group = self.run.groups.get(item.group_id) if item.group_id else None
        fields = {
            "sku": wanted, "name": name, "unit": unit or (row and row["unit"]) or "pcs",
            "vat": vat or (row and row["vat"]) or "none", "price": row["price"] if row else 0,
            "external_id": item.id, "parent_sku": None, "variant": None,
            "group_name": group or (row and row["group_name"]) or None,
            "plu": self._plu(values.plu(item.requisites, item.code), row),
            "hidden": int(item.deleted)}
        was_hidden = row["hidden"] if row else None
        row, created, changed = self._save(row, fields)
        self._member(row["id"], catalog_id)
        changed = self._barcodes(row["id"], row["sku"], item.barcodes, file, item.id) or changed
        self._count(created, changed, was_hidden, bool(fields["hidden"]))

    def variant(self, item, catalog_id: str, file: str) -> None:
        """An offer (or a Товар) whose Ид is "product#characteristic"."""
        parent_id, _, char_id = item.id.partition("#")
        parent = self.by_external(parent_id)
        if parent is None:
            raise Rejected("offer", f"a variant of product {parent_id}, which the store does not have")
        row = self.by_external(item.id)
        wanted = item.sku if item.sku and item.sku != parent["sku"] else None
        if wanted and not self._sku_free(wanted, row):
            self.summary.note("an offer's Артикул another product holds: the variant's SKU is"
                              " its product's SKU#characteristic")
            wanted = None
        if wanted is None:
            wanted = f"{parent['sku']}#{char_id[:8]}"
            if not self._sku_free(wanted, row):
                wanted = f"{parent['sku']}#{char_id}"
            if not self._sku_free(wanted, row):
                if row is None:
                    raise Rejected("sku", f"SKU {wanted} belongs to another product")
                wanted = row["sku"]
        variant = values.variant_text(item.features, item.name, parent["name"]) or (
            row and row["variant"])
        name = (item.name or (row and row["name"]) or
                (f"{parent['name']} ({variant})" if variant else parent["name"]))[:255]
        price = self.run.price(item, file)
        fields = {
            "sku": wanted, "name": name,
            "unit": values.unit(item.unit) or (row and row["unit"]) or parent["unit"],
            "vat": _vat(item.vat) or parent["vat"],
            "price": price if price is not None else (row["price"] if row else 0),
            "external_id": item.id, "parent_sku": parent["sku"], "variant": variant,
            "group_name": parent["group_name"], "plu": row["plu"] if row else None,
            "hidden": int(item.deleted or bool(parent["hidden"]))}
        was_hidden, old_price = (row["hidden"], row["price"]) if row else (None, None)
        row, created, changed = self._save(row, fields)
        self._member(row["id"], catalog_id)
        changed = self._barcodes(row["id"], row["sku"], item.barcodes, file, item.id) or changed
        self.summary.prices += price is not None and price != old_price
        self._stock(row, item, file)
        self._count(created, changed, was_hidden, bool(fields["hidden"]), variant=True)

    def offer(self, item, file: str) -> None:
        """An offer of a product: its price, barcodes, rests and deletion mark."""
        row = self.by_external(item.id)
        if row is None:
            raise Rejected("offer", f"an offer for product {item.id}, which the store does not have")
        price = self.run.price(item, file)
        changes = {}
        if price is not None and price != row["price"]:
            changes["price"] = price
            self.summary.prices += 1
        if item.deleted and not row["hidden"]:
            changes["hidden"] = 1
            self.summary.hidden += 1
        if changes:
            self.conn.execute(f"UPDATE product SET {', '.join(k + ' = ?' for k in changes)},"
                              " updated_at = ? WHERE id = ?",
                              [*changes.values(), self.now, row["id"]])
            row.update(changes)  # the remembered row is this one
        changed = self._barcodes(row["id"], row["sku"], item.barcodes, file, item.id)
        self._stock(row, item, file)
        self._count(False, bool(changes) or changed, True, False)

    def _stock(self, row: dict, item, file: str) -> None:
        try:
            target = self.run.stock_target(item)
        except ValueError as e:
            self.summary.reject(file, item.id, "stock", str(e), sku=row["sku"])
            return
        if target is None:
            return
        if row["unit"] == "pcs" and target % 1000:
            self.summary.reject(file, item.id, "stock",
                                f"stock {qty_str(target)} is not whole for a product sold in pieces",
                                sku=row["sku"])
            return
        self.targets.append((row["id"], row["sku"], row["unit"], target))

    def flush_stock(self, n: int) -> None:
        """The chunk's rests as one count document: each line moves on-hand to the target,
        by the moves ``stock.record_move`` writes (set-based here: a chunk may hold thousands)."""
        if not self.targets:
            return
        on_hand: dict[int, int] = {}
        for part in _parts(list({t[0] for t in self.targets})):
            on_hand.update(self.conn.execute(
                "SELECT product_id, on_hand_milli FROM stock_level WHERE product_id IN"
                f" ({','.join('?' * len(part))})", part).fetchall())
        moves, lines = [], []
        for pid, sku, _unit, target in self.targets:
            delta = target - on_hand.get(pid, 0)
            if delta:
                on_hand[pid] = target
                moves.append((pid, delta))
                lines.append({"sku": sku, "counted": qty_str(target), "qty": qty_str(delta)})
        self.targets = []
        if not moves:
            return
        client_ref = f"commerceml:{self.run.run_id}:{n}"
        doc_id = self.conn.execute(
            "INSERT INTO stock_doc (client_ref, kind, cashier_id, note, created_at)"
            " VALUES (?, 'count', NULL, ?, ?)",
            (client_ref, "rests from a CommerceML import", self.now)).lastrowid
        self.conn.executemany("INSERT INTO stock_move (product_id, kind, qty_milli, doc_id,"
                              " created_at) VALUES (?, 'count', ?, ?, ?)",
                              [(pid, delta, doc_id, self.now) for pid, delta in moves])
        self.conn.executemany(
            "INSERT INTO stock_level (product_id, on_hand_milli) VALUES (?, ?) ON CONFLICT"
            " (product_id) DO UPDATE SET on_hand_milli = on_hand_milli + excluded.on_hand_milli",
            moves)
        outbox.emit("stock.counted", {"doc_id": doc_id, "client_ref": client_ref, "kind": "count",
                                      "cashier": None, "source": "commerceml", "lines": lines})
        self.summary.stock_lines += len(lines)
        self.summary.stock_docs += 1


def _vat(raw: str | None) -> str | None:
    try:
        return values.vat(raw)
    except ValueError as e:
        raise Rejected("vat", str(e)) from None
