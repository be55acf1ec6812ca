"""Manager approvals cannot be brute-forced: wrong PINs count against the manager's own
account (the login lockout), the approver is named, and every approval is audited."""

import json

from agent import cashiers
from agent.models import Audit, Cashier


def _approve(api, pin, login="maria"):
    body = {"approval_pin": pin, "action": "void a sale"}
    if login is not None:
        body["approval_login"] = login
    return api.post("/api/v1/approvals", json=body)


def test_wrong_approval_pins_lock_the_manager_across_sessions_and_cashiers(anon):
    """Issue 14 item 3: 5 wrong guesses, log in again, 5 more... and 9999 got approved."""
    anna, boris = anon.login("anna"), anon.login("boris", register="2")
    for api, pin in ((anna, "0001"), (anna, "0002"), (boris, "0003"), (anon.login("anna"), "0004")):
        r = _approve(api, pin)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "approval_refused"
    r = _approve(anon.login("anna"), "0005")  # the 5th wrong PIN for maria, from a new session
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "locked_out"
    r = _approve(anon.login("anna"), "9999")  # the right PIN: maria is locked now
    assert r.status_code == 429
    r = anon.client.post("/api/v1/session", json={"login": "maria", "pin": "9999"})
    assert r.status_code == 429  # the same lock as her login
    assert Cashier.get(Cashier.login == "maria").locked_until


def test_the_approver_login_is_required_and_no_pin_is_tried_against_every_manager(cashier):
    r = _approve(cashier, "9999", login=None)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "approval_login"
    r = _approve(cashier, "9999", login="nobody")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "approval_refused"
    r = _approve(cashier, "9999")
    assert r.status_code == 200 and r.get_json()["approved_by"]["login"] == "maria"


def test_a_seniors_correct_pin_says_not_a_manager(cashier):
    r = _approve(cashier, "2222", login="boris")
    assert r.status_code == 403
    err = r.get_json()["error"]
    assert err["code"] == "approval_not_allowed" and "not a manager" in err["message"]
    assert Cashier.get(Cashier.login == "boris").failed_attempts == 0  # the PIN was right


def test_every_approval_is_audited(cashier):
    _approve(cashier, "0000")
    _approve(cashier, "2222", login="boris")
    _approve(cashier, "9999")
    rows = [(a.action, json.loads(a.detail)) for a in Audit.select().where(
        Audit.action.startswith("approval.")).order_by(Audit.id)]
    assert [(a, d["outcome"], d["approver_login"]) for a, d in rows] == [
        ("approval.refused", "wrong_pin", "maria"), ("approval.refused", "not_allowed", "boris"),
        ("approval.granted", "granted", "maria")]
    assert all(d["for_cashier"] == "anna" and d["action"] == "void a sale" for _, d in rows)


def test_cash_out_needs_a_manager_by_default(cashier, open_shift):
    r = cashier.post("/api/v1/shifts/cash", json={"kind": "out", "amount": 100, "reason": "x"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "approval_required"
    r = cashier.post("/api/v1/shifts/cash", json={"kind": "out", "amount": 100, "reason": "x",
                                                  "approval_pin": "9999", "approval_login": "maria"})
    assert r.status_code == 201 and r.get_json()["cash_out"] == 100


def test_cash_out_without_a_manager_when_configured_off(tmp_path):
    # its own test: one store database is open per process (issue 13's guard)
    from pos_ui import create_app
    from tests.conftest import Api, make_store
    lax = make_store(tmp_path / "lax", shifts={"cash_out_needs_manager": False})
    try:
        api = Api(create_app(lax).test_client()).login("anna")
        assert api.post("/api/v1/shifts/open", json={"opening_cash": 1000}).status_code == 201
        r = api.post("/api/v1/shifts/cash", json={"kind": "out", "amount": 100, "reason": "x"})
        assert r.status_code == 201
    finally:
        lax.close()


def test_unknown_and_known_logins_cost_the_same_one_scrypt(store, monkeypatch):
    """Counted, not timed: an unknown login runs exactly as many PIN hashes as a known one."""
    cashiers._dummy_hash()  # made once, at first use
    calls = []
    real = cashiers.hashlib.scrypt
    monkeypatch.setattr(cashiers.hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    for login in ("anna", "nobody"):
        calls.clear()
        try:
            cashiers.authenticate(store, login, "0000")
        except Exception:
            pass
        assert len(calls) == 1, login
