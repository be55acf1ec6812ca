"""The hub's pick-up order tables (schema step 6 in ``migrations``); the routes, the feed
items and the event handling are in ``orders``, the notifications in ``notify``."""

from __future__ import annotations

from peewee import AutoField, BigIntegerField, CharField, CompositeKey, IntegerField, TextField

from .models import HubModel


class HubOrder(HubModel):
    """An order a channel (the site) placed for pick-up in one store."""

    order_id = CharField(primary_key=True, max_length=64)
    store_id = CharField(max_length=64, index=True)
    status = CharField(max_length=20)  # the order's status as the hub knows it
    store_status = CharField(max_length=20, null=True)  # the store's last reported status
    customer_phone = CharField(max_length=20, null=True)
    lines = TextField()  # as placed: [{"sku"|"barcode","qty","price"}]
    prepaid = BigIntegerField()
    bonus_redeemed = BigIntegerField()
    total = BigIntegerField()
    reason = CharField(null=True)
    sale_id = BigIntegerField(null=True)
    digest = CharField(max_length=64)
    created_by = CharField(max_length=100)
    created_at = CharField()
    updated_at = CharField()
    ready_at = CharField(null=True)
    feed_cursor = BigIntegerField(null=True, index=True)
    problem = CharField(null=True)  # why the store could not take it (schema step 11)


class HubOrderLine(HubModel):
    """Per order and SKU as the store resolved it (its events): reserved at the hub is the
    sum over orders whose store status holds goods."""

    order_id = CharField(max_length=64)
    sku = CharField(max_length=64, index=True)
    store_id = CharField(max_length=64)
    qty_milli = BigIntegerField()

    class Meta:
        primary_key = CompositeKey("order_id", "sku")


class HubOrderHistory(HubModel):
    id = AutoField()
    order_id = CharField(max_length=64, index=True)
    status = CharField(max_length=20)
    at = CharField()
    by = CharField(max_length=100, null=True)
    reason = CharField(null=True)
    seq = BigIntegerField(null=True)  # the store's event, when the store reported it


class HubNotification(HubModel):
    """A message for the customer ("your order is ready"), written in the ingest
    transaction and sent by the notifier's worker (``notify``), never during ingest."""

    id = AutoField()
    order_id = CharField(max_length=64)
    kind = CharField(max_length=20)
    payload = TextField()
    status = CharField(max_length=16, index=True)  # pending | sent | failed
    attempts = IntegerField(default=0)
    next_at = CharField()
    last_error = CharField(null=True)
    created_at = CharField()
    sent_at = CharField(null=True)


ORDER_TABLES = [HubOrder, HubOrderLine, HubOrderHistory, HubNotification]
