"""Request signatures of the contract: ``X-Store-Signature: t=<unix s>,v1=<hex>``.

``v1`` is HMAC-SHA256 keyed with the store's token over ``"<t>.<raw body>"`` (the body is
empty for GET).  Both ends use this module: the agent signs its calls to the hub and checks
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


def header_value(token: str, body: bytes, t: int | None = None) -> str:
    t = int(time.time()) if t is None else int(t)
    return f"t={t},v1={digest(token, t, body)}"


def parse(value: str | None) -> tuple[int, str]:
    if not value:
        raise BadSignature("the request is not signed (X-Store-Signature is missing)")
    parts = dict(p.strip().split("=", 1) for p in value.split(",") if "=" in p)
    try:
        t, v1 = int(parts["t"]), parts["v1"]
    except (KeyError, ValueError):
        raise BadSignature("X-Store-Signature must be t=<unix seconds>,v1=<hex>") from None
    if len(v1) != 64 or any(c not in "0123456789abcdef" for c in v1):
        raise BadSignature("X-Store-Signature v1 must be 64 lowercase hex digits")
    return t, v1


def verify(token: str, value: str | None, body: bytes, now: float | None = None,
           window: int = WINDOW) -> tuple[int, str]:
    """Check a signature header; returns (t, v1) for the caller's replay check."""
    t, v1 = parse(value)
    now = time.time() if now is None else now
    if abs(now - t) > window:
        raise BadSignature(f"the signature is stale (more than {window} s from the server clock)")
    if not hmac.compare_digest(digest(token, t, body), v1):
        raise BadSignature("the signature does not match the body")
    return t, v1


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
                value = header_value(self.token, body, t)
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
