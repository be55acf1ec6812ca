"""Channel callers: a website or an ERP talking to the hub with its own bearer token.

A channel is not a store: it has no events, no feed and no signature; it may call only
the channel routes.  Its token is kept as a SHA-256 like a store's.  ``caller`` tells the
routes open to both who is calling: ``("channel", id)`` or ``("store", id)`` (a store is
authenticated by ``Authenticator.store``, bearer and signature, as on every store call).
"""

from __future__ import annotations

import hmac

from .chain_models import HubChannel, create_chain_tables
from .db import transaction
from .errors import Forbidden, Unauthorized
from .models import HubSetting, HubStore, hub_db
from .registry import STORE_ID_RE, RegistryError, _check_token
from .sql import Sql, iso
from .vault import token_hash


def add_channel(db, channel_id: str, token: str) -> bool:
    """Register a channel or give it a new token; returns True when the channel is new."""
    if not STORE_ID_RE.match(channel_id or ""):
        raise RegistryError("channel id: 1-64 letters, digits, '.', '_' or '-'")
    _check_token(token, "channel")
    hub_db.initialize(db)
    create_chain_tables(db)
    digest = token_hash(token)
    with transaction(db):
        if HubStore.get_or_none(HubStore.token_hash == digest) is not None:
            raise RegistryError("that token already belongs to a store")
        other = HubChannel.get_or_none(HubChannel.token_hash == digest)
        if other is not None and other.channel_id != channel_id:
            raise RegistryError("that token already belongs to another channel")
        if HubChannel.get_or_none(HubChannel.channel_id == channel_id) is None:
            HubChannel.create(channel_id=channel_id, token_hash=digest, created_at=iso())
            return True
        HubChannel.update(token_hash=digest).where(HubChannel.channel_id == channel_id).execute()
        return False


def _channel_of(db, bearer: str) -> str | None:
    return Sql(db).scalar("SELECT channel_id FROM hub_channel WHERE token_hash = ?",
                          (token_hash(bearer),))


def admin_or_channel(db, auth) -> str:
    """A route open to the admin and to channels: who called, as histories record it
    (``channel:<id>`` or ``admin``); anything else is refused as the admin route refuses."""
    found = _channel_of(db, auth.bearer())
    if found:
        auth.authenticated()
        return f"channel:{found}"
    auth.admin()
    return "admin"


def channel(auth) -> str:
    """A channel route: only a channel token; a store's or the admin's is the wrong kind."""
    bearer = auth.bearer()
    found = _channel_of(auth.db, bearer)
    if found:
        auth.authenticated()
        return found
    digest = token_hash(bearer)
    admin = HubSetting.get_or_none(HubSetting.key == "admin_token_hash")
    if (admin is not None and hmac.compare_digest(digest, admin.value)) or Sql(auth.db).one(
            "SELECT 1 FROM hub_store WHERE token_hash = ?", (digest,)):
        raise Forbidden("this route takes a channel token (store-hub add-channel)",
                        code="wrong_token_kind")
    raise Unauthorized("unknown channel token")


def caller(auth) -> tuple[str, str]:
    """A route open to channels and stores: ("channel", id) or ("store", id)."""
    found = _channel_of(auth.db, auth.bearer())
    if found:
        auth.authenticated()
        return "channel", found
    return "store", auth.store()
