"""Store tokens at rest: the bearer is compared by hash, the HMAC key is kept sealed.

The contract signs each store request with HMAC keyed by the store's token, and the hub
presents that same token when it pulls from an agent, so the hub must be able to recover
it.  We therefore keep two things per store: ``sha256(token)`` to find and check the
bearer, and the token sealed with the hub's own secret (encrypt-then-MAC: an
HMAC-SHA256 keystream in counter mode and an HMAC-SHA256 tag, both keyed from the
secret).  A copy of the database alone (a backup, a dump) reveals no token.

The secret comes from ``STORE_HUB_SECRET``, or ``--secret-file``, or for SQLite the file
``<database>.secret`` that ``store-hub init`` creates beside it (mode 0600).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

ENV = "STORE_HUB_SECRET"
_CHECK = b"store-hub secret check v1"


class SecretError(Exception):
    pass


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, b"store-hub " + purpose, hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, n: int) -> bytes:
    out, block = bytearray(), 0
    while len(out) < n:
        out += hmac.new(key, nonce + block.to_bytes(4, "big"), hashlib.sha256).digest()
        block += 1
    return bytes(out[:n])


def seal(secret: bytes, plaintext: str) -> str:
    data = plaintext.encode()
    nonce = secrets.token_bytes(16)
    ct = bytes(a ^ b for a, b in zip(data, _keystream(_key(secret, b"enc"), nonce, len(data)), strict=True))
    tag = hmac.new(_key(secret, b"mac"), nonce + ct, hashlib.sha256).digest()
    return "v1:" + base64.b64encode(nonce + ct + tag).decode()


def unseal(secret: bytes, sealed: str) -> str:
    if not sealed.startswith("v1:"):
        raise SecretError("unknown sealed-token format")
    raw = base64.b64decode(sealed[3:])
    nonce, ct, tag = raw[:16], raw[16:-32], raw[-32:]
    want = hmac.new(_key(secret, b"mac"), nonce + ct, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, want):
        raise SecretError("a store token does not open with this hub secret")
    return bytes(a ^ b for a, b in zip(ct, _keystream(_key(secret, b"enc"), nonce, len(ct)), strict=True)).decode()


def check_value(secret: bytes) -> str:
    return hmac.new(secret, _CHECK, hashlib.sha256).hexdigest()


def _from_text(text: str) -> bytes:
    text = text.strip()
    if len(text) < 16:
        raise SecretError("the hub secret must be at least 16 characters")
    return hashlib.sha256(text.encode()).digest()


def default_file(db_url: str) -> Path | None:
    if db_url.startswith("sqlite:///"):
        return Path(db_url[len("sqlite:///"):] + ".secret")
    return None


def load_secret(db_url: str, secret_file: str | None = None, create: bool = False) -> bytes:
    """The hub secret: from the environment, the given file, or the SQLite default file."""
    if os.environ.get(ENV):
        return _from_text(os.environ[ENV])
    path = Path(secret_file) if secret_file else default_file(db_url)
    if path is None:
        raise SecretError(f"no hub secret: set {ENV} or pass --secret-file FILE")
    if not path.exists():
        if not create:
            raise SecretError(f"hub secret file {path} not found (run `store-hub init` first, "
                              f"or set {ENV})")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return _from_text(path.read_text())
