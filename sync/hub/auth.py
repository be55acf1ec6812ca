"""Who is calling the hub: a store (bearer token + HMAC signature) or the admin (bearer).

Bearer tokens are found and compared by their SHA-256 only; the HMAC key (the token) is
unsealed from the database with the hub secret.  Signatures are checked against the
300-second window and remembered in ``hub_seen_signature`` (shared by every worker, kept
in the database so a restart forgets nothing) keyed on the signature alone, so a replayed
request is refused whatever path or query string it is sent to.  A push defers that record
(``store(defer_replay=True)``): the ingest writes it in the batch's own transaction (one
commit per push); a push refused before or during the ingest records it on its own
(``settle_replay``), so every signature the hub accepted is remembered either way.  ``v2`` (method, path,
query and body) is required unless the hub runs with ``accept_v1_signatures``.  Every failure is 401; the message says which check failed
but never echoes a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass

from flask import g, request

from .. import signing
from . import contact
from .errors import Unauthorized
from .models import HubSetting
from .sql import Sql
from .vault import SecretError, token_hash, unseal

_PRUNE_EVERY = 500
REMEMBER = ("INSERT INTO hub_seen_signature (store_id, key, seen_at) VALUES (?,?,?) "
            "ON CONFLICT DO NOTHING")


@dataclass
class Replay:
    """A request's signature, to be remembered in the transaction that acts on it."""
    store_id: str
    key: str
    seen_at: int

    @property
    def params(self) -> tuple:
        return (self.store_id, self.key, self.seen_at)

    def refused(self) -> Unauthorized:
        return Unauthorized("the request was already received (replay)", code="replay")

    def claim(self, sql: Sql) -> None:
        """Remember it inside the caller's transaction; a replay raises (rolled back)."""
        if sql.run(REMEMBER, self.params).rowcount == 0:
            raise self.refused()


class Authenticator:
    def __init__(self, db, secret: bytes, accept_v1: bool = False):
        self.db, self.secret, self.accept_v1 = db, secret, accept_v1
        self._tokens: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._count = 0
        self.wait = None  # called once a caller is known (the app: deferred projections)

    def authenticated(self) -> None:
        """A caller is known: what it reads must hold every acknowledged event (the app's
        ``wait``; only then, so an anonymous request never waits for or does that work)."""
        if self.wait is not None:
            self.wait()

    def bearer(self) -> str:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            raise Unauthorized("Authorization: Bearer <token> is required")
        return header[7:].strip()

    def admin(self) -> None:
        row = HubSetting.get_or_none(HubSetting.key == "admin_token_hash")
        if row is None or not hmac.compare_digest(token_hash(self.bearer()), row.value):
            raise Unauthorized("not the admin token")
        self.authenticated()

    def store(self, defer_replay: bool = False) -> str:
        """Authenticate a store request; returns its store_id (also put in ``g.store_id``;
        ``g.quarantined``: the store has quarantined events).  ``defer_replay``: the
        signature is left in ``g.replay`` for the caller's transaction to remember."""
        sql = Sql(self.db)
        row = sql.one("SELECT store_id, token_sealed, agent_version, last_seen_at, EXISTS ("
                      "SELECT 1 FROM hub_rejected_event r WHERE r.store_id = hub_store.store_id "
                      "AND r.status = 'quarantined') FROM hub_store WHERE token_hash = ?",
                      (token_hash(self.bearer()),))
        if row is None:
            raise Unauthorized("unknown store token")
        store_id, sealed, known_version, seen_at, quarantined = row
        g.quarantined = bool(quarantined)
        token = self._token(store_id, sealed)
        body = request.get_data(cache=True) if request.method != "GET" else b""
        target = signing.request_target(request.path, request.query_string)
        try:
            t, sig = signing.verify(token, request.headers.get(signing.HEADER), body,
                                    method=request.method, target=target,
                                    accept_v1=self.accept_v1)
        except signing.BadSignature as e:
            raise Unauthorized(str(e), code="bad_signature") from None
        replay = Replay(store_id, hashlib.sha256(sig.encode()).hexdigest(), int(time.time()))
        g.replay = replay if defer_replay else None
        if not defer_replay:
            self._remember(sql, replay)
        self._prune(sql, replay.seen_at)
        contact.seen(sql, store_id, request.headers.get(contact.VERSION_HEADER), known_version,
                     seen_at, contact.head_seq(request.headers.get(contact.HEAD_HEADER)))
        g.store_id = store_id
        self.authenticated()
        return store_id

    def _token(self, store_id: str, sealed: str) -> str:
        key = (store_id, sealed)
        with self._lock:
            token = self._tokens.get(key)
        if token is None:
            try:
                token = unseal(self.secret, sealed)
            except SecretError as e:
                raise Unauthorized(f"the hub cannot open this store's key: {e}") from None
            with self._lock:
                self._tokens[key] = token
        return token

    def settle_replay(self) -> None:
        """A deferred signature the request's transaction did not remember (it was refused
        or rolled back): remember it now, on its own; a replay raises."""
        replay, g.replay = g.get("replay"), None
        if replay is not None:
            self._remember(Sql(self.db), replay)

    def _remember(self, sql: Sql, replay: Replay) -> None:
        # keyed on the signature alone: the same signature on another path or query is a
        # replay too (a v1 signature does not bind them)
        with self.db.atomic():
            cur = sql.run(REMEMBER, replay.params)
        if cur.rowcount == 0:
            raise replay.refused()

    def _prune(self, sql: Sql, now: int) -> None:
        self._count += 1
        if self._count % _PRUNE_EVERY == 0:
            with self.db.atomic():
                sql.run("DELETE FROM hub_seen_signature WHERE seen_at < ?",
                        (now - 2 * signing.WINDOW,))
