"""Returns of a sale made in another store (or online): the hub is the authority.

A store that takes back goods sold elsewhere asks ``GET /hub/v1/sales/lookup`` (its store
token, signed) for the original: its lines as sold, net of every discount, and what is
still returnable (sold, less the origin store's own returns, less foreign returns the hub
has recorded).  The returning store then records the return and pushes a
``return.without_sale`` event of kind ``foreign``; on ingest the hub records each line
against the original (``hub_foreign_return``).  A store may have accepted a return offline
(``[returns] foreign_offline = "approve"``): when the hub then finds more returned than was
sold, it keeps the event (the money is already out) and flags the lines as a double
return, listed for the chain's office at ``GET /hub/v1/returns/doubles`` (admin).  The
selling store returns its own sales without asking the hub, so when its own return arrives
after a foreign one and together they exceed what was sold, the foreign lines are flagged
the same way (``flag_own_returns``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from flask import jsonify, request
from peewee import BigIntegerField, BooleanField, CharField, CompositeKey

from .errors import BadRequest, NotFound
from .models import HubModel
from .params import int_arg
from .sql import Sql


class HubForeignReturn(HubModel):
    """One line of a return made in ``store_id`` of a sale of ``origin_store``."""

    store_id = CharField(max_length=64)
    return_id = BigIntegerField()
    line_no = BigIntegerField()
    origin_store = CharField(max_length=64, index=True)
    origin_sale_id = BigIntegerField()
    origin_line_id = BigIntegerField()
    sku = CharField(max_length=64)
    qty_milli = BigIntegerField()
    amount = BigIntegerField()
    doubled = BooleanField(default=False)  # more of the line came back than was sold
    created_at = CharField()
    seq = BigIntegerField()

    class Meta:
        primary_key = CompositeKey("store_id", "return_id", "line_no")
        indexes = ((("origin_store", "origin_sale_id"), False),)


def _milli(qty) -> int:
    return int(Decimal(str(qty or "0")) * 1000)


def _qty(milli: int) -> str:
    return f"{'-' if milli < 0 else ''}{abs(milli) // 1000}.{abs(milli) % 1000:03d}"


def _find_sale(sql: Sql, store_id: str, sale_id=None, number=None, shift_number=None):
    base = "SELECT s.sale_id, s.number, s.seq, s.created_at, s.total, s.voided_seq FROM hub_sale s"
    if sale_id is not None:
        return sql.one(base + " WHERE s.store_id = ? AND s.sale_id = ?", (store_id, sale_id))
    if shift_number is not None:
        return sql.one(base + " JOIN hub_shift h ON h.store_id = s.store_id AND h.shift_id = "
                       "s.shift_id WHERE s.store_id = ? AND s.number = ? AND h.number = ? "
                       "ORDER BY s.sale_id DESC LIMIT 1", (store_id, number, shift_number))
    return sql.one(base + " WHERE s.store_id = ? AND s.number = ? ORDER BY s.sale_id DESC LIMIT 1",
                   (store_id, number))


def returned_by_line(sql: Sql, store_id: str, sale_id: int) -> dict[int, int]:
    """Thousandths returned per line of the sale: in its own store and elsewhere."""
    back: dict[int, int] = defaultdict(int)
    for (payload,) in sql.rows(
            "SELECT e.payload FROM hub_return r JOIN hub_event e ON e.store_id = r.store_id "
            "AND e.seq = r.seq WHERE r.store_id = ? AND r.sale_id = ?", (store_id, sale_id)):
        for ln in json.loads(payload).get("lines") or []:
            if ln.get("line_id") is not None:
                back[int(ln["line_id"])] += _milli(ln.get("qty"))
    for line_id, milli in sql.rows(
            "SELECT origin_line_id, SUM(qty_milli) FROM hub_foreign_return WHERE origin_store = ? "
            "AND origin_sale_id = ? GROUP BY origin_line_id", (store_id, sale_id)):
        back[int(line_id)] += int(milli or 0)
    return back


def lookup(db, store_id: str, sale_id=None, number=None, shift_number=None) -> dict:
    """The original sale with what may still be returned of each line."""
    sql = Sql(db)
    row = _find_sale(sql, store_id, sale_id, number, shift_number)
    if row is None:
        raise NotFound(f"no sale {sale_id or number} of store {store_id} at the hub",
                       field="sale_id" if sale_id is not None else "number")
    sale_id, number, seq, created_at, total, voided = row
    payload = json.loads(sql.scalar("SELECT payload FROM hub_event WHERE store_id = ? AND seq = ?",
                                    (store_id, seq)))
    back = {} if voided else returned_by_line(sql, store_id, sale_id)
    lines = []
    for ln in payload.get("lines") or []:
        sold = _milli(ln.get("qty"))
        done = sold if voided else back.get(int(ln.get("line_id") or 0), 0)
        lines.append({"line_id": ln.get("line_id"), "sku": ln["sku"], "name": ln.get("name"),
                      "unit": ln.get("unit") or "pcs",
                      "qty": _qty(sold), "price": ln.get("price"),
                      "amount": (ln.get("amount") or 0) - (ln.get("discount") or 0),
                      "bonus_earned": ln.get("bonus_earned") or 0,
                      "bonus_redeemed": ln.get("discount") or 0,  # the bonus paid for it
                      "returned_qty": _qty(done), "returnable_qty": _qty(max(0, sold - done))})
    paid = defaultdict(int)
    for p in payload.get("payments") or []:
        paid[p["method"]] += p["amount"]
    return {"store_id": store_id, "sale_id": sale_id, "number": number, "created_at": created_at,
            "total": total, "voided": voided is not None,
            "customer_phone": payload.get("customer_phone"),
            "paid_by_card": paid["card"], "lines": lines}


BY_PHONE_LIMIT = 20


def lookup_by_phone(db, phone: str, asking_store: str, limit: int = BY_PHONE_LIMIT) -> dict:
    """The customer's most recent sales in the other stores of the chain (newest first,
    voided ones left out), each as :func:`lookup` answers it, with what is still
    returnable.  The asking store's own sales are not offered: it returns them by sale_id."""
    sql = Sql(db)
    rows = sql.rows("SELECT store_id, sale_id FROM hub_sale WHERE customer_phone = ? AND "
                    "store_id <> ? AND voided_seq IS NULL ORDER BY created_at DESC, seq DESC "
                    "LIMIT ?", (phone, asking_store, limit))
    return {"phone": phone, "items": [lookup(db, sid, int(sale_id)) for sid, sale_id in rows]}


