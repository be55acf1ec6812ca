"""The chain's bonus ledger: the hub is the authority on every balance.

``LoyaltyBatch`` applies a batch's ``customer.upserted`` / ``loyalty.posted`` events: it
locks the customers' rows in phone order (no deadlock between stores), appends ledger
entries (unique per store and store-local entry id), and records an overdraft when an entry
takes a balance below zero, never refusing it: the sale already happened in the store.

``authorize`` places a 15-minute hold for an online redemption; the hold is released when
the store's sale with that ``client_ref`` (and its redemption entry) arrives.
"""

from __future__ import annotations

import json
import time

from .errors import Conflict, NotFound
from .membership import HUB_STORE
from .sql import Sql, iso
from .validate import Event

HOLD_SECONDS = 15 * 60


class LoyaltyBatch:
    def __init__(self, sql: Sql, store_id: str, now: str, sale_refs: dict):
        self.sql, self.store_id, self.now, self.sale_refs = sql, store_id, now, sale_refs
        self.customers: dict[str, dict] = {}
        self._release: list[str] = []
        self._ledger: list[tuple] = []
        self._overdrafts: list[tuple] = []

    def lock(self, events: list[Event]) -> None:
        phones = sorted({e.payload["phone"] for e in events})
        if not phones:
            return
        self.sql.insert_rows("INSERT INTO hub_customer (phone, balance, ledger_seq, "
                             "store_entries, updated_at)",
                             [(p, 0, 0, "{}", self.now) for p in phones], "ON CONFLICT DO NOTHING")
        marks = ",".join("?" * len(phones))
        for phone, name, email, balance, ledger_seq, entries in self.sql.rows(
                "SELECT phone, name, email, balance, ledger_seq, store_entries FROM hub_customer "
                f"WHERE phone IN ({marks}) ORDER BY phone{self.sql.for_update}", phones):
            self.customers[phone] = {"name": name, "email": email, "balance": int(balance),
                                     "ledger_seq": int(ledger_seq),
                                     "entries": json.loads(entries or "{}")}
        from .membership import mark_seen
        mark_seen(self.sql, self.store_id, phones)

    def apply(self, e: Event) -> None:
        p = e.payload
        c = self.customers[p["phone"]]
        if e.type == "customer.upserted":
            c["name"] = p.get("name") or c["name"]
            c["email"] = p.get("email") or c["email"]
            return
        after = c["balance"] + p["amount"]
        c["balance"] = after
        c["entries"][self.store_id] = max(c["entries"].get(self.store_id, 0), p["entry_id"])
        self._ledger.append((self.store_id, p["entry_id"], p["phone"], p["kind"], p["amount"],
                             after, p.get("sale_id"), p.get("return_id"), p.get("reason") or None,
                             p.get("cashier"), p.get("created_at") or e.occurred_at, e.seq,
                             p.get("expires_at") if isinstance(p.get("expires_at"), str) else None))
        if p["amount"] < 0 and after < 0:
            self._overdrafts.append((self.store_id, p["phone"], p["amount"], after, e.event_id,
                                     e.seq, self.now))
        if p["kind"] == "welcome":
            self._welcome(e, c)
        if p["kind"] == "redemption" and p.get("sale_id"):
            ref = self.sale_refs.get(p["sale_id"]) or self.sql.scalar(
                "SELECT client_ref FROM hub_sale WHERE store_id = ? AND sale_id = ?",
                (self.store_id, p["sale_id"]))
            if ref:
                self._release.append(ref)

    def _welcome(self, e: Event, c: dict) -> None:
        """A welcome given offline: the first for the phone stands; a second (another store
        registered the phone first) is reversed by the hub, with an audit entry saying why."""
        from .membership import audit, claim_welcome, next_entry_id
        p = e.payload
        if claim_welcome(self.sql, p["phone"], f"store:{self.store_id}", p["amount"], self.now):
            return
        first = self.sql.one("SELECT given_by, created_at FROM hub_welcome WHERE phone = ?",
                             (p["phone"],))
        why = (f"welcome_duplicate: {p['phone']} already had its welcome bonus "
               f"({first[0]}, {first[1]}); the one given by store {self.store_id} "
               f"at {p.get('created_at') or e.occurred_at} is reversed")
        after = c["balance"] - p["amount"]
        c["balance"] = after
        self._ledger.append((HUB_STORE, next_entry_id(self.sql), p["phone"], "reversal",
                             -p["amount"], after, None, None, why[:255], "hub", self.now, e.seq,
                             None))
        audit(self.sql, p["phone"], "welcome_duplicate", store_id=self.store_id, by="hub",
              amount=-p["amount"], reason=why, now=self.now)

    def finish(self, release: list) -> None:
        """Write the batch's ledger entries, overdrafts and customers in a few statements."""
        sql = self.sql
        for i in range(0, len(self._ledger), 200):
            part = self._ledger[i:i + 200]
            got = sql.insert_rows("INSERT INTO hub_ledger (store_id, entry_id, phone, kind, amount, "
                                  "balance_after, sale_id, return_id, reason, cashier, created_at, "
                                  "seq, expires_at)", part, "ON CONFLICT DO NOTHING RETURNING id, phone")
            if len(got) != len(part):
                raise Conflict(f"a bonus entry of store {self.store_id} in this batch is "
                               "already recorded by another event", field="entry_id",
                               code="event_conflict")
            for entry_id, phone in got:
                c = self.customers[phone]
                c["ledger_seq"] = max(c["ledger_seq"], int(entry_id))
        sql.insert_rows("INSERT INTO hub_overdraft (store_id, phone, amount, balance_after, "
                        "event_id, seq, created_at)", self._overdrafts)
        rows = sorted(self.customers.items())
        for i in range(0, len(rows), 200):
            part = rows[i:i + 200]
            sql.insert_rows(
                "INSERT INTO hub_customer (phone, name, email, balance, ledger_seq, "
                "store_entries, updated_at)",
                [(phone, c["name"], c["email"], c["balance"], c["ledger_seq"],
                  json.dumps(c["entries"], sort_keys=True), self.now) for phone, c in part],
                "ON CONFLICT (phone) DO UPDATE SET name = excluded.name, "
                "email = excluded.email, balance = excluded.balance, "
                "ledger_seq = excluded.ledger_seq, store_entries = excluded.store_entries, "
                "updated_at = excluded.updated_at, feed_cursor = NULL")
        release.extend(self._release)


