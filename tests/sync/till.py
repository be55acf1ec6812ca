"""Doing business at the test store through the real core: sales, returns, stock
documents, and bonus entries (written the way the loyalty module writes them: the entry
and its ``loyalty.posted`` event in one transaction)."""

from __future__ import annotations

import random
import uuid

from agent import cashiers, clock, outbox, returns, sales, shifts, stock
from agent.models import BonusEntry, Customer

SKUS = ["MILK", "BREAD", "CHEESE", "COFFEE", "WATER"]


class Till:
    def __init__(self, store, login="maria", pin="9999", register="1"):
        self.store = store
        tok, _ = cashiers.login(store, login, pin, register)
        self.session = cashiers.session_for(store, tok)
        if shifts.current(register) is None:
            shifts.open_shift(store, self.session, 100000)

    def sell(self, lines=None, rng=None) -> dict:
        rng = rng or random
        if lines is None:
            lines = []
            for _ in range(rng.randint(1, 3)):
                sku = rng.choice(SKUS)
                qty = "0.355" if sku == "CHEESE" else str(rng.randint(1, 3))  # weighed: kg
                lines.append({"sku": sku, "qty": qty})
        if rng.random() < 0.2:  # by card: exactly the total
            q = sales.quote(self.store, {"lines": lines})
            payments = [{"method": "card", "amount": q["total"]}]
        else:  # cash, with change
            payments = [{"method": "cash", "amount": 1_000_000}]
        body = {"client_ref": uuid.uuid4().hex, "lines": lines, "payments": payments}
        sale, _ = sales.commit(self.store, self.session, body)
        return sale

    def give_back(self, sale: dict, part: bool = True) -> dict:
        line = sale["lines"][0]
        qty = "1" if part and line["unit"] == "pcs" else line["qty"]
        ret, _ = returns.commit(self.store, self.session, {
            "client_ref": uuid.uuid4().hex, "sale_id": sale["sale_id"],
            "lines": [{"line_id": line["line_id"], "qty": qty}]})
        return ret

    def receive(self, sku="MILK", qty="5") -> dict:
        return stock.post_document(self.store, "receipt", uuid.uuid4().hex,
                                   [{"sku": sku, "qty": qty}], cashier=self.session.cashier)

    def count(self, sku="BREAD", qty="7") -> dict:
        return stock.post_document(self.store, "count", uuid.uuid4().hex,
                                   [{"sku": sku, "qty": qty}], cashier=self.session.cashier)

    def bonus(self, phone: str, kind: str, amount: int, sale_id=None) -> int:
        with self.store.db.write():
            if Customer.get_or_none(Customer.phone == phone) is None:
                Customer.create(phone=phone, name="Покупатель", created_at=clock.iso(),
                                hub_ledger_seq=0)
                outbox.emit("customer.upserted", {"phone": phone, "name": "Покупатель",
                                                  "email": None, "created_at": clock.iso()})
            entry = BonusEntry.create(customer=phone, kind=kind, amount=amount, sale_id=sale_id,
                                      cashier="maria", created_at=clock.iso())
            outbox.emit("loyalty.posted", {
                "entry_id": entry.id, "phone": phone, "kind": kind, "amount": amount,
                "sale_id": sale_id, "return_id": None, "reason": None, "cashier": "maria",
                "created_at": entry.created_at})
        return entry.id

    def rush(self, n: int, rng: random.Random, per_transaction: int = 500) -> None:
        """Many events quickly (a busy day queued while the hub is away): mostly sales,
        some receipts and bonus entries, several business actions per commit."""
        done = 0
        while done < n:
            with self.store.db.write():
                for _ in range(min(per_transaction, n - done)):
                    roll = rng.random()
                    if roll < 0.9:
                        self.sell(rng=rng)
                    elif roll < 0.95:
                        self.receive(rng.choice(["MILK", "WATER", "COFFEE"]), "20")
                    else:
                        self.bonus("+79161234567", "accrual", rng.randint(1, 500))
                    done += 1

    def business(self, n: int, rng: random.Random, phones=("+79161234567", "+79031112233")):
        """A mixed day: sales, partial returns, receipts, counts, bonus entries."""
        done = []
        for _ in range(n):
            roll = rng.random()
            if roll < 0.6 or not done:
                done.append(self.sell(rng=rng))
            elif roll < 0.7:
                try:
                    self.give_back(rng.choice(done))
                except Exception:  # already fully returned: the core refuses, fine
                    pass
            elif roll < 0.8:
                self.receive(rng.choice(SKUS[:2] + SKUS[3:]), str(rng.randint(1, 9)))
            elif roll < 0.85:
                self.count(rng.choice(["BREAD", "WATER"]), str(rng.randint(0, 50)))
            elif rng.random() < 0.6:
                self.bonus(rng.choice(phones), "accrual", rng.randint(1, 500))
            else:
                self.bonus(rng.choice(phones), "redemption", -rng.randint(1, 300))
        return done
