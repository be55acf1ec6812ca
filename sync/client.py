"""The agent's HTTP client for the hub: bearer token + HMAC signature on every call.

One ``requests.Session`` per thread (the pusher, the feed puller and the cashiers'
redemption checks run on different threads).  Every answer is sorted into the errors of
``sync.errors``: network trouble, timeouts, truncated answers, 429 and 5xx are
``HubUnavailable`` (worth retrying); 401/403/400/other 409s are ``HubRefused``.
"""

from __future__ import annotations

import json
import threading
import uuid

import requests

from agent.version import VERSION

from . import signing
from .errors import HubGap, HubRefused, HubTooLarge, HubUnavailable

USER_AGENT = "store-agent-sync/1"
VERSION_HEADER = "X-Store-Agent-Version"  # the hub's store list shows each store's version
HEAD_HEADER = "X-Store-Head-Seq"  # the outbox's newest seq: the hub's backlog estimate


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class HubClient:
    def __init__(self, url: str, token: str, store_id: str, timeout: float = 10.0,
                 head=None):
        self.url = url.rstrip("/")
        self.head = head  # () -> the outbox's newest seq (the heartbeat), or None
        self.store_id = store_id
        self.timeout = timeout
        self._signer = signing.signer_for(token)
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = requests.Session()
            s.headers["User-Agent"] = USER_AGENT
        return s

    def request(self, method: str, path: str, body: bytes | None = None,
                timeout: float | None = None) -> tuple[int, dict]:
        status, data = self._request(method, path, body, timeout)
        if status == 401 and (data.get("error") or {}).get("code") == "replay":
            # another process signed the very same request in the same second: sign anew
            status, data = self._request(method, path, body, timeout)
        return status, data

    def _request(self, method: str, path: str, body: bytes | None,
                 timeout: float | None) -> tuple[int, dict]:
        url = self.url + path
        raw = body or b""
        headers = {"Authorization": f"Bearer {self._signer.token}",
                   signing.HEADER: self._signer.sign(method, url, raw),
                   VERSION_HEADER: VERSION}
        if self.head is not None:
            try:
                headers[HEAD_HEADER] = str(int(self.head()))
            except Exception:  # noqa: BLE001 - the heartbeat never stops a call
                pass
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            resp = self.session.request(method, url, data=body, headers=headers,
                                        timeout=timeout or self.timeout)
            content = resp.content  # a cut answer fails here, not later
        except requests.RequestException as e:
            self._local.session = None  # never reuse a connection that broke mid-answer
            raise HubUnavailable(f"hub unreachable: {type(e).__name__}") from None
        try:
            data = json.loads(content) if content else {}
        except ValueError:
            data = None
        if resp.status_code == 429 or resp.status_code >= 500:
            raise HubUnavailable(f"hub answered HTTP {resp.status_code}", resp.status_code)
        if data is None or not isinstance(data, dict):
            raise HubUnavailable(f"hub answer is not JSON (HTTP {resp.status_code})",
                                 resp.status_code)
        return resp.status_code, data

    @staticmethod
    def _refusal(status: int, data: dict) -> HubRefused:
        err = data.get("error") or {}
        msg = err.get("message") or f"HTTP {status}"
        return HubRefused(f"hub refused (HTTP {status}): {msg}", status, data)

    def probe(self, timeout: float = 2.0) -> None:
        """A cheap, unsigned ``GET /healthz``: returns when the hub (and its database)
        answers, raises ``HubUnavailable`` otherwise.  The pusher probes while the hub is
        down instead of resending a whole batch every few seconds."""
        try:
            resp = self.session.get(self.url + "/healthz", timeout=timeout)
        except requests.RequestException as e:
            self._local.session = None
            raise HubUnavailable(f"hub unreachable: {type(e).__name__}") from None
        if resp.status_code != 200:
            raise HubUnavailable(f"hub answered HTTP {resp.status_code}", resp.status_code)

    # -- the outbox -------------------------------------------------------------------
    def push_body(self, envelopes_json: list[str]) -> bytes:
        """The push body from already-serialized envelopes (no re-encoding of payloads).
        ``batch_id`` makes every push's signature unique, also across restarts."""
        head = _dumps({"store_id": self.store_id, "batch_id": uuid.uuid4().hex})[:-1]
        return (head + ',"events":[' + ",".join(envelopes_json) + "]}").encode()

    def push(self, body: bytes) -> int:
        status, data = self.request("POST", "/hub/v1/events", body)
        if status == 200 and isinstance(data.get("acked_through"), int):
            return data["acked_through"]
        if status == 409 and isinstance(data.get("expected_seq"), int):
            raise HubGap(data["expected_seq"])
        if status == 413:
            raise HubTooLarge("the batch is larger than the hub accepts", 413, data)
        if status == 200:
            raise HubUnavailable("hub answer lacks acked_through", status)
        raise self._refusal(status, data)

    # -- the feed ---------------------------------------------------------------------
    def feed(self, after: int, limit: int = 500) -> dict:
        status, data = self.request("GET", f"/hub/v1/feed?after={int(after)}&limit={int(limit)}")
        if status == 200 and isinstance(data.get("items"), list) and isinstance(
                data.get("cursor"), int):
            return data
        if status == 200:
            raise HubUnavailable("hub feed answer is malformed", status)
        raise self._refusal(status, data)

    # -- the hub's copy of this store's own events (a restored store's catch-up) --------
    def own_events(self, after: int, limit: int = 500) -> dict:
        from urllib.parse import quote
        status, data = self.request(
            "GET", f"/hub/v1/stores/{quote(self.store_id)}/events?after={int(after)}"
                   f"&limit={int(limit)}")
        if status == 200 and isinstance(data.get("events"), list) and isinstance(
                data.get("acked_through"), int):
            return data
        if status == 200:
            raise HubUnavailable("hub events answer is malformed", status)
        raise self._refusal(status, data)

    # -- loyalty, called by the store core at the till ---------------------------------
    def authorize_redemption(self, phone: str, amount: int, client_ref: str,
                             timeout: float | None = None) -> dict:
        """{"approved", "balance", "available"}; approved is False when the hub says 409."""
        body = _dumps({"phone": phone, "amount": amount, "client_ref": client_ref}).encode()
        status, data = self.request("POST", "/hub/v1/loyalty/authorize", body, timeout)
        if status in (200, 409) and "approved" in data:
            return data
        if status in (401, 403):
            raise HubUnavailable(f"hub refused this store (HTTP {status})", status)
        raise self._refusal(status, data)

    def lookup_sale(self, store_id: str, sale_id: int | None = None, number: int | None = None,
                    shift_number: int | None = None, timeout: float | None = None) -> dict | None:
        """Another store's sale with what is still returnable (the hub decides), or None
        when the hub knows no such sale.  Unreachable or refused: ``HubUnavailable``."""
        from urllib.parse import urlencode
        query = {"store_id": store_id, "sale_id": sale_id, "number": number,
                 "shift_number": shift_number}
        qs = urlencode({k: v for k, v in query.items() if v is not None})
        return self._get(f"/hub/v1/sales/lookup?{qs}", timeout)

    def sales_by_phone(self, phone: str, timeout: float | None = None) -> list[dict]:
        """The customer's recent sales in the other stores, with what is still returnable
        (the hub decides).  Unreachable or refused: ``HubUnavailable``."""
        from urllib.parse import urlencode
        data = self._get(f"/hub/v1/sales/by-phone?{urlencode({'phone': phone})}", timeout)
        return list((data or {}).get("items") or [])

    def customer(self, phone: str, timeout: float | None = None) -> dict | None:
        """The hub's view of a customer, or None when the hub does not know the phone."""
        from urllib.parse import quote
        return self._get(f"/hub/v1/loyalty/customers/{quote(phone)}", timeout)

    def _get(self, path: str, timeout: float | None) -> dict | None:
        """A store-signed GET: the answer, None for 404; refused (401/403) or unreachable:
        ``HubUnavailable``; any other status: ``HubRefused``."""
        status, data = self.request("GET", path, None, timeout)
        if status == 200:
            return data
        if status == 404:
            return None
        if status in (401, 403):
            raise HubUnavailable(f"hub refused this store (HTTP {status})", status)
        raise self._refusal(status, data)

    def register_customer(self, phone: str, name: str | None, welcome_bonus: int,
                          timeout: float | None = None) -> tuple[dict, int]:
        """(the hub's customer, 201 new with the welcome bonus | 200 known to the chain).
        ``welcome_bonus`` is this store's rule, used when the hub has none of its own."""
        body = _dumps({"phone": phone, "name": name, "welcome_bonus": welcome_bonus}).encode()
        status, data = self.request("POST", "/hub/v1/customers", body, timeout)
        if status in (200, 201) and isinstance(data.get("balance"), int):
            return data, status
        if status in (401, 403):
            raise HubUnavailable(f"hub refused this store (HTTP {status})", status)
        raise self._refusal(status, data)
