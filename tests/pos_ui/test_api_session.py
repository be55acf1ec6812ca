import pytest

from agent.models import ApiSession, Cashier


def test_login_returns_token_and_cashier(anon):
    r = anon.client.post("/api/v1/session", json={"login": "anna", "pin": "1111"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["cashier"] == {"login": "anna", "name": "Анна", "role": "cashier"}
    assert len(body["token"]) > 30
    assert ApiSession.select().count() == 1
    assert ApiSession.get().token_hash != body["token"]  # only a hash is stored


def test_wrong_pin_401_then_lockout_429_even_with_the_right_pin(anon):
    for _ in range(4):
        r = anon.client.post("/api/v1/session", json={"login": "anna", "pin": "0000"})
        assert r.status_code == 401 and r.get_json()["error"]["field"] == "pin"
    r = anon.client.post("/api/v1/session", json={"login": "anna", "pin": "0000"})
    assert r.status_code == 429
    r = anon.client.post("/api/v1/session", json={"login": "anna", "pin": "1111"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert anon.client.post("/api/v1/session", json={"login": "maria", "pin": "9999"}).status_code == 200


def test_pins_are_salted_slow_hashes(store):
    hashes = [c.pin_hash for c in Cashier.select()]
    assert all(h.startswith("scrypt$16384$") for h in hashes)
    assert len(set(h.split("$")[4] for h in hashes)) == len(hashes)  # distinct salts
    assert not any("1111" in h or "9999" in h for h in hashes)


@pytest.mark.parametrize("body, field", [
    ({"login": "anna", "pin": "12ab"}, "pin"),
    ({"login": "anna", "pin": 1111}, "pin"),
    ({"login": "", "pin": "1111"}, "login"),
    ({"login": "anna"}, "pin"),
])
def test_malformed_login_is_400_naming_the_field(anon, body, field):
    r = anon.client.post("/api/v1/session", json=body)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == field


def test_api_needs_a_token_and_logout_ends_it(anon, cashier):
    assert anon.get("/api/v1/products?q=мол").status_code == 401
    assert cashier.get("/api/v1/products?q=мол").status_code == 200
    assert cashier.client.delete("/api/v1/session", headers=cashier._h()).status_code == 200
    assert cashier.get("/api/v1/products?q=мол").status_code == 401


def test_security_headers(anon):
    r = anon.client.get("/healthz")
    assert r.get_json()["ok"] is True
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_route_is_json_404(anon):
    r = anon.client.get("/api/v1/nope")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
