"""The hub flags a double return whichever store's return comes last: a foreign return of
S1's sale recorded in S2, then S1's own return of the same line (S1 did not ask the hub)."""

from __future__ import annotations

from .test_hub_fleet import at, ev, push


def _sale(now):
    return {"sale_id": 1, "number": 1, "total": 3 * 8990, "subtotal": 3 * 8990,
            "created_at": now, "paid": 3 * 8990, "change": 0,
            "payments": [{"method": "card", "amount": 3 * 8990}],
            "lines": [{"line_id": 11, "sku": "MILK", "name": "Milk", "qty": "3.000",
                       "price": 8990, "amount": 3 * 8990, "discount": 0, "vat": "20",
                       "bonus_earned": 0}]}


def _foreign_return(now, qty):
    return {"return_id": 1, "kind": "foreign", "origin_store": "S1", "origin_sale": "1",
            "total": qty * 8990, "created_at": now, "reason": "returned in S2",
            "refunds": [{"method": "card", "amount": qty * 8990}],
            "lines": [{"line_id": 11, "sku": "MILK", "qty": f"{qty}.000",
                       "amount": qty * 8990}]}


def _own_return(now, return_id, qty):
    return {"return_id": return_id, "sale_id": 1, "total": qty * 8990, "created_at": now,
            "refunds": [{"method": "card", "amount": qty * 8990}],
            "lines": [{"line_id": 11, "sku": "MILK", "qty": f"{qty}.000",
                       "amount": qty * 8990}]}


def doubles(hub):
    status, body = hub.admin("/hub/v1/returns/doubles")
    assert status == 200, body
    return body["items"]


def test_the_selling_stores_own_return_after_a_foreign_one_is_flagged(any_hub):
    hub = any_hub
    s1, s2 = hub.add_store("S1"), hub.add_store("S2")
    now = at(60)
    push(hub, s1, "S1", [ev("S1", 1, "sale.completed", _sale(now), now)])
    push(hub, s2, "S2", [ev("S2", 1, "return.without_sale", _foreign_return(now, 3), now)])
    assert doubles(hub) == []                       # all 3 came back once: no double yet
    push(hub, s1, "S1", [ev("S1", 2, "sale.returned", _own_return(now, 1, 1), now)])
    got = doubles(hub)
    assert [(d["store_id"], d["origin_store"], d["origin_line_id"]) for d in got] == \
        [("S2", "S1", 11)]                          # the pair is named by the foreign line


def test_an_own_return_within_what_is_left_is_not_a_double(any_hub):
    hub = any_hub
    s1, s2 = hub.add_store("S1"), hub.add_store("S2")
    now = at(60)
    push(hub, s1, "S1", [ev("S1", 1, "sale.completed", _sale(now), now)])
    push(hub, s2, "S2", [ev("S2", 1, "return.without_sale", _foreign_return(now, 2), now)])
    push(hub, s1, "S1", [ev("S1", 2, "sale.returned", _own_return(now, 1, 1), now)])
    assert doubles(hub) == []
