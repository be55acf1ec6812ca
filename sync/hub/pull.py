"""``store-hub pull``: fetch events from agents that expose the pull API, through the
same ingest as push, then confirm with an ack so the agent's marker moves the same way."""

from __future__ import annotations

import json
from decimal import Decimal

import requests

from .. import signing
from .errors import HubApiError
from .ingest import ingest
from .models import HubStore
from .validate import batch
from .vault import unseal


class PullError(Exception):
    pass


def _call(session, signer, method, url, body=None, timeout=30.0, again=True):
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {signer.token}",
               signing.HEADER: signer.sign(method, url, raw)}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        resp = session.request(method, url, data=raw or None, headers=headers, timeout=timeout)
    except requests.RequestException as e:
        raise PullError(f"{url}: {type(e).__name__}") from None
    if resp.status_code == 401 and again and b'"replay"' in resp.content:
        return _call(session, signer, method, url, body, timeout, again=False)  # sign anew
    if resp.status_code != 200:
        raise PullError(f"{url}: HTTP {resp.status_code}")
    try:
        return json.loads(resp.content, parse_float=Decimal)
    except ValueError:
        raise PullError(f"{url}: the answer is not JSON") from None


def pull_store(db, secret: bytes, store_id: str, url: str | None = None,
               limit: int = 500, timeout: float = 30.0) -> int:
    """Drain one agent; returns how many events were new to the hub."""
    row = HubStore.get_or_none(HubStore.store_id == store_id)
    if row is None:
        raise PullError(f"store {store_id} is not registered")
    base = (url or row.pull_url or "").rstrip("/")
    if not base:
        raise PullError(f"store {store_id} has no pull URL (add-store --pull-url URL)")
    signer = signing.signer_for(unseal(secret, row.token_sealed))
    new = 0
    with requests.Session() as session:
        while True:
            after = HubStore.get(HubStore.store_id == store_id).acked_through
            data = _call(session, signer, "GET", f"{base}/sync/v1/events?after={after}&limit={limit}",
                         timeout=timeout)
            if not isinstance(data, dict) or data.get("store_id") != store_id:
                raise PullError(f"{base} answered for another store ({data.get('store_id')!r})")
            try:
                events = batch({"store_id": store_id, "events": data.get("events")}, store_id)
                acked = ingest(db, store_id, events)
            except HubApiError as e:
                raise PullError(f"{store_id}: {e.message}") from None
            new += max(0, acked - after)
            _call(session, signer, "POST", f"{base}/sync/v1/ack", {"through": acked},
                  timeout=timeout)
            if len(events) < limit:
                from .contact import pulled
                from .sql import Sql
                pulled(Sql(db), store_id, acked)
                return new
