"""The bonus a pick-up order redeems, covered by the customer's one balance at the hub.

Placing an order with ``bonus_redeemed`` posts a ``redemption`` in the customer's ledger
through the channels' own entry code (``bonus_entries``), in the order's transaction: ref
``order:<order_id>`` under the placing channel (``admin`` for the admin), so nobody spends
more than they have, whatever the channel, and a repeat never posts twice.  Cancelling the
order (by the site or by the store) posts one ``reversal`` of it, ref
``order:<order_id>:cancelled``: idempotent by that ref.
"""

from __future__ import annotations

from . import bonus_entries
from .errors import BadRequest, Conflict, NotFound
from .sql import Sql


def _channel(by: str) -> str:
    return by.split(":", 1)[1] if by.startswith("channel:") else "admin"


def redeem(sql: Sql, order: dict, by: str) -> None:
    """Take the order's ``bonus_redeemed`` off the customer's balance; 409 when the customer
    is unknown to the chain or has less than that (nothing written: the caller rolls back)."""
    amount = order["bonus_redeemed"]
    if not amount:
        return
    if not order["customer_phone"]:
        raise BadRequest("bonus_redeemed needs the customer_phone whose bonus pays it",
                         field="customer_phone")
    channel = _channel(by)
    body = {"ref": f"order:{order['order_id']}", "phone": order["customer_phone"],
            "kind": "redemption", "channel": channel, "amount": amount}
    try:
        bonus_entries.post_in(sql, channel, body)
    except NotFound as e:
        raise Conflict(f"{order['customer_phone']} is not a loyalty customer of the chain: "
                       "no bonus to redeem", field="customer_phone",
                       code="unknown_customer") from e
    except Conflict as e:
        if e.code != "bonus_exceeds_balance":
            raise
        raise Conflict(f"the customer has less bonus than bonus_redeemed {amount}: {e.message}",
                       field="bonus_redeemed", code="insufficient_bonus",
                       **{k: v for k, v in e.extra.items() if k == "available"}) from e


def give_back(sql: Sql, order_id: str) -> None:
    """The order's redemption back to the customer, once (no-op for an order that redeemed
    nothing at the hub, e.g. one placed before the hub covered redemptions)."""
    row = sql.one("SELECT created_by, customer_phone, bonus_redeemed FROM hub_order "
                  "WHERE order_id = ?", (order_id,))
    if row is None or not row[2] or not row[1]:
        return
    channel, ref = _channel(row[0]), f"order:{order_id}"
    if sql.one("SELECT 1 FROM hub_loyalty_ref WHERE channel_id = ? AND ref = ? AND "
               "answer <> ''", (channel, ref)) is None:
        return
    bonus_entries.post_in(sql, channel, {
        "ref": f"{ref}:cancelled", "phone": row[1], "kind": "reversal", "channel": channel,
        "reverses": ref, "amount": int(row[2])})
