"""Loyalty by phone: one customer, one bonus balance, the sum of a ledger.

Rules (``[loyalty]`` in config.toml): a welcome bonus on creation; accrual of a percent of
what was paid in money (never of the part paid with bonus), only on a committed (fully
paid) sale; redemption capped by the balance and by a percent of the receipt; excluded SKUs
neither earn nor may be paid by bonus.  Every entry is an outbox event in the transaction
of the sale, return or adjustment that made it.

Redemption online asks the hub first (it holds the amount, so two stores cannot spend one
balance); offline a store may spend at most the last hub-confirmed balance minus its own
redemptions since, while that confirmation is younger than ``max_offline_age``, and at most
``offline_redeem_cap`` per sale.  The hub's ledger is the authority; entries made in other
stores are in the hub's confirmed balance, which the feed brings, so a store's balance
(that balance plus its own entries the hub has not applied) equals the hub's after sync.
"""

from __future__ import annotations

import phonenumbers

from . import cashiers, chain_customers, clock, outbox, sql
from .errors import Conflict, Forbidden, Invalid, NotFound
from .models import BonusEntry, Customer, Sale
from .money import require_amount, share


def normalize_phone(raw, region: str = "RU") -> str:
    """Any usual spelling ('8 916 123-45-67', '+7 (916) 123 45 67') -> '+79161234567'."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        raise Invalid("phone is required", field="phone")
    text = raw.strip()
    if region == "RU" and text.startswith("8") and len([c for c in text if c.isdigit()]) == 11:
        text = "+7" + "".join(c for c in text if c.isdigit())[1:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise Invalid(f"{raw!r} is not a phone number", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid(f"{raw!r} is not a valid phone number", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _rules(store) -> dict:
    return store.config.section("loyalty")


def _phone(store, raw) -> str:
    return normalize_phone(raw, _rules(store)["default_region"])


def balance(phone: str) -> int:
    """The customer's balance as this store knows it.

    With a hub, the last balance the hub confirmed plus this store's own entries the hub had
    not applied yet (the hub says which); the hub's ledger is the authority, and once synced
    the two are equal.  Without a hub, the sum of the local ledger.
    """
    hub = sql.one("SELECT hub_balance, hub_own_entry FROM customer WHERE phone = ?", (phone,))
    if hub and hub["hub_balance"] is not None:
        return hub["hub_balance"] + (sql.scalar(
            "SELECT SUM(amount) FROM bonus_entry WHERE phone = ? AND origin = 'store' AND id > ?",
            (phone, hub["hub_own_entry"] or 0)) or 0)
    return sql.scalar("SELECT SUM(amount) FROM bonus_entry WHERE phone = ?", (phone,)) or 0


def accrual_for(paid: int, percent: int) -> int:
    """The bonus earned on money paid, the chain's one accrual rule (tills per line, the
    hub for a site's order): ``percent`` of it, rounded down to the kopeck."""
    return paid * percent // 100


def _customer(phone: str) -> Customer:
    c = Customer.get_or_none(Customer.phone == phone)
    if c is None:
        raise NotFound(f"no customer with phone {phone}", field="phone", code="unknown_customer")
    return c


def post(store, phone: str, kind: str, amount: int, *, sale_id=None, return_id=None,
         reason=None, cashier=None) -> BonusEntry | None:
    """One ledger entry and its event.  Caller holds the write transaction."""
    if amount == 0:
        return None
    now = clock.iso()
    days = _rules(store)["expiry_days"]
    expires = clock.later(days * 86400) if kind == "accrual" and days else None
    entry = BonusEntry.create(customer=phone, kind=kind, amount=amount, sale_id=sale_id,
                              return_id=return_id, reason=reason, cashier=cashier,
                              created_at=now, expires_at=expires)
    entry.hub_entry_id = f"{store.store_id}:{entry.id}"
    ev = outbox.emit("loyalty.posted", {
        "entry_id": entry.id, "hub_entry_id": entry.hub_entry_id, "phone": phone, "kind": kind,
        "amount": amount, "sale_id": sale_id, "return_id": return_id, "reason": reason,
        "cashier": cashier, "created_at": now, "expires_at": expires})
    entry.seq = ev.seq
    entry.save()
    return entry


def customer_dict(c: Customer) -> dict:
    return {"phone": c.phone, "name": c.name, "email": c.email, "bonus_balance": balance(c.phone),
            "balance_confirmed_at": c.hub_confirmed_at, "hub_balance": c.hub_balance,
            "notes": chain_customers.notes(c)}


def get_customer(store, raw_phone) -> dict:
    return customer_dict(_customer(_phone(store, raw_phone)))


def find_customer(store, raw_phone) -> tuple[dict, dict | None]:
    """(the customer, the hub's answer or None): refreshed from the hub when it answers,
    fetched from it on demand when this store has never seen the phone."""
    phone = _phone(store, raw_phone)
    c, remote = chain_customers.refreshed(store, phone, with_remote=True)
    if c is None:
        raise NotFound(f"no customer with phone {phone}", field="phone", code="unknown_customer")
    return customer_dict(c), remote


