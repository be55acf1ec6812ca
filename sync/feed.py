"""The feed puller: catalog and prices, other stores' stock, loyalty balances from the hub.

Each page of items is applied in one ``store.db.write()`` transaction together with the
new cursor, so a crash between pages repeats at most a page, and every item is applied
idempotently (upserts keyed by SKU, by (store, SKU), by phone).  Items at or below the
cursor already on disk are skipped, so two pullers never move a value backwards.  An item
the store cannot take (a barcode that belongs to another SKU here) is skipped and logged;
it never stops the feed.
"""

from __future__ import annotations

import json
import logging

from peewee import DatabaseError

from agent import catalog, catalog_bulk, clock, deliveries, orders, outbox, transfers
from agent.errors import StoreError
from agent.models import Customer, RemoteStock, database

from .errors import HubRefused, HubUnavailable
from .state import record_error
from .worker import Worker

log = logging.getLogger("store_agent.sync")
PAGE = 5000  # the hub's largest page: fewer round trips, bigger set-based writes
STOCK_DOC_ITEMS = {"delivery.expected": lambda store, p: deliveries.expect_from_hub(p),
                   "transfer.incoming": transfers.incoming,
                   "order.placed": orders.placed}  # pick-up orders (and their cancellation)


def _milli(text) -> int:
    from decimal import Decimal
    q = Decimal(str(text))
    if q != q.quantize(Decimal("0.001")):
        raise ValueError(f"bad quantity {text!r}")
    return int(q * 1000)


def product_row(p: dict) -> dict:
    """A feed product -> the values ``catalog_bulk.write`` takes, or ValueError."""
    if not isinstance(p.get("price"), int) or isinstance(p.get("price"), bool):
        raise ValueError("price must be whole kopecks")
    if p.get("unit") not in catalog.UNITS or str(p.get("vat")) not in catalog.VAT_RATES:
        raise ValueError("unit or vat is not one the store knows")
    sku, name = str(p["sku"]), str(p["name"])
    if not 0 < len(sku) <= 64 or not 0 < len(name) <= 255:
        raise ValueError("sku or name is empty or too long")
    codes = p.get("barcodes") or []
    if not isinstance(codes, list):
        raise ValueError("barcodes must be a list")
    return {"sku": sku, "name": name, "price": p["price"], "unit": p["unit"],
            "vat": str(p["vat"]), "barcodes": list(dict.fromkeys(str(c) for c in codes)),
            **({"hidden": bool(p["hidden"])} if "hidden" in p else {})}


def apply_product(p: dict) -> None:
    """One product on its own (the slow path, when a set-based page cannot be written)."""
    v = product_row(p)
    extra = {"hidden": v["hidden"]} if "hidden" in v else {}
    with database.atomic():  # a savepoint: a refused product leaves nothing behind
        catalog.upsert(v["sku"], v["name"], v["price"], v["unit"], v["vat"], v["barcodes"],
                       **extra)


def apply_products(items: list[dict]) -> int:
    """Product items of one page, set-based (the CSV import's writer); returns how many
    were applied.  A product the store cannot take is skipped and logged, as one by one."""
    rows = []
    for item in items:
        try:
            rows.append((item.get("cursor"), product_row(item.get("payload") or {})))
        except (ValueError, KeyError, TypeError) as e:
            log.warning("feed item %s (product.upserted) skipped: %s", item.get("cursor"), e)
    if not rows:
        return 0
    try:
        with database.atomic():  # a savepoint: on a surprise, fall back to one by one
            done = catalog_bulk.write(rows, clock.iso())
    except (StoreError, DatabaseError) as e:
        log.warning("feed page written product by product: %s", e)
        applied = 0
        for cursor, v in rows:
            try:
                apply_product(v)
                applied += 1
            except (StoreError, DatabaseError, ValueError) as e:
                msg = getattr(e, "message", None) or str(e)
                log.warning("feed item %s (product.upserted) skipped: %s", cursor, msg)
        return applied
    for cursor, message in done.rejected:
        log.warning("feed item %s (product.upserted) skipped: %s", cursor, message)
    return len(rows) - len(done.rejected)


def apply_stock(store_id: str, p: dict) -> None:
    if p.get("store_id") == store_id:
        return  # our own stock is what our ledger says, never what the hub echoes
    milli = _milli(p["on_hand"])
    RemoteStock.insert(store_id=str(p["store_id"]), sku=str(p["sku"]), on_hand_milli=milli,
                       updated_at=clock.iso()).on_conflict(
        conflict_target=[RemoteStock.store_id, RemoteStock.sku],
        update={RemoteStock.on_hand_milli: milli, RemoteStock.updated_at: clock.iso()}).execute()


