"""Customers of the chain, known through the hub: one phone, one welcome bonus, one balance.

The hub is the authority on who is a customer.  Registration asks it first (short timeout):
it grants the welcome bonus once per phone across the chain, and the store keeps only the
hub's confirmed balance.  With the hub out of reach the store registers the customer itself
with a provisional welcome bonus; the hub reverses it on ingest if the phone already had
one, and says why (``notes``).  A phone this store has never seen is looked up on demand and
cached in ``customer`` with the time the hub confirmed its balance; from then on the feed
brings its balance (the hub sends a store only the customers it has seen).

The core never imports the sync layer: it calls methods of the hub client it was given
(``register_customer``, ``customer``), found by ``hub_client`` alone.
"""

from __future__ import annotations

import json
import logging

from . import clock
from .models import Customer
from .text import mask_phone

log = logging.getLogger("store_agent.loyalty")


def hub_client(store):
    """The hub client injected at start-up, or None for a store without a hub."""
    return store.hub


def _timeout(store) -> float:
    return store.config.get("loyalty", "authorize_timeout")


def register_at_hub(store, phone: str, name: str | None) -> tuple[dict, bool] | None:
    """(the hub's customer, new in the chain) or None when the hub cannot be asked now."""
    hub = hub_client(store)
    if hub is None:
        return None
    try:
        view, status = hub.register_customer(
            phone, name, store.config.get("loyalty", "welcome_bonus"), timeout=_timeout(store))
    except Exception as e:  # out of reach or refusing: register here, the hub reconciles
        log.info("registering %s at the hub failed (%s): registering offline",
                 mask_phone(phone), type(e).__name__)
        _heard(store, e)
        return None
    _heard(store)
    return view, status == 201


def _heard(store, failure: BaseException | None = None) -> None:
    """What a customer call learnt of the hub, for the offline bonus rule that the quote and
    the sale share: an answer (even a refusal) means it is up, no answer means it is down."""
    status = getattr(failure, "status", None) if failure is not None else 200
    store.hub_reachable = isinstance(status, int) and status < 500 and status != 429


def look_up(store, phone: str) -> dict | None:
    """The hub's view of ``phone`` (None: no hub, out of reach, or unknown to the chain)."""
    hub = hub_client(store)
    if hub is None:
        return None
    try:
        view = hub.customer(phone, timeout=_timeout(store))
    except Exception as e:  # offline: the cached view is what we have
        log.info("hub customer lookup failed: %s", type(e).__name__)
        _heard(store, e)
        return None
    _heard(store)
    return view


def cache(phone: str, view: dict, email: str | None = None) -> Customer:
    """Keep the hub's answer as this store's confirmed balance (never an older one).
    Caller holds the write transaction."""
    seq = int(view.get("ledger_seq") or 0)
    fields = {"hub_balance": int(view["balance"]), "hub_confirmed_at": clock.iso(),
              "hub_ledger_seq": seq, "hub_own_entry": int(view.get("own_entry") or 0),
              "hub_notes": json.dumps(view.get("notes") or [], ensure_ascii=False)}
    row = Customer.get_or_none(Customer.phone == phone)
    if row is None:
        return Customer.create(phone=phone, name=view.get("name"), email=email,
                               created_at=clock.iso(), **fields)
    if seq >= (row.hub_ledger_seq or 0):
        if not row.name and view.get("name"):
            fields["name"] = view["name"]
        Customer.update(**fields).where(Customer.phone == phone).execute()
    return Customer.get(Customer.phone == phone)


def refreshed(store, phone: str, with_remote: bool = False):
    """The customer here, refreshed from the hub when it answers; a phone this store has
    never seen is fetched on demand.  None when neither knows it.  ``with_remote`` also
    returns the hub's answer (or None)."""
    remote = look_up(store, phone)
    if remote is not None:
        with store.db.write():
            cache(phone, remote)
    c = Customer.get_or_none(Customer.phone == phone)
    return (c, remote) if with_remote else c


def known(store, phone: str):
    """The customer for a sale: the cached row, else (first visit here) the hub's."""
    c = Customer.get_or_none(Customer.phone == phone)
    return c if c is not None else refreshed(store, phone)


def notes(c: Customer) -> list[dict]:
    """What the hub did to this balance on its own account (a duplicate welcome reversed)."""
    try:
        return json.loads(c.hub_notes or "[]")
    except ValueError:
        return []