def authorize(db, store_id: str, phone: str, amount: int, client_ref: str) -> tuple[int, dict]:
    """Approve a redemption against the hub's balance minus others' active holds."""
    from .db import retrying

    def tx():
        sql, now = Sql(db), int(time.time())
        row = sql.one(f"SELECT balance FROM hub_customer WHERE phone = ?{sql.for_update}", (phone,))
        balance = int(row[0]) if row else 0
        others = int(sql.scalar(
            "SELECT SUM(amount) FROM hub_hold WHERE phone = ? AND released = ? AND expires_at > ? "
            "AND NOT (store_id = ? AND client_ref = ?)",
            (phone, sql.false(), now, store_id, client_ref), 0))
        available = balance - others
        if amount > available:
            return 409, {"approved": False, "balance": balance, "available": available}
        sql.run("INSERT INTO hub_hold (store_id, client_ref, phone, amount, expires_at, released) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT (store_id, client_ref) DO UPDATE SET "
                "phone = excluded.phone, amount = excluded.amount, "
                "expires_at = excluded.expires_at, released = excluded.released",
                (store_id, client_ref, phone, amount, now + HOLD_SECONDS,
                 sql.false()))
        return 200, {"approved": True, "balance": balance, "available": available}
    return retrying(db, tx)


def customer_view(db, phone: str) -> dict:
    """What a store shows at the till: the balance and the last purchases in any store."""
    sql = Sql(db)
    row = sql.one("SELECT name, balance, ledger_seq, updated_at FROM hub_customer WHERE phone = ?",
                  (phone,))
    if row is None:
        raise NotFound(f"no customer {phone}", field="phone")
    recent = [{"store_id": s, "sale_id": int(i), "created_at": at, "total": int(t)}
              for s, i, at, t in sql.rows(
                  "SELECT store_id, sale_id, created_at, total FROM hub_sale "
                  "WHERE customer_phone = ? AND voided_seq IS NULL ORDER BY created_at DESC LIMIT 10", (phone,))]
    from .membership import notes
    return {"phone": phone, "name": row[0], "balance": int(row[1]), "ledger_seq": int(row[2]),
            "as_of": row[3], "recent_purchases": recent,
            "notes": notes(sql, [phone]).get(phone, [])}


def ledger_view(db, phone: str) -> dict:
    """The admin's view: the authoritative balance, every entry, overdrafts, open holds."""
    view = customer_view(db, phone)
    sql = Sql(db)
    view["ledger"] = [
        {"id": int(i), "store_id": s, "entry_id": int(en), "kind": k, "amount": int(a),
         "balance_after": int(b), "sale_id": sa, "return_id": r, "created_at": at,
         "reason": why, "by": by}
        for i, s, en, k, a, b, sa, r, at, why, by in sql.rows(
            "SELECT id, store_id, entry_id, kind, amount, balance_after, sale_id, return_id, "
            "created_at, reason, cashier FROM hub_ledger WHERE phone = ? ORDER BY id", (phone,))]
    view["overdrafts"] = overdrafts(db, phone)
    view["holds"] = [{"store_id": s, "client_ref": c, "amount": int(a), "expires_at": int(x)}
                     for s, c, a, x in sql.rows(
                         "SELECT store_id, client_ref, amount, expires_at FROM hub_hold WHERE "
                         "phone = ? AND released = ? AND expires_at > ?",
                         (phone, sql.false(), int(time.time())))]
    return view


def overdrafts(db, phone: str | None = None, limit: int = 1000) -> list[dict]:
    sql = Sql(db)
    where, params = ("WHERE phone = ?", [phone]) if phone else ("", [])
    return [{"id": int(i), "store_id": s, "phone": p, "amount": int(a), "balance_after": int(b),
             "event_id": ev, "seq": int(q), "created_at": at}
            for i, s, p, a, b, ev, q, at in sql.rows(
                "SELECT id, store_id, phone, amount, balance_after, event_id, seq, created_at "
                f"FROM hub_overdraft {where} ORDER BY id DESC LIMIT {int(limit)}", params)]


__all__ = ["LoyaltyBatch", "authorize", "customer_view", "ledger_view", "overdrafts", "iso"]
