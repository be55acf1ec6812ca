"""The contract's signature and the hub's sealed tokens."""

from __future__ import annotations

import time

import pytest

from sync import signing
from sync.hub import vault


def test_a_signature_verifies_only_for_its_token_and_body():
    value = signing.header_value("tok-1", b'{"a":1}')
    signing.verify("tok-1", value, b'{"a":1}')
    with pytest.raises(signing.BadSignature):
        signing.verify("tok-2", value, b'{"a":1}')
    with pytest.raises(signing.BadSignature):
        signing.verify("tok-1", value, b'{"a":2}')


def test_a_signature_older_or_newer_than_300_seconds_is_stale():
    now = int(time.time())
    for t in (now - 301, now + 301):
        with pytest.raises(signing.BadSignature, match="stale"):
            signing.verify("tok", signing.header_value("tok", b"", t), b"", now=now)
    signing.verify("tok", signing.header_value("tok", b"", now - 299), b"", now=now)


@pytest.mark.parametrize("value", [None, "", "t=1", "v1=ab", "t=x,v1=" + "0" * 64, "t=1,v1=zz"])
def test_a_missing_or_malformed_signature_is_refused(value):
    with pytest.raises(signing.BadSignature):
        signing.verify("tok", value, b"")


def test_the_signer_never_repeats_a_signature_for_the_same_request():
    s = signing.Signer("tok")
    seen = {s.sign("GET", "/hub/v1/feed?after=0", b"") for _ in range(5)}
    assert len(seen) == 5


def test_the_replay_guard_refuses_a_second_use():
    g = signing.ReplayGuard()
    g.check_and_remember(("GET", "/x", "abc"))
    with pytest.raises(signing.BadSignature, match="replay"):
        g.check_and_remember(("GET", "/x", "abc"))


def test_a_sealed_token_opens_only_with_the_hub_secret():
    secret, other = b"k" * 32, b"j" * 32
    sealed = vault.seal(secret, "tok-secret-value")
    assert "tok-secret-value" not in sealed
    assert vault.unseal(secret, sealed) == "tok-secret-value"
    with pytest.raises(vault.SecretError):
        vault.unseal(other, sealed)
    assert vault.seal(secret, "same") != vault.seal(secret, "same")  # fresh nonce each time


def test_the_secret_file_is_created_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(vault.ENV, raising=False)
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    first = vault.load_secret(url, create=True)
    assert vault.load_secret(url) == first
    assert (tmp_path / "hub.db.secret").stat().st_mode & 0o077 == 0
    with pytest.raises(vault.SecretError):
        vault.load_secret(f"sqlite:///{tmp_path / 'other.db'}")
