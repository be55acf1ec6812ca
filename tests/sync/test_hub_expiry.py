"""Bonus expiry at the hub: what expired unspent goes, first in first out, never below zero,
once; the new balance reaches the stores through the feed."""

from sync.hub.expiry import expire_bonuses

from .hubkit import event, push_raw

PHONE = "+79161234567"


def posted(seq, entry_id, kind, amount, expires_at=None):
    return event("S1", seq, "loyalty.posted", {
        "entry_id": entry_id, "phone": PHONE, "kind": kind, "amount": amount,
        "created_at": "2026-01-01T10:00:00.000000Z", "expires_at": expires_at})


def balance(hub):
    return hub.admin(f"/hub/v1/customers/{PHONE}")[1]["balance"]


def test_unspent_expired_bonus_expires_once_and_never_below_zero(any_hub):
    tok = any_hub.add_store("S1")
    r = push_raw(any_hub.url, tok, "S1", [
        event("S1", 1, "customer.upserted", {"phone": PHONE, "name": "Ольга"}),
        posted(2, 1, "accrual", 1000, "2026-02-01T00:00:00.000000Z"),   # expired
        posted(3, 2, "redemption", -300),                                # spent the oldest first
        posted(4, 3, "accrual", 500, "2099-01-01T00:00:00.000000Z"),    # not yet
    ])
    assert r.status_code == 200, r.text
    assert balance(any_hub) == 1200
    assert expire_bonuses(any_hub.db, "2026-06-01T00:00:00.000000Z") == [(PHONE, 700)]
    assert balance(any_hub) == 500
    assert expire_bonuses(any_hub.db, "2026-06-02T00:00:00.000000Z") == []  # once
    ledger = any_hub.admin(f"/hub/v1/customers/{PHONE}")[1]["ledger"]
    assert [e["kind"] for e in ledger][-1] == "expiry" and ledger[-1]["amount"] == -700
    r = push_raw(any_hub.url, tok, "S1", [posted(5, 4, "redemption", -500)])
    assert r.status_code == 200
    assert expire_bonuses(any_hub.db, "2100-01-01T00:00:00.000000Z") == []  # all spent
    assert balance(any_hub) == 0


def test_expire_bonuses_command(tmp_path):
    import subprocess
    import sys
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    env_run = dict(capture_output=True, text=True, timeout=60)
    r = subprocess.run([sys.executable, "-m", "sync.hub.cli", "init", "--db", db,
                        "--admin-token", "admin-" + "b" * 20], **env_run)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "sync.hub.cli", "expire-bonuses", "--db", db],
                       **env_run)
    assert r.returncode == 0 and "0 customers had expired bonus" in r.stdout, r.stderr
