"""The hub's stock-document tables (schema step 5 in ``migrations``); the routes and the
event handling are in ``stock_docs``."""

from __future__ import annotations

from peewee import AutoField, BigIntegerField, CharField, CompositeKey, TextField

from .models import HubModel


class HubDelivery(HubModel):
    """An expected delivery for one store (``delivery_id`` = ``H<id>``)."""

    id = AutoField()
    store_id = CharField(max_length=64)
    number = CharField(max_length=60)
    supplier = CharField(max_length=200)
    lines = TextField()  # [{"sku","qty","price"?,"name"?}]
    digest = CharField(max_length=64)
    status = CharField(max_length=16, default="expected")  # expected | received
    act = TextField(null=True)
    received_seq = BigIntegerField(null=True)
    created_by = CharField(max_length=100)
    created_at = CharField()
    feed_cursor = BigIntegerField(null=True, index=True)

    class Meta:
        indexes = ((("store_id", "supplier", "number"), True),)


class HubDeliveryReceipt(HubModel):
    """A delivery a store received (expected or not), with its discrepancy act."""

    store_id = CharField(max_length=64)
    delivery_id = BigIntegerField()
    ref = CharField()
    number = CharField()
    supplier = CharField()
    act_number = BigIntegerField()
    act = TextField()
    received_at = CharField()
    seq = BigIntegerField()

    class Meta:
        primary_key = CompositeKey("store_id", "delivery_id")


class HubTransfer(HubModel):
    transfer_id = CharField(primary_key=True, max_length=80)
    from_store = CharField(max_length=64)
    to_store = CharField(max_length=64, index=True)
    lines = TextField(default="[]")  # as sent
    status = CharField(max_length=16)  # sent | received
    sent_seq = BigIntegerField(null=True)
    received_seq = BigIntegerField(null=True)
    sent_at = CharField(null=True)
    received_at = CharField(null=True)
    updated_at = CharField()
    feed_cursor = BigIntegerField(null=True, index=True)


class HubTransferLine(HubModel):
    """Per transfer and SKU: in transit = sent - received (commutes: see stock_doc_events)."""

    transfer_id = CharField(max_length=80)
    sku = CharField(index=True)
    from_store = CharField(max_length=64)
    to_store = CharField(max_length=64)
    sent_milli = BigIntegerField()
    received_milli = BigIntegerField()

    class Meta:
        primary_key = CompositeKey("transfer_id", "sku")


class HubStockDoc(HubModel):
    """A store's count, write-off or other stock document, with its lines."""

    store_id = CharField(max_length=64)
    doc_id = BigIntegerField()
    kind = CharField(max_length=32)
    reason = CharField(null=True)
    scope = CharField(max_length=16, null=True)
    lines = TextField()
    seq = BigIntegerField()
    created_at = CharField()

    class Meta:
        primary_key = CompositeKey("store_id", "doc_id")


STOCK_DOC_TABLES = [HubDelivery, HubDeliveryReceipt, HubTransfer, HubTransferLine, HubStockDoc]