def register(store, session, raw_phone, name=None, email=None) -> tuple[dict, bool]:
    """(customer, new in the chain).  The hub is asked first: one welcome bonus per phone
    across the chain.  Out of its reach the store registers the phone with a provisional
    welcome bonus, which the hub reverses on ingest if another store was first."""
    phone = _phone(store, raw_phone)
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise Invalid("name must be text of at most 200 characters", field="name")
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 200):
        raise Invalid("email is not an e-mail address", field="email")
    name = (name or "").strip() or None
    exists = Conflict(f"a customer with phone {phone} already exists", field="phone",
                      code="customer_exists")
    if Customer.get_or_none(Customer.phone == phone):
        raise exists
    remote = chain_customers.register_at_hub(store, phone, name)  # never inside a transaction
    with store.db.write():
        if Customer.get_or_none(Customer.phone == phone):
            raise exists
        if remote is not None:  # the hub granted the welcome bonus (or knew the phone)
            c = chain_customers.cache(phone, remote[0], email)
            created = remote[1]
        else:
            c = Customer.create(phone=phone, name=name, email=email, created_at=clock.iso())
            created = True
        outbox.emit("customer.upserted", {"phone": phone, "name": c.name, "email": email,
                                          "created_at": c.created_at})
        if remote is None:
            why = "welcome bonus" if chain_customers.hub_client(store) is None else \
                "welcome bonus (provisional: the hub was out of reach)"
            post(store, phone, "welcome", _rules(store)["welcome_bonus"],
                 cashier=session.cashier.login if session else None, reason=why)
    return customer_dict(c), created


def create_customer(store, session, raw_phone, name=None, email=None) -> dict:
    return register(store, session, raw_phone, name, email)[0]


MIN_REASON = 3  # characters of a manual adjustment's reason


def adjust(store, session, raw_phone, amount, reason) -> dict:
    """A manual adjustment: off unless ``[loyalty] store_adjustments`` (chains adjust in the
    loyalty office, at the hub); a manager's only, with a reason, audited; never below zero."""
    if not _rules(store)["store_adjustments"]:
        raise Forbidden("bonus balances are adjusted in the loyalty office (the hub), not in "
                        "the store", code="adjustments_disabled")
    cashiers.require_role(session, "manager", "a manual bonus adjustment")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise Invalid("amount must be a non-zero whole number of kopecks", field="amount")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        given = len(reason.strip()) if isinstance(reason, str) else 0
        raise Invalid(f"the reason must be at least {MIN_REASON} characters long"
                      + (f" (it has {given})" if given else ""), field="reason",
                      min_length=MIN_REASON)
    phone = _phone(store, raw_phone)
    with store.db.write():
        _customer(phone)
        if balance(phone) + amount < 0:
            raise Conflict("the adjustment would make the balance negative", field="amount",
                           code="bonus_exceeds_balance", limit="balance", available=balance(phone))
        post(store, phone, "adjustment", amount, reason=reason.strip()[:200],
             cashier=session.cashier.login)
        cashiers.audit("bonus.adjusted", session.cashier, phone=phone, amount=amount,
                       reason=reason.strip()[:200])
    return get_customer(store, phone)


def ledger(store, raw_phone, limit=100) -> list[dict]:
    phone = _phone(store, raw_phone)
    _customer(phone)
    q = BonusEntry.select().where(BonusEntry.customer == phone).order_by(BonusEntry.id.desc())
    return [{"kind": e.kind, "amount": e.amount, "sale_id": e.sale_id, "return_id": e.return_id,
             "reason": e.reason, "cashier": e.cashier, "created_at": e.created_at,
             "origin": e.origin} for e in q.limit(limit)]


def _offline_allowance(store, c: Customer) -> tuple[int, str]:
    """What may be spent with the hub out of reach: the last hub-confirmed balance minus this
    store's redemptions the hub had not applied, while that confirmation is fresh, capped."""
    rules = _rules(store)
    if c.hub_balance is None or not c.hub_confirmed_at:
        return 0, "the hub has never confirmed this balance"
    age = (clock.now() - clock.parse(c.hub_confirmed_at)).total_seconds()
    if age > rules["max_offline_age"]:
        return 0, "the balance was confirmed too long ago"
    spent_since = -(sql.scalar(
        "SELECT SUM(amount) FROM bonus_entry WHERE phone = ? AND origin = 'store'"
        " AND kind = 'redemption' AND id > ?", (c.phone, c.hub_own_entry or 0)) or 0)
    return max(0, min(c.hub_balance - spent_since, rules["offline_redeem_cap"])), "offline limit"


