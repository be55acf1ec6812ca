"""The hub's tables (peewee; SQLite or PostgreSQL).

Tables that grow with sales are keyed by ``store_id`` first, so PostgreSQL can partition
them by store without a code change.  Money is integer kopecks (BIGINT), quantities integer
thousandths.  ``feed_cursor`` is NULL while a row's change is not yet published to the
stores' feed (see ``feed.publish``).
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    IntegerField,
    Model,
    TextField,
)

hub_db = DatabaseProxy()


class HubModel(Model):
    class Meta:
        database = hub_db
        legacy_table_names = False


class HubSetting(HubModel):
    """Small facts: schema version, the admin token's hash."""

    key = CharField(primary_key=True)
    value = TextField()


class HubCounter(HubModel):
    """Monotonic counters; ``feed`` numbers published feed rows in commit order."""

    name = CharField(primary_key=True)
    value = BigIntegerField(default=0)


class HubStore(HubModel):
    store_id = CharField(primary_key=True, max_length=64)
    token_hash = CharField(unique=True)  # sha256 of the bearer token
    token_sealed = TextField()  # the token, encrypted with the hub's secret (HMAC key)
    pull_url = CharField(null=True)  # agent base URL for `store-hub pull`
    acked_through = BigIntegerField(default=0)  # highest contiguous seq held
    last_event_at = CharField(null=True)
    created_at = CharField()
    agent_version = CharField(null=True)  # as the store said on its last call
    last_seen_at = CharField(null=True)  # the store's last authenticated call
    store_seq = BigIntegerField(null=True)  # the store's outbox head, as it last said
    caught_up_at = CharField(null=True)  # last contact at which the hub held all of it


class HubProjection(HubModel):
    """How far the hub's projections (sales, lines, stock, bonuses) hold each store's
    events: ``1..projected_through`` (``ingest``, ``projector``).  A row of its own, so the
    projector never waits on the row a push updates."""

    store_id = CharField(primary_key=True, max_length=64)
    projected_through = BigIntegerField(default=0)


class HubSeenSignature(HubModel):
    """Signatures received in the last 10 minutes: a reused one is a replay (401)."""

    store_id = CharField(max_length=64)
    key = CharField(max_length=64)  # sha256 of method, path and signature
    seen_at = BigIntegerField(index=True)

    class Meta:
        primary_key = CompositeKey("store_id", "key")


class HubEvent(HubModel):
    """Every event ever received, once: unique (store_id, seq) and unique event_id."""

    store_id = CharField(max_length=64)
    seq = BigIntegerField()
    event_id = CharField(unique=True, max_length=64)
    type = CharField(max_length=64)
    schema = IntegerField()
    occurred_at = CharField()
    digest = CharField(max_length=64)  # sha256 of the canonical envelope
    payload = TextField()
    received_at = CharField()

    class Meta:
        primary_key = CompositeKey("store_id", "seq")


class HubSale(HubModel):
    store_id = CharField(max_length=64)
    sale_id = BigIntegerField()
    client_ref = CharField(null=True)
    number = IntegerField(null=True)
    shift_id = BigIntegerField(null=True)
    register_id = CharField(null=True)
    cashier = CharField(null=True)
    customer_phone = CharField(null=True, index=True)
    subtotal = BigIntegerField()
    total = BigIntegerField()
    paid = BigIntegerField()
    change = BigIntegerField()
    bonus_earned = BigIntegerField()
    bonus_redeemed = BigIntegerField()
    created_at = CharField()
    seq = BigIntegerField()
    manual_discount = BigIntegerField(default=0)  # taken off by hand (hub step 6)
    voided_seq = BigIntegerField(null=True)  # a sale the fiscal register never took, voided
    fiscal_document_number = BigIntegerField(null=True)
    fiscal_sign = CharField(null=True)

    class Meta:
        primary_key = CompositeKey("store_id", "sale_id")


class HubReturn(HubModel):
    store_id = CharField(max_length=64)
    return_id = BigIntegerField()
    sale_id = BigIntegerField()
    total = BigIntegerField()
    bonus_reversed = BigIntegerField()
    bonus_restored = BigIntegerField()
    created_at = CharField()
    seq = BigIntegerField()
    fiscal_document_number = BigIntegerField(null=True)
    fiscal_sign = CharField(null=True)

    class Meta:
        primary_key = CompositeKey("store_id", "return_id")


class HubShift(HubModel):
    store_id = CharField(max_length=64)
    shift_id = BigIntegerField()
    register_id = CharField(null=True)
    number = IntegerField(null=True)
    opened_seq = BigIntegerField(null=True)
    closed_seq = BigIntegerField(null=True)
    z_report = TextField(null=True)

    class Meta:
        primary_key = CompositeKey("store_id", "shift_id")


