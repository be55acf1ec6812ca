"""The manager's back office over the API: cashiers list/add/deactivate/activate/PIN/unlock,
enforced on the server, audited, and bad input refused with nothing written."""

from __future__ import annotations

import json

import pytest

from agent.models import ApiSession, Audit, Cashier


def _audits(action):
    return [json.loads(a.detail) | {"by": a.cashier.login if a.cashier_id else None}
            for a in Audit.select().where(Audit.action == action)]


def test_only_a_manager_may_see_or_change_the_cashiers(anon):
    for login in ("anna", "boris"):
        api = anon.login(login)
        for method, path, body in (("get", "/api/v1/cashiers", None),
                                   ("post", "/api/v1/cashiers", {"login": "x", "name": "X",
                                                                 "role": "cashier", "pin": "1234"}),
                                   ("post", "/api/v1/cashiers/anna/deactivate", None),
                                   ("post", "/api/v1/cashiers/anna/pin", {"pin": "4321"}),
                                   ("post", "/api/v1/cashiers/anna/unlock", None)):
            r = api.get(path) if method == "get" else api.post(path, json=body)
            assert r.status_code == 403, (login, path, r.get_json())
            assert r.get_json()["error"]["code"] == "role_required"
    assert Cashier.select().count() == 3 and Cashier.get(login="anna").active
    assert anon.client.get("/api/v1/cashiers").status_code == 401


def test_the_manager_lists_and_adds_a_cashier_who_can_then_sign_in(anon, manager):
    items = manager.get("/api/v1/cashiers").get_json()["items"]
    assert [c["login"] for c in items] == ["anna", "boris", "maria"]
    assert items[0] == {"login": "anna", "name": "Анна", "role": "cashier", "active": True,
                        "locked": False, "locked_until": None, "has_pin": True,
                        "created_at": items[0]["created_at"]}
    r = manager.post("/api/v1/cashiers", json={"login": "olga", "name": "Ольга",
                                               "role": "senior", "pin": "5555"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["role"] == "senior"
    assert anon.login("olga", "5555").token
    assert _audits("cashier.added")[-1] == {"login": "olga", "role": "senior", "by": "maria"}


@pytest.mark.parametrize("body, field", [
    ({"login": "x y", "name": "X", "role": "cashier", "pin": "1234"}, "login"),
    ({"login": "xy", "name": " ", "role": "cashier", "pin": "1234"}, "name"),
    ({"login": "xy", "name": "X", "role": "boss", "pin": "1234"}, "role"),
    ({"login": "xy", "name": "X", "role": "cashier", "pin": "12"}, "pin"),
    ({"login": "xy", "name": "X", "role": "cashier", "pin": 1234}, "pin"),
    ({"login": "anna", "name": "X", "role": "cashier", "pin": "1234"}, "login"),
])
def test_a_bad_new_cashier_is_refused_and_nothing_is_written(manager, body, field):
    audits = Audit.select().count()
    r = manager.post("/api/v1/cashiers", json=body)
    assert 400 <= r.status_code < 500 and r.get_json()["error"]["field"] == field
    assert Cashier.select().count() == 3 and Audit.select().count() == audits


def test_deactivating_ends_the_sessions_and_stops_the_sign_in(anon, manager):
    anna = anon.login("anna")
    assert anna.get("/api/v1/session").status_code == 200
    r = manager.post("/api/v1/cashiers/anna/deactivate")
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert anna.get("/api/v1/session").status_code == 401  # signed out on her next request
    assert not ApiSession.select().where((ApiSession.cashier == Cashier.get(login="anna"))
                                         & (ApiSession.closed == False)).count()  # noqa: E712
    r = anon.client.post("/api/v1/session", json={"login": "anna", "pin": "1111"})
    assert r.status_code == 401
    assert _audits("cashier.deactivated")[-1] == {"login": "anna", "sessions_ended": 1,
                                                  "by": "maria"}
    assert manager.post("/api/v1/cashiers/anna/activate").get_json()["active"] is True
    assert anon.login("anna").token


def test_a_manager_cannot_deactivate_themselves_nor_an_unknown_login(manager):
    r = manager.post("/api/v1/cashiers/maria/deactivate")
    assert r.status_code == 409 and Cashier.get(login="maria").active
    assert manager.post("/api/v1/cashiers/nobody/deactivate").status_code == 404
    assert manager.post("/api/v1/cashiers/nobody/unlock").status_code == 404
    assert manager.post("/api/v1/cashiers/nobody/pin", json={"pin": "1234"}).status_code == 404


def test_a_new_pin_replaces_the_old_one_and_a_bad_one_changes_nothing(anon, manager):
    before = Cashier.get(login="anna").pin_hash
    for bad in ({"pin": "12"}, {"pin": "abcd"}, {"pin": 1234}, {}):
        r = manager.post("/api/v1/cashiers/anna/pin", json=bad)
        assert r.status_code == 400 and r.get_json()["error"]["field"] == "pin"
    assert Cashier.get(login="anna").pin_hash == before
    r = manager.post("/api/v1/cashiers/anna/pin", json={"pin": "7777"})
    assert r.status_code == 200
    after = Cashier.get(login="anna").pin_hash
    assert after.startswith("scrypt$") and "7777" not in after
    assert anon.client.post("/api/v1/session",
                            json={"login": "anna", "pin": "1111"}).status_code == 401
    assert anon.login("anna", "7777").token
    assert _audits("cashier.pin_set")[-1] == {"login": "anna", "by": "maria"}
    assert "7777" not in json.dumps([a.detail for a in Audit.select()])


def test_unlock_lets_a_locked_out_cashier_sign_in_again(anon, manager, store):
    attempts = store.config.get("security", "pin_attempts")
    for _ in range(attempts):
        anon.client.post("/api/v1/session", json={"login": "anna", "pin": "0000"})
    r = anon.client.post("/api/v1/session", json={"login": "anna", "pin": "1111"})
    assert r.status_code == 429
    listed = {c["login"]: c for c in manager.get("/api/v1/cashiers").get_json()["items"]}
    assert listed["anna"]["locked"] is True
    r = manager.post("/api/v1/cashiers/anna/unlock")
    assert r.status_code == 200 and r.get_json()["locked"] is False
    assert anon.login("anna").token
    assert _audits("cashier.unlocked")[-1] == {"login": "anna", "was_locked": True,
                                               "by": "maria"}


def test_print_routes_refuse_without_a_printer_or_a_shift(cashier, manager, open_shift):
    r = cashier.post("/api/v1/shifts/current/x-report/print")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_printer"
    r = manager.post("/api/v1/shifts/current/x-report/print")  # register 1: anna's shift
    assert r.status_code == 409
    sid = open_shift["shift_id"]
    r = manager.post(f"/api/v1/shifts/{sid}/z-report/print")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "shift_open"
    assert manager.post("/api/v1/shifts/999/z-report/print").status_code == 404
    assert cashier.post(f"/api/v1/shifts/{sid}/z-report/print").status_code == 403
    items = manager.get("/api/v1/shifts").get_json()["items"]
    assert [s["shift_id"] for s in items] == [sid] and items[0]["closed_at"] is None