def plan(store, raw_phone, lines: list[dict], redeem, committing=False, client_ref=None) -> dict:
    """What may be redeemed and what will be earned; allocates both to the lines in place."""
    rules = _rules(store)
    if not rules["enabled"]:
        raise Invalid("loyalty is switched off in this store", field="customer_phone")
    if not raw_phone:
        raise Invalid("redeeming bonus needs the customer's phone", field="customer_phone")
    phone = normalize_phone(raw_phone, rules["default_region"]) if isinstance(raw_phone, str) \
        else normalize_phone(None)
    c = chain_customers.known(store, phone) or _customer(phone)
    redeem = require_amount(redeem or 0, "redeem_bonus")
    excluded = set(rules["excluded_skus"])
    eligible = [ln for ln in lines if ln["sku"] not in excluded]
    eligible_total = sum(ln["amount"] for ln in eligible)
    have = balance(phone)
    cap = eligible_total * min(max(rules["redeem_cap_percent"], 0), 100) // 100
    max_redeem = max(0, min(have, cap))
    if redeem > have:
        raise Conflict(f"only {have} kopecks of bonus on the balance", field="redeem_bonus",
                       code="bonus_exceeds_balance", limit="balance", available=have)
    if redeem > cap:
        raise Conflict(f"at most {cap} kopecks of this receipt may be paid by bonus",
                       field="redeem_bonus", code="bonus_exceeds_cap", limit="cap", available=cap)
    offline = None
    if not committing and _hub_down(store):  # quote what the commit will allow
        offline, why = _offline_allowance(store, c)
        max_redeem = min(max_redeem, offline)
        if redeem > offline:
            _refuse_offline(offline, why)
    if committing and redeem:
        _authorize(store, c, redeem, client_ref)
    done = 0  # redemption shared over eligible lines; the shares add up exactly
    for ln in eligible:
        upto = done + ln["amount"]
        ln["discount"] = share(redeem, upto, eligible_total) - share(redeem, done, eligible_total)
        done = upto
    for ln in eligible:
        ln["bonus_earned"] = accrual_for(ln["amount"] - ln["discount"], rules["accrual_percent"])
    return {"phone": phone, "name": c.name, "balance": have, "max_redeem": max_redeem,
            "redeem": redeem, "earn": sum(ln["bonus_earned"] for ln in eligible),
            "confirmed_at": c.hub_confirmed_at, "offline_limit": offline}


def _hub_down(store) -> bool:
    """The hub is configured and its last call (sync or authorisation) did not reach it."""
    return store.hub is not None and store.hub_reachable is False


def _refuse_offline(allowed: int, why: str):
    raise Conflict(f"the hub is offline: at most {allowed} kopecks of bonus may be "
                   f"redeemed now ({why})", field="redeem_bonus",
                   code="bonus_exceeds_offline_limit", limit="offline", available=allowed)


def _authorize(store, c: Customer, redeem: int, client_ref) -> None:
    """Ask the hub (short timeout); offline fall back to the capped allowance."""
    hub = store.hub
    if hub is None:  # a store with no hub at all: its own ledger is the whole truth
        return
    rules = _rules(store)
    try:
        answer = hub.authorize_redemption(c.phone, redeem, client_ref,
                                          timeout=rules["authorize_timeout"])
    except Exception:  # the hub is out of reach: the offline rule decides
        store.hub_reachable = False
        allowed, why = _offline_allowance(store, c)
        if redeem > allowed:
            _refuse_offline(allowed, why)
        return
    store.hub_reachable = True
    if not answer.get("approved"):
        available = answer.get("available", 0)
        raise Conflict(f"the hub allows at most {available} kopecks of bonus now",
                       field="redeem_bonus", code="bonus_exceeds_balance", limit="balance",
                       available=available)


def recheck(store, plan: dict) -> None:
    """Inside the sale's transaction: the balance may have moved since the plan."""
    bonus = plan["bonus"]
    if bonus["redeem"] and balance(bonus["phone"]) < bonus["redeem"]:
        raise Conflict("the bonus balance changed: quote again", field="redeem_bonus",
                       code="bonus_exceeds_balance", limit="balance",
                       available=balance(bonus["phone"]))


def post_sale(store, sale: Sale, plan: dict) -> None:
    bonus, who = plan["bonus"], sale.cashier.login
    post(store, bonus["phone"], "redemption", -bonus["redeem"], sale_id=sale.id, cashier=who)
    post(store, bonus["phone"], "accrual", bonus["earn"], sale_id=sale.id, cashier=who)


def settle_return(phone: str, owed_reversal: int, restored: int, refund_total: int) -> int:
    """How much of the owed reversal must be kept back from the money refund.

    The earned bonus a return takes back may already be spent; the balance never goes
    below zero, so the shortfall is withheld from the refund instead (closing the
    "buy, spend the bonus, return" exploit).
    """
    after = balance(phone) + restored - owed_reversal
    return min(max(0, -after), refund_total)


def post_return(store, sale: Sale, ret) -> None:
    who = ret.cashier.login
    post(store, sale.customer_phone, "restore", ret.bonus_restored, sale_id=sale.id,
         return_id=ret.id, cashier=who)
    post(store, sale.customer_phone, "reversal", -ret.bonus_reversed, sale_id=sale.id,
         return_id=ret.id, cashier=who)


