"""Customers of the chain at the hub: registration with one welcome bonus per phone,
what each store has seen, manual adjustments, and the entries the hub posts itself.

The hub's own entries (welcome, a duplicate welcome reversed, adjustments, a channel's
accruals and redemptions) are ledger rows of origin ``HUB`` numbered from one counter row,
whose lock serialises their numbering on any number of hub workers.  Every function here
runs inside the caller's transaction and locks the customer's row first.
"""

from __future__ import annotations

import json

from .errors import BadRequest, Conflict, NotFound
from .sql import Sql, iso

HUB_STORE = "HUB"  # the store id of entries the hub itself makes (expiry, channels, welcome)

RULE_KEYS = {"welcome_bonus": None, "accrual_percent": 5}


def rules(sql: Sql) -> dict:
    """The chain's rules held at the hub (``store-hub loyalty-rules``); None = not set."""
    out = dict(RULE_KEYS)
    for key, value in sql.rows("SELECT key, value FROM hub_setting WHERE key LIKE ?", ("loyalty.%",)):
        name = key.split(".", 1)[1]
        if name in out:
            out[name] = int(value)
    return out


def set_rules(sql: Sql, **values) -> None:
    for name, value in values.items():
        if value is None:
            continue
        if name not in RULE_KEYS or isinstance(value, bool) or not isinstance(value, int) \
                or value < 0 or (name == "accrual_percent" and value > 100):
            raise BadRequest(f"{name} must be a whole number from 0" +
                             (" to 100" if name == "accrual_percent" else ""), field=name)
        sql.run("INSERT INTO hub_setting (key, value) VALUES (?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = excluded.value", (f"loyalty.{name}", str(value)))


def next_entry_id(sql: Sql, origin: str = HUB_STORE) -> int:
    """The next entry id of ``origin``; the counter row stays locked until commit."""
    name = f"ledger:{origin}"
    sql.run("INSERT INTO hub_counter (name, value) VALUES (?, 0) ON CONFLICT DO NOTHING", (name,))
    sql.run("UPDATE hub_counter SET value = value + 1 WHERE name = ?", (name,))
    value = int(sql.scalar("SELECT value FROM hub_counter WHERE name = ?", (name,)))
    top = int(sql.scalar("SELECT MAX(entry_id) FROM hub_ledger WHERE store_id = ?", (origin,), 0))
    if value <= top:  # entries numbered before the counter existed
        value = top + 1
        sql.run("UPDATE hub_counter SET value = ? WHERE name = ?", (value, name))
    return value


def lock(sql: Sql, phone: str) -> dict | None:
    row = sql.one("SELECT name, balance, ledger_seq, updated_at FROM hub_customer WHERE phone = ?"
                  f"{sql.for_update}", (phone,))
    if row is None:
        return None
    return {"phone": phone, "name": row[0], "balance": int(row[1]), "ledger_seq": int(row[2]),
            "as_of": row[3]}


def locked(sql: Sql, phone: str) -> dict:
    c = lock(sql, phone)
    if c is None:
        raise NotFound(f"no customer {phone} in the chain", field="phone",
                       code="unknown_customer")
    return c


def post(sql: Sql, c: dict, kind: str, amount: int, *, reason: str | None = None,
         by: str | None = None, now: str | None = None) -> int:
    """A HUB entry on a locked customer; updates ``c`` and the customer row (feed included).
    Returns the ledger row id."""
    now = now or iso()
    after = c["balance"] + amount
    got = sql.insert_rows(
        "INSERT INTO hub_ledger (store_id, entry_id, phone, kind, amount, balance_after, "
        "reason, cashier, created_at, seq)",
        [(HUB_STORE, next_entry_id(sql), c["phone"], kind, amount, after, reason, by, now, 0)],
        "RETURNING id")
    c["balance"], c["ledger_seq"], c["as_of"] = after, int(got[0][0]), now
    sql.run("UPDATE hub_customer SET balance = ?, ledger_seq = ?, updated_at = ?, "
            "feed_cursor = NULL WHERE phone = ?", (after, c["ledger_seq"], now, c["phone"]))
    return c["ledger_seq"]


def mark_seen(sql: Sql, store_id: str, phones) -> None:
    """The store has seen these customers: their balances go down its feed from now on."""
    rows = [(store_id, p, iso()) for p in sorted(set(phones))]
    if rows:
        sql.insert_rows("INSERT INTO hub_customer_seen (store_id, phone, seen_at)", rows,
                        "ON CONFLICT DO NOTHING")


