"""Returns here of a sale made in another store of the chain (or online).

``POST /api/v1/returns`` with ``"origin": {"store_id", "sale_id" | "sale_number",
"shift_number"?}`` and ``lines: [{"line_id", "qty"}]`` (the original's lines).  The store
asks the hub (``HubClient.lookup_sale``), which is the authority for what is still
returnable; each line is refunded its share of the original's net amount.  The stock comes
back here; the bonus the sale redeemed on those goods is given back and the bonus it earned
on them taken back (as far as the balance goes), by the same sharing rule as a return in the
selling store, both posted to the customer's one chain-wide ledger (the hub's).

With the hub out of reach ``[returns] foreign_offline`` decides: ``refuse`` (409
``hub_unreachable``), or ``approve``: a manager approves, each line carries its ``sku`` and
``price``, and the hub flags the return if it turns out to be a double one.
"""

from __future__ import annotations

from decimal import Decimal

from . import cashiers, chain_customers, free_returns
from .catalog import product_by_sku
from .doc_lines import line_objects
from .errors import Conflict, Invalid, NotFound, require_client_ref
from .money import line_amount, parse_qty, require_amount, share


def _origin(store, body: dict) -> dict:
    o = body.get("origin")
    if not isinstance(o, dict):
        raise Invalid("origin must be {store_id, sale_id or sale_number}", field="origin")
    sid = o.get("store_id")
    if not isinstance(sid, str) or not sid.strip() or len(sid) > 64:
        raise Invalid("origin.store_id is required: the store (or channel) that sold",
                      field="origin.store_id")
    if sid.strip() == store.store_id:
        raise Invalid("that sale was made here: return it by its sale_id",
                      field="origin.store_id", code="own_sale")
    out = {"store_id": sid.strip()}
    for key in ("sale_id", "sale_number", "shift_number"):
        v = o.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**63):
            raise Invalid(f"origin.{key} must be a whole number", field=f"origin.{key}")
        out[key] = v
    if out["sale_id"] is None and out["sale_number"] is None:
        raise Invalid("origin needs sale_id or sale_number", field="origin.sale_id")
    return out


def _wanted(lines) -> list[dict]:
    out = []
    for f, ln in line_objects(lines):
        lid = ln.get("line_id")
        if isinstance(lid, bool) or not isinstance(lid, int) or lid <= 0:
            raise Invalid(f"{f}.line_id must be a line id of the original sale",
                          field=f"{f}.line_id")
        out.append({**ln, "line_id": lid, "qty_milli": parse_qty(ln.get("qty"), f"{f}.qty"),
                    "f": f})
    return out


def _milli(qty) -> int:
    return int(Decimal(str(qty)) * 1000)


def _priced_online(original: dict, wanted: list[dict]) -> list[dict]:
    by_id = {ln["line_id"]: ln for ln in original["lines"]}
    items = []
    for w in wanted:
        ln = by_id.get(w["line_id"])
        if ln is None:
            raise Invalid(f"line {w['line_id']} is not a line of that sale", field=w["f"])
        sold, done = _milli(ln["qty"]), _milli(ln["returned_qty"])
        if done + w["qty_milli"] > sold:
            raise Conflict(f"{ln.get('name') or ln['sku']}: only {ln['returnable_qty']} left to "
                           "return (the hub counts returns in every store)", field="lines",
                           code="return_exceeds_sale", line_id=w["line_id"])
        product = product_by_sku(ln["sku"])
        if product.unit == "pcs" and w["qty_milli"] % 1000:
            raise Invalid(f"{w['f']}.qty must be whole", field=f"{w['f']}.qty")
        upto = done + w["qty_milli"]
        amount = share(ln["amount"], upto, sold) - share(ln["amount"], done, sold)
        price = max(1, ln.get("price") or amount)
        items.append({"product": product, "qty_milli": w["qty_milli"], "price": price,
                      "amount": amount, "origin_line_id": w["line_id"],
                      "bonus": (share(ln.get("bonus_earned") or 0, upto, sold)
                                - share(ln.get("bonus_earned") or 0, done, sold)),
                      "restore": (share(ln.get("bonus_redeemed") or 0, upto, sold)
                                  - share(ln.get("bonus_redeemed") or 0, done, sold))})
    return items


