"""Bonus expiry: what a customer earned with an expiry date and did not spend in time goes,
first in first out, once, never below zero (``store-hub expire-bonuses``, daily)."""

from __future__ import annotations

from .db import retrying
from .membership import HUB_STORE, next_entry_id
from .projector import drain
from .sql import Sql, iso


def expire_bonuses(db, now: str | None = None) -> list[tuple[str, int]]:
    """Post an ``expiry`` entry for every customer whose expired bonus was not spent.

    First in, first out: spending uses the oldest bonus first, so what expired unspent is
    ``expired credits - spent`` (never below zero, never more than the balance), less what
    earlier runs already expired.  Run it daily (``store-hub expire-bonuses``); the new
    balance reaches every store through the feed.  Returns [(phone, amount expired)].
    Spending the hub holds but has not applied yet (deferred projection) counts first.
    """
    drain(db)
    now = now or iso()
    sql = Sql(db)
    phones = [r[0] for r in sql.rows("SELECT DISTINCT phone FROM hub_ledger WHERE expires_at "
                                     "IS NOT NULL AND expires_at <= ? ORDER BY phone", (now,))]
    done = []

    def one(phone: str):
        row = sql.one(f"SELECT balance, ledger_seq FROM hub_customer WHERE phone = ?"
                      f"{sql.for_update}", (phone,))
        if row is None:
            return None
        credits, spent, expired = (int(v or 0) for v in sql.one(
            "SELECT SUM(CASE WHEN amount > 0 AND expires_at IS NOT NULL AND expires_at <= ? "
            "THEN amount ELSE 0 END), SUM(CASE WHEN amount < 0 AND kind <> 'expiry' "
            "THEN -amount ELSE 0 END), SUM(CASE WHEN kind = 'expiry' THEN -amount ELSE 0 END) "
            "FROM hub_ledger WHERE phone = ?", (now, phone)))
        balance = int(row[0])
        due = min(max(0, credits - spent) - expired, balance)
        if due <= 0:
            return None
        entry = next_entry_id(sql)
        got = sql.insert_rows(
            "INSERT INTO hub_ledger (store_id, entry_id, phone, kind, amount, balance_after, "
            "reason, created_at, seq)", [(HUB_STORE, entry, phone, "expiry", -due, balance - due,
                                          "bonus expired", now, 0)], "RETURNING id")
        sql.run("UPDATE hub_customer SET balance = ?, ledger_seq = ?, updated_at = ?, "
                "feed_cursor = NULL WHERE phone = ?", (balance - due, int(got[0][0]), now, phone))
        return phone, due

    for phone in phones:
        result = retrying(db, lambda p=phone: one(p))
        if result:
            done.append(result)
    return done