def claim_welcome(sql: Sql, phone: str, given_by: str, amount: int, now: str) -> bool:
    """True for the one caller that grants this phone its welcome bonus (the key decides)."""
    return bool(sql.insert_rows("INSERT INTO hub_welcome (phone, given_by, amount, created_at)",
                                [(phone, given_by, amount, now)],
                                "ON CONFLICT DO NOTHING RETURNING phone"))


def audit(sql: Sql, phone: str, kind: str, *, store_id=None, by=None, amount=0, reason=None,
          now=None) -> None:
    sql.run("INSERT INTO hub_loyalty_audit (phone, kind, store_id, by, amount, reason, "
            "created_at) VALUES (?,?,?,?,?,?,?)",
            (phone, kind, store_id, by, amount, reason, now or iso()))


def notes(sql: Sql, phones) -> dict[str, list[dict]]:
    """What the hub did to these customers' balances on its own account, per phone."""
    phones = sorted(set(phones))
    out: dict[str, list[dict]] = {}
    if not phones:
        return out
    marks = ",".join("?" * len(phones))
    for phone, kind, store_id, by, amount, reason, at in sql.rows(
            "SELECT phone, kind, store_id, by, amount, reason, created_at FROM hub_loyalty_audit "
            f"WHERE phone IN ({marks}) ORDER BY id", phones):
        out.setdefault(phone, []).append({"kind": kind, "store_id": store_id, "by": by,
                                          "amount": int(amount), "reason": reason, "at": at})
    return out


def register(sql: Sql, phone: str, name: str | None, who: tuple[str, str],
             store_welcome: int | None) -> tuple[int, dict]:
    """201 and the welcome bonus for a new phone; 200 and the customer for a known one."""
    now = iso()
    new = bool(sql.insert_rows(
        "INSERT INTO hub_customer (phone, name, balance, ledger_seq, store_entries, updated_at)",
        [(phone, name, 0, 0, "{}", now)], "ON CONFLICT DO NOTHING RETURNING phone"))
    c = locked(sql, phone)
    if name and not c["name"]:
        sql.run("UPDATE hub_customer SET name = ?, feed_cursor = NULL WHERE phone = ?",
                (name, phone))
        c["name"] = name
    amount = rules(sql)["welcome_bonus"]
    if amount is None:
        amount = store_welcome or 0
    by = f"{who[0]}:{who[1]}"
    if claim_welcome(sql, phone, by, amount, now) and amount:
        post(sql, c, "welcome", amount, reason="welcome bonus", by=by, now=now)
    if who[0] == "store":
        mark_seen(sql, who[1], [phone])
    return (201 if new else 200), view(sql, c, who)


def view(sql: Sql, c: dict, who: tuple[str, str] | None = None) -> dict:
    """The contract's ``{"phone","balance","as_of"}`` plus the name and, for a store, which
    of its own entries the balance already holds (so it adds only the rest)."""
    out = {"phone": c["phone"], "name": c["name"], "balance": c["balance"], "as_of": c["as_of"],
           "ledger_seq": c["ledger_seq"], "notes": notes(sql, [c["phone"]]).get(c["phone"], [])}
    if who and who[0] == "store":
        out["own_entry"] = own_entry(sql, c["phone"], who[1])
    return out


def own_entry(sql: Sql, phone: str, store_id: str) -> int:
    """The newest of the store's own entries the hub's balance of ``phone`` holds."""
    entries = sql.scalar("SELECT store_entries FROM hub_customer WHERE phone = ?", (phone,), "{}")
    return int(json.loads(entries or "{}").get(store_id, 0))


def adjust(sql: Sql, phone: str, amount: int, reason: str, by: str) -> dict:
    """The loyalty office's manual adjustment: audited with who and why; never below zero."""
    c = locked(sql, phone)
    if c["balance"] + amount < 0:
        raise Conflict(f"the adjustment would take the balance ({c['balance']}) below zero",
                       field="amount", code="bonus_exceeds_balance", available=c["balance"])
    now = iso()
    entry = post(sql, c, "adjustment", amount, reason=reason, by=by, now=now)
    audit(sql, phone, "adjustment", by=by, amount=amount, reason=reason, now=now)
    return {**view(sql, c), "entry_id": entry}