def _priced_offline(wanted: list[dict]) -> list[dict]:
    items = []
    for w in wanted:
        f = w["f"]
        if not isinstance(w.get("sku"), str):
            raise Invalid(f"{f}.sku is required while the hub is out of reach", field=f"{f}.sku")
        product = product_by_sku(w["sku"])
        price = w.get("price")
        if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
            raise Invalid(f"{f}.price must be a positive whole number of kopecks (the "
                          "receipt's price) while the hub is out of reach", field=f"{f}.price",
                          code="bad_price")
        require_amount(price, f"{f}.price")
        items.append({"product": product, "qty_milli": w["qty_milli"], "price": price,
                      "amount": line_amount(price, w["qty_milli"]),
                      "origin_line_id": w["line_id"], "bonus": 0, "restore": 0})
    return items


def lookup_by_phone(store, raw_phone) -> dict:
    """The customer's recent sales in the other stores of the chain (the hub answers, with
    what is still returnable): the returns screen lets the cashier pick one, then returns it
    with ``origin: {store_id, sale_id}``.  Needs the hub: ``409 hub_unreachable`` without."""
    from .loyalty import normalize_phone
    phone = normalize_phone(raw_phone)
    if store.hub is None:
        raise Conflict("no hub is configured: a sale of another store is found by its receipt "
                       "number only", field="phone", code="hub_unreachable")
    try:
        items = store.hub.sales_by_phone(phone, timeout=store.config.get("returns",
                                                                         "hub_timeout"))
    except Exception:  # out of reach or refusing: the receipt number still works offline
        raise Conflict("the hub is out of reach: find the sale by the store and receipt "
                       "number", field="phone", code="hub_unreachable") from None
    return {"phone": phone, "items": items}


def commit(store, session, body: dict) -> tuple[dict, bool]:
    client_ref = require_client_ref(body)
    if (found := free_returns.existing(client_ref)) is not None:
        return found, False
    origin = _origin(store, body)
    wanted = _wanted(body.get("lines"))
    original, offline = None, False
    if store.hub is None:
        offline = True
    else:
        try:
            original = store.hub.lookup_sale(
                origin["store_id"], origin["sale_id"], origin["sale_number"],
                origin["shift_number"], timeout=store.config.get("returns", "hub_timeout"))
        except Exception:  # out of reach (or refusing): the offline rule decides
            offline = True
        else:
            if original is None:
                raise NotFound(f"the hub knows no such sale of {origin['store_id']}",
                               field="origin", code="unknown_sale")
    if offline:
        if store.config.get("returns", "foreign_offline") != "approve":
            raise Conflict("the hub is out of reach, and this store returns another store's "
                           "sale only once the hub confirms what is left to return",
                           field="origin", code="hub_unreachable")
        items = _priced_offline(wanted)
    else:
        if original.get("voided"):
            raise Conflict("that sale was voided: nothing can be returned", field="origin",
                           code="sale_voided")
        items = _priced_online(original, wanted)
    total = sum(it["amount"] for it in items)
    refunds = free_returns.refunds_for(body.get("refunds"), total,
                                       (original or {}).get("paid_by_card", 0))
    approver = cashiers.approve(store, session, "a return of another store's sale",
                                body.get("approval_pin"), body.get("approval_login"))
    sale_ref = str(original["sale_id"]) if original else (
        str(origin["sale_id"]) if origin["sale_id"] else f"n{origin['sale_number']}")
    phone = (original or {}).get("customer_phone")
    bonus = sum(it["bonus"] for it in items)
    restore = sum(it["restore"] for it in items)
    if phone and (bonus or restore) and chain_customers.refreshed(store, phone) is None:
        phone = None  # not a customer this chain knows: nothing to take back or give back
    result = free_returns.record(
        store, session, client_ref, "foreign", items, refunds, approver,
        reason=body.get("reason") if isinstance(body.get("reason"), str) else None,
        origin_store=origin["store_id"], origin_sale=sale_ref,
        extra={"offline": offline, "customer_phone": phone},
        bonus_phone=phone, bonus_reversed=bonus, bonus_restored=restore)
    return result
