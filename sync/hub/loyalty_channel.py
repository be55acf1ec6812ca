"""The hub's routes for one bonus balance across channels (registered by ``create_app``).

- ``POST /hub/v1/loyalty/entries`` (channel): accrual, redemption, reversal by ``ref``.
- ``GET /hub/v1/loyalty/customers/{phone}`` (channel or store): ``{"phone","balance","as_of"}``;
  a store looking a phone up has seen it, so the customer's balance goes down its feed.
- ``POST /hub/v1/customers`` (store or channel): 201 new with the welcome bonus, 200 known.
- ``POST /hub/v1/customers/{phone}/adjustments`` (admin): a manual adjustment, audited.
"""

from __future__ import annotations

import json

from flask import jsonify, request

from . import bonus_entries, channels, loyalty, membership, validate
from .db import retrying
from .errors import BadRequest
from .sql import Sql


def _body():
    data = validate.parse_json(request.get_data(cache=True) or b"null")
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    return data


def lookup(db, who: tuple[str, str], phone: str) -> dict:
    """The customer as the caller may see it; a store's lookup marks the phone seen."""
    phone = bonus_entries.chain_phone(phone)
    if who[0] == "store":
        retrying(db, lambda: membership.mark_seen(Sql(db), who[1], [phone]))
    view = loyalty.customer_view(db, phone)
    if who[0] == "store":  # the balance and which of the store's entries it holds, read at once
        row = Sql(db).one("SELECT balance, ledger_seq, updated_at, store_entries FROM hub_customer "
                          "WHERE phone = ?", (phone,))
        view.update(balance=int(row[0]), ledger_seq=int(row[1]), as_of=row[2],
                    own_entry=int(json.loads(row[3] or "{}").get(who[1], 0)))
    return view


def register_loyalty_channel(app, db, auth) -> None:
    @app.post("/hub/v1/loyalty/entries")
    def loyalty_entry():
        channel_id = channels.channel(auth)
        status, answer = bonus_entries.post_entry(db, channel_id, _body())
        return jsonify(answer), status

    @app.get("/hub/v1/loyalty/customers/<phone>")
    def loyalty_customer(phone):
        return jsonify(lookup(db, channels.caller(auth), phone))

    @app.post("/hub/v1/customers")
    def register_customer():
        who = channels.caller(auth)
        data = _body()
        phone = bonus_entries.chain_phone(data.get("phone"))
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > 200):
            raise BadRequest("name must be text of at most 200 characters", field="name")
        welcome = data.get("welcome_bonus") if who[0] == "store" else None
        if welcome is not None:
            welcome = bonus_entries._amount(welcome, "welcome_bonus", zero=True)
        name = bonus_entries.clean_text((name or "").strip(), "name") or None
        status, view = retrying(db, lambda: membership.register(
            Sql(db), phone, name, who, welcome))
        return jsonify(view), status

    @app.post("/hub/v1/customers/<phone>/adjustments")
    def adjust_customer(phone):
        auth.admin()
        data = _body()
        phone = bonus_entries.chain_phone(phone)
        amount = data.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 \
                or abs(amount) > bonus_entries.MAX_AMOUNT:
            raise BadRequest("amount must be a non-zero whole number of kopecks", field="amount")
        reason = bonus_entries._text(data.get("reason"), "reason", 200)
        by = bonus_entries._text(data.get("by"), "by", 100)
        if len(reason) < 3:
            raise BadRequest("a reason is required", field="reason")
        return jsonify(retrying(db, lambda: membership.adjust(Sql(db), phone, amount, reason,
                                                             by))), 201