class HubStock(HubModel):
    """On-hand per store and SKU: the sum of every move the store reported."""

    store_id = CharField(max_length=64)
    sku = CharField(index=True)
    on_hand_milli = BigIntegerField(default=0)
    updated_at = CharField()
    feed_cursor = BigIntegerField(null=True, index=True)

    class Meta:
        primary_key = CompositeKey("store_id", "sku")


class HubCustomer(HubModel):
    """One person by phone; ``balance`` is the sum of their ledger (the authority)."""

    phone = CharField(primary_key=True, max_length=20)
    name = CharField(null=True)
    email = CharField(null=True)
    balance = BigIntegerField(default=0)
    ledger_seq = BigIntegerField(default=0)  # id of the newest ledger entry in balance
    store_entries = TextField(default="{}")  # {store_id: newest store-local entry_id applied}
    updated_at = CharField()
    feed_cursor = BigIntegerField(null=True, index=True)


class HubLedger(HubModel):
    id = AutoField()
    store_id = CharField(max_length=64)
    entry_id = BigIntegerField()
    phone = CharField(max_length=20, index=True)
    kind = CharField(max_length=20)
    amount = BigIntegerField()
    balance_after = BigIntegerField()
    sale_id = BigIntegerField(null=True)
    return_id = BigIntegerField(null=True)
    reason = CharField(null=True)
    cashier = CharField(null=True)
    created_at = CharField()
    seq = BigIntegerField()
    expires_at = CharField(null=True)  # an accrual's expiry ([loyalty] expiry_days at the store)

    class Meta:
        indexes = ((("store_id", "entry_id"), True),)


class HubOverdraft(HubModel):
    """A ledger entry that took a balance below zero (offline redemptions in two stores)."""

    id = AutoField()
    store_id = CharField(max_length=64)
    phone = CharField(max_length=20, index=True)
    amount = BigIntegerField()  # the entry's (negative) amount
    balance_after = BigIntegerField()
    event_id = CharField(max_length=64)
    seq = BigIntegerField()
    created_at = CharField()


class HubHold(HubModel):
    """A redemption the hub approved and is waiting to see in the store's events."""

    store_id = CharField(max_length=64)
    client_ref = CharField(max_length=100)
    phone = CharField(max_length=20, index=True)
    amount = BigIntegerField()
    expires_at = BigIntegerField()  # unix seconds
    released = BooleanField(default=False)

    class Meta:
        primary_key = CompositeKey("store_id", "client_ref")


class HubProduct(HubModel):
    sku = CharField(primary_key=True)
    name = CharField()
    price = BigIntegerField()
    unit = CharField(max_length=8)
    vat = CharField(max_length=8)
    barcodes = TextField(default="[]")
    hidden = BooleanField(default=False)
    updated_at = CharField()
    feed_cursor = BigIntegerField(null=True, index=True)


class HubRejectedEvent(HubModel):
    """An event the hub refused (a poison event): listed for the operator, who may accept
    it into quarantine (its seq is then held, it is never applied to the projections)."""

    id = AutoField()
    store_id = CharField(max_length=64)
    seq = BigIntegerField()
    event_id = CharField(max_length=64)
    type = CharField(max_length=64)
    body = TextField()  # the event as received, JSON with every non-ASCII char escaped
    reason = TextField()
    first_seen = CharField()
    last_seen = CharField()
    count = BigIntegerField(default=1)
    status = CharField(max_length=16, default="rejected")  # rejected | quarantined | not_applied
    quarantined_at = CharField(null=True)

    class Meta:
        indexes = ((("store_id", "seq"), True),)


ALL = [HubSetting, HubCounter, HubStore, HubSeenSignature, HubEvent, HubSale, HubReturn,
       HubShift, HubStock, HubCustomer, HubLedger, HubOverdraft, HubHold, HubProduct,
       HubRejectedEvent]
# the first release's tables (schema version 1); later tables come with their schema step
FIRST_RELEASE = [m for m in ALL if m is not HubRejectedEvent]


def create_schema(db) -> None:
    """The first release's tables (idempotent) at schema version 1; ``migrations.upgrade``
    takes it on from there."""
    with db.atomic():
        db.create_tables(FIRST_RELEASE, safe=True)
        HubSetting.insert(key="schema_version", value="1").on_conflict_ignore().execute()
        HubCounter.insert(name="feed", value=0).on_conflict_ignore().execute()


def schema_version(db) -> int:
    if not db.table_exists("hub_setting"):
        return 0
    row = HubSetting.get_or_none(HubSetting.key == "schema_version")
    return int(row.value) if row else 0