def apply_balance(p: dict, own_store_id: str | None = None) -> None:
    """The hub's balance and which of our own entries it already includes (so the store's
    balance is the hub's plus our entries the hub has not applied yet)."""
    phone, seq = str(p["phone"]), int(p.get("ledger_seq") or 0)
    own = int((p.get("store_entries") or {}).get(own_store_id, 0) or 0)
    if not isinstance(p.get("balance"), int):
        raise ValueError("balance must be whole kopecks")
    row = Customer.get_or_none(Customer.phone == phone)
    if row is None:
        Customer.create(phone=phone, name=p.get("name"), created_at=clock.iso(),
                        hub_balance=p["balance"], hub_confirmed_at=p.get("as_of") or clock.iso(),
                        hub_ledger_seq=seq, hub_own_entry=own,
                        hub_notes=json.dumps(p["notes"], ensure_ascii=False)
                        if isinstance(p.get("notes"), list) else None)
        return
    if seq < (row.hub_ledger_seq or 0):
        return  # an older balance than the one we hold
    fields = {Customer.hub_balance: p["balance"],
              Customer.hub_confirmed_at: p.get("as_of") or clock.iso(),
              Customer.hub_ledger_seq: seq, Customer.hub_own_entry: own}
    if not row.name and p.get("name"):
        fields[Customer.name] = p["name"]
    if isinstance(p.get("notes"), list):  # e.g. a duplicate welcome the hub reversed
        fields[Customer.hub_notes] = json.dumps(p["notes"], ensure_ascii=False)
    Customer.update(fields).where(Customer.phone == phone).execute()


def apply_items(store, items: list[dict], cursor: int, reset: bool = False) -> int:
    """Apply one page and keep its cursor, in one transaction; returns items applied.
    ``reset``: the hub's feed started over (a new hub database), so our cursor is void."""
    applied = 0
    with store.db.write():
        held = 0 if reset else int(outbox.get_state("feed_cursor", "0") or 0)
        products: list[dict] = []  # a run of product items, written together
        for item in items:
            if item.get("cursor", 0) <= held:
                continue
            kind, p = item.get("type"), item.get("payload") or {}
            if kind == "product.upserted":
                products.append(item)
                continue
            if products:  # in feed order: products before the items that follow them
                applied += apply_products(products)
                products = []
            try:
                if kind == "stock.level":
                    apply_stock(store.store_id, p)
                elif kind == "loyalty.balance":
                    apply_balance(p, store.store_id)
                elif kind in STOCK_DOC_ITEMS:  # deliveries, transfers, pick-up orders
                    with database.atomic():  # a savepoint: a refused item leaves nothing
                        STOCK_DOC_ITEMS[kind](store, p)
                else:
                    continue
                applied += 1
            except (StoreError, ValueError, KeyError, TypeError) as e:
                msg = getattr(e, "message", None) or str(e)
                log.warning("feed item %s (%s) skipped: %s", item.get("cursor"), kind, msg)
        if products:
            applied += apply_products(products)
        if cursor > held or reset:
            outbox.set_state("feed_cursor", cursor)
        outbox.set_state("last_feed_at", clock.iso())
    return applied


class FeedPuller(Worker):
    name = "feed-puller"

    def __init__(self, store, client, live, interval: float = 30.0, page: int = PAGE):
        super().__init__(interval)
        self.store, self.client, self.live, self.page = store, client, live, page

    def run_once(self, retry_forever: bool = False) -> int:
        total = 0
        try:
            while not self.stopping.is_set():
                after = int(outbox.get_state("feed_cursor", "0") or 0)
                data = self._fetch(after, retry_forever)
                total += apply_items(self.store, data["items"], data["cursor"],
                                     bool(data.get("reset")))
                if self.live:
                    self.live.hub_reachable = True
                if len(data["items"]) < self.page or (data["cursor"] <= after and not data.get("reset")):
                    break
        except HubRefused as e:
            record_error(self.store, self.live, "feed: " + e.message, reachable=True)
            raise
        except HubUnavailable as e:
            record_error(self.store, self.live, "feed: " + e.message, reachable=False)
            raise
        return total

    def _fetch(self, after: int, retry_forever: bool) -> dict:
        for attempt in self.retrying(retry_forever):
            with attempt:
                return self.client.feed(after, self.page)
        raise HubUnavailable("stopped")