class ForeignReturns:
    """Ingest of foreign ``return.without_sale`` events (inside the batch's transaction)."""

    def __init__(self, sql: Sql, store_id: str):
        self.sql, self.store_id = sql, store_id

    def apply(self, e) -> None:
        p = e.payload
        origin, sale = p.get("origin_store"), str(p.get("origin_sale") or "")
        if p.get("kind") != "foreign" or not origin:
            return
        if sale[:1] == "n" and sale[1:].isdigit():  # offline, known by its receipt number
            row = _find_sale(self.sql, origin, number=int(sale[1:]))
            sale = str(row[0]) if row else ""
        if not sale.isdigit():
            return
        sale_id = int(sale)
        at = p.get("created_at") or e.occurred_at
        sold = self._sold(origin, sale_id)
        back = returned_by_line(self.sql, origin, sale_id)
        for n, ln in enumerate(p.get("lines") or [], start=1):
            if ln.get("line_id") is None:
                continue
            line_id, milli = int(ln["line_id"]), _milli(ln.get("qty"))
            back[line_id] += milli
            double = sold is not None and back[line_id] > sold.get(line_id, 0)
            self.sql.run("INSERT INTO hub_foreign_return (store_id, return_id, line_no, "
                         "origin_store, origin_sale_id, origin_line_id, sku, qty_milli, amount, "
                         "doubled, created_at, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
                         "ON CONFLICT DO NOTHING",
                         (self.store_id, p["return_id"], n, origin, sale_id, line_id, ln["sku"],
                          milli, ln.get("amount") or 0,
                          self.sql.true() if double else self.sql.false(), at, e.seq))

    def _sold(self, origin: str, sale_id: int) -> dict[int, int] | None:
        seq = self.sql.scalar("SELECT seq FROM hub_sale WHERE store_id = ? AND sale_id = ?",
                              (origin, sale_id))
        if seq is None:  # the original has not reached the hub (yet): nothing to compare
            return None
        payload = json.loads(self.sql.scalar(
            "SELECT payload FROM hub_event WHERE store_id = ? AND seq = ?", (origin, seq)))
        return {int(ln["line_id"]): _milli(ln.get("qty")) for ln in payload.get("lines") or []
                if ln.get("line_id") is not None}


