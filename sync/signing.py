"""Request signatures of the contract: ``X-Store-Signature: t=<unix s>,v1=<hex>,v2=<hex>``.

``v1`` is HMAC-SHA256 keyed with the store's token over ``"<t>.<raw body>"`` (the body is
empty for GET).  ``v2`` binds the request too: HMAC-SHA256 over
``"<t>.<METHOD>.<path?query>.<sha256 hex of the body>"``, so a captured request cannot be
replayed to another path or with another query string.  Receivers require ``v2`` (the hub
accepts a lone ``v1`` only with ``--accept-v1-signatures``, for agents older than it).  Both ends use this module: the agent signs its calls to the hub and checks
the hub's pull calls; the hub does the reverse.  A signature older (or newer) than
``WINDOW`` seconds is stale; a reused one is a replay, which each receiver remembers for
twice the window.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from urllib.parse import unquote, urlsplit

HEADER = "X-Store-Signature"
WINDOW = 300


class BadSignature(Exception):
    """Missing, malformed, wrong, stale or replayed signature (always answered 401)."""


class Replayed(BadSignature):
    """A signature seen before.  For an honest sender this is a collision with another
    process signing the same request in the same second: it signs again (``t`` moves on)."""


def digest(token: str, t: int, body: bytes) -> str:
    msg = str(int(t)).encode() + b"." + (body or b"")
    return hmac.new(token.encode(), msg, hashlib.sha256).hexdigest()


def target_of(url: str) -> str:
    """What ``v2`` binds of a URL: its path and query string, as the server sees them."""
    parts = urlsplit(url)
    return unquote(parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def request_target(path: str, query_string: bytes) -> str:
    """The same on the receiving side (``path`` already percent-decoded, as WSGI gives it)."""
    query = query_string.decode("latin-1")
    return (path or "/") + (f"?{query}" if query else "")


def digest_v2(token: str, t: int, method: str, target: str, body: bytes) -> str:
    msg = (f"{int(t)}.{method.upper()}.{target}.".encode()
           + hashlib.sha256(body or b"").hexdigest().encode())
    return hmac.new(token.encode(), msg, hashlib.sha256).hexdigest()


def header_value(token: str, body: bytes, t: int | None = None, method: str | None = None,
                 target: str | None = None) -> str:
    """The header; with ``method`` and ``target`` (path?query) it carries ``v2`` too."""
    t = int(time.time()) if t is None else int(t)
    value = f"t={t},v1={digest(token, t, body)}"
    if method and target:
        value += f",v2={digest_v2(token, t, method, target, body)}"
    return value


def _hex(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def parse(value: str | None) -> tuple[int, dict]:
    if not value:
        raise BadSignature("the request is not signed (X-Store-Signature is missing)")
    if len(value) > 400:
        raise BadSignature("X-Store-Signature is too long")
    parts = dict(p.strip().split("=", 1) for p in value.split(",") if "=" in p)
    raw_t = parts.get("t", "")
    if not (raw_t.isascii() and raw_t.isdigit() and len(raw_t) <= 12) or "v1" not in parts:
        raise BadSignature("X-Store-Signature must be t=<unix seconds>,v1=<hex>,v2=<hex>")
    for key in ("v1", "v2"):
        if key in parts and not _hex(parts[key]):
            raise BadSignature(f"X-Store-Signature {key} must be 64 lowercase hex digits")
    return int(raw_t), parts


def verify(token: str, value: str | None, body: bytes, now: float | None = None,
           window: int = WINDOW, method: str | None = None, target: str | None = None,
           accept_v1: bool = False) -> tuple[int, str]:
    """Check a signature header; returns (t, the signature checked) for the replay check.
    With ``method`` and ``target`` the ``v2`` component is required (a lone ``v1`` only
    with ``accept_v1``)."""
    t, parts = parse(value)
    now = time.time() if now is None else now
    if abs(now - t) > window:
        raise BadSignature(f"the signature is stale (more than {window} s from the server clock)")
    if method is not None and "v2" in parts:
        if not hmac.compare_digest(digest_v2(token, t, method, target or "/", body), parts["v2"]):
            raise BadSignature("the signature does not match the method, path, query and body")
        return t, parts["v2"]
    if method is not None and not accept_v1:
        raise BadSignature("X-Store-Signature needs v2 (binding method, path, query and body)")
    if not hmac.compare_digest(digest(token, t, body), parts["v1"]):
        raise BadSignature("the signature does not match the body")
    return t, parts["v1"]


def bearer_matches(presented: str | None, token: str) -> bool:
    return bool(presented) and bool(token) and hmac.compare_digest(
        presented.encode(), token.encode())


class Signer:
    """Signs requests for one token, never producing the same signature twice for the
    same request in this process (the receiver would refuse it as a replay): when a
    retry of an identical request falls into the same second, ``t`` moves on by one."""

    def __init__(self, token: str):
        self.token = token
        self._lock = threading.Lock()
        self._recent: OrderedDict[tuple, None] = OrderedDict()

    def sign(self, method: str, url: str, body: bytes) -> str:
        with self._lock:
            t = int(time.time())
            while True:
                value = header_value(self.token, body, t, method, target_of(url))
                key = (method, url, value)
                if key not in self._recent:
                    break
                t += 1
            self._recent[key] = None
            while len(self._recent) > 256:
                self._recent.popitem(last=False)
            return value


_SIGNERS: dict[str, Signer] = {}
_SIGNERS_LOCK = threading.Lock()


def signer_for(token: str) -> Signer:
    """One Signer per token in this process, so no two callers reuse a signature."""
    with _SIGNERS_LOCK:
        signer = _SIGNERS.get(token)
        if signer is None:
            signer = _SIGNERS[token] = Signer(token)
        return signer


class ReplayGuard:
    """In-memory memory of signatures seen in the last ``2 * window`` seconds (the agent's
    pull API uses it; the hub keeps its own in the database so all workers share it)."""

    def __init__(self, window: int = WINDOW):
        self.window = window
        self._seen: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def check_and_remember(self, key: tuple, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            if len(self._seen) > 10000 or now - getattr(self, "_swept", 0) > self.window:
                self._seen = {k: v for k, v in self._seen.items() if now - v < 2 * self.window}
                self._swept = now
            if key in self._seen:
                raise Replayed("the request was already received (replay)")
            self._seen[key] = now
