"""Setting a hub up: the schema, the admin token, the stores and their tokens."""

from __future__ import annotations

import re

from .db import ensure_schema, transaction
from .models import HubSetting, HubStore, create_schema, hub_db
from .sql import iso
from .vault import check_value, seal, token_hash

STORE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class RegistryError(ValueError):
    pass


def _check_token(token: str, what: str) -> None:
    if not isinstance(token, str) or len(token) < 16:
        raise RegistryError(f"the {what} token must be at least 16 characters")


def init_hub(db, admin_token: str, secret: bytes) -> None:
    """Create the schema; set the admin token (again = replace it).  Idempotent."""
    _check_token(admin_token, "admin")
    hub_db.initialize(db)
    ensure_schema(db)
    create_schema(db)
    from .chain_models import create_chain_tables
    create_chain_tables(db)
    with transaction(db):
        row = HubSetting.get_or_none(HubSetting.key == "secret_check")
        if row is not None and row.value != check_value(secret):
            raise RegistryError("this hub secret is not the one the database was initialised with")
        for key, value in (("admin_token_hash", token_hash(admin_token)),
                           ("secret_check", check_value(secret))):
            HubSetting.insert(key=key, value=value).on_conflict(
                conflict_target=[HubSetting.key], update={HubSetting.value: value}).execute()


def add_store(db, store_id: str, token: str, secret: bytes, pull_url: str | None = None) -> bool:
    """Register a store or give it a new token; returns True when the store is new."""
    if not STORE_ID_RE.match(store_id or ""):
        raise RegistryError("store id: 1-64 letters, digits, '.', '_' or '-'")
    _check_token(token, "store")
    hub_db.initialize(db)
    with transaction(db):
        other = HubStore.get_or_none(HubStore.token_hash == token_hash(token))
        if other is not None and other.store_id != store_id:
            raise RegistryError("that token already belongs to another store")
        row = HubStore.get_or_none(HubStore.store_id == store_id)
        fields = {"token_hash": token_hash(token), "token_sealed": seal(secret, token)}
        if pull_url is not None:
            fields["pull_url"] = pull_url or None
        if row is None:
            HubStore.create(store_id=store_id, created_at=iso(), acked_through=0, **fields)
            return True
        HubStore.update(**fields).where(HubStore.store_id == store_id).execute()
        return False