def flag_own_returns(sql: Sql, store_id: str, sale_ids: set[int]) -> None:
    """After the selling store's own returns of ``sale_ids`` (it does not ask the hub before
    returning its own sale): where the line has also come back in another store and more
    came back than was sold, flag those foreign lines as a double return.  One query when
    none of the sales was returned elsewhere (the usual case)."""
    if not sale_ids:
        return
    marks = ",".join("?" * len(sale_ids))
    elsewhere = [int(r[0]) for r in sql.rows(
        f"SELECT DISTINCT origin_sale_id FROM hub_foreign_return WHERE origin_store = ? AND "
        f"origin_sale_id IN ({marks})", [store_id, *sorted(sale_ids)])]
    for sale_id in elsewhere:
        sold = ForeignReturns(sql, store_id)._sold(store_id, sale_id) or {}
        back = returned_by_line(sql, store_id, sale_id)
        for line_id, milli in back.items():
            if milli > sold.get(line_id, 0):
                sql.run("UPDATE hub_foreign_return SET doubled = ? WHERE origin_store = ? AND "
                        "origin_sale_id = ? AND origin_line_id = ?",
                        (sql.true(), store_id, sale_id, line_id))


def doubles(db) -> list[dict]:
    sql = Sql(db)
    return [{"store_id": r[0], "return_id": r[1], "origin_store": r[2], "origin_sale_id": r[3],
             "origin_line_id": r[4], "sku": r[5], "qty": _qty(r[6]), "amount": r[7],
             "created_at": r[8]}
            for r in sql.rows("SELECT store_id, return_id, origin_store, origin_sale_id, "
                              "origin_line_id, sku, qty_milli, amount, created_at FROM "
                              "hub_foreign_return WHERE doubled = ? ORDER BY created_at, store_id, "
                              "return_id", (sql.true(),))]


def register_foreign_returns(app, db, auth) -> None:
    @app.get("/hub/v1/sales/lookup")
    def sale_lookup():
        auth.store()
        origin = request.args.get("store_id")
        if not origin:
            raise BadRequest("store_id is required: the store that made the sale",
                             field="store_id")
        sale_id = int_arg("sale_id", None, 1, 2**63 - 1)
        number = int_arg("number", None, 1, 2**31 - 1)
        if sale_id is None and number is None:
            raise BadRequest("sale_id or number is required", field="number")
        return jsonify(lookup(db, origin, sale_id, number,
                              int_arg("shift_number", None, 1, 2**31 - 1)))

    @app.get("/hub/v1/sales/by-phone")
    def sales_by_phone():
        asking = auth.store()
        from .validate import phone
        number = phone(request.args.get("phone"), "phone")
        return jsonify(lookup_by_phone(db, number, asking,
                                       int_arg("limit", BY_PHONE_LIMIT, 1, 50)))

    @app.get("/hub/v1/returns/doubles")
    def double_returns():
        auth.admin()
        return jsonify({"items": doubles(db)})
