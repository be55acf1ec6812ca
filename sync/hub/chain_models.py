"""The hub's tables for one bonus balance across every channel (stores, the website, ERP).

``hub_channel``: channel callers (a website, an ERP) and their hashed tokens.
``hub_welcome``: one row per phone that got its welcome bonus; the primary key decides,
so two stores or two hub workers registering one phone at once grant it once.
``hub_customer_seen``: which store has seen which customer; the feed carries a customer's
balance only to those stores.  ``hub_loyalty_ref``: a channel's entry by ``ref`` with the
digest of its body and the first answer (idempotency).  ``hub_loyalty_audit``: what the hub
did to a balance on its own account (a duplicate welcome reversed, a manual adjustment).

``create_chain_tables`` is the hub's schema step 2 (``migrations``): it creates what is
missing and fills the welcome and seen tables once from the ledger of an older hub.
"""

from __future__ import annotations

from peewee import AutoField, BigIntegerField, CharField, CompositeKey, TextField

from .models import HubModel


class HubChannel(HubModel):
    channel_id = CharField(primary_key=True, max_length=64)
    token_hash = CharField(unique=True)  # sha256 of the bearer token
    created_at = CharField()


class HubWelcome(HubModel):
    phone = CharField(primary_key=True, max_length=20)
    given_by = CharField(max_length=80)  # "store:S001" / "channel:site" / "hub"
    amount = BigIntegerField(default=0)
    created_at = CharField()


class HubCustomerSeen(HubModel):
    store_id = CharField(max_length=64)
    phone = CharField(max_length=20, index=True)
    seen_at = CharField()

    class Meta:
        primary_key = CompositeKey("store_id", "phone")


class HubLoyaltyRef(HubModel):
    channel_id = CharField(max_length=64)
    ref = CharField(max_length=100)
    phone = CharField(max_length=20, index=True)
    kind = CharField(max_length=20)
    digest = CharField(max_length=64)  # sha256 of the canonical request body
    amount = BigIntegerField()  # the signed ledger amount posted
    lines = TextField(default="{}")  # {line_id: amount} as posted
    reverses = CharField(max_length=100, null=True)  # the ref a reversal takes back
    answer = TextField()  # the first answer, JSON
    created_at = CharField()

    class Meta:
        primary_key = CompositeKey("channel_id", "ref")


class HubLoyaltyAudit(HubModel):
    id = AutoField()
    phone = CharField(max_length=20, index=True)
    kind = CharField(max_length=32)  # welcome_duplicate | adjustment
    store_id = CharField(max_length=64, null=True)  # the store concerned
    by = CharField(max_length=100, null=True)  # who did it (admin's name, "hub")
    amount = BigIntegerField(default=0)
    reason = TextField(null=True)
    created_at = CharField()


CHAIN_TABLES = [HubChannel, HubWelcome, HubCustomerSeen, HubLoyaltyRef, HubLoyaltyAudit]


def create_chain_tables(db) -> None:
    """Create the tables (idempotent); on a hub made before them, fill welcome and seen."""
    if all(db.table_exists(m._meta.table_name) for m in CHAIN_TABLES):
        return
    fresh = not db.table_exists("hub_welcome")
    with db.atomic():
        db.create_tables(CHAIN_TABLES, safe=True)
        if fresh:
            # the first welcome entry per phone is the one the chain granted
            db.execute_sql("INSERT INTO hub_welcome (phone, given_by, amount, created_at) "
                           "SELECT phone, 'store:' || MIN(store_id), 0, MIN(created_at) "
                           "FROM hub_ledger WHERE kind = 'welcome' GROUP BY phone "
                           "ON CONFLICT DO NOTHING")
            db.execute_sql("INSERT INTO hub_customer_seen (store_id, phone, seen_at) "
                           "SELECT DISTINCT store_id, phone, '' FROM hub_ledger "
                           "WHERE store_id <> 'HUB' ON CONFLICT DO NOTHING")
