"""Another page cannot reach the agent: sign-in only as JSON, foreign Origin or Host 403."""

import json

import requests

from agent.models import Cashier

BAD = json.dumps({"login": "anna", "pin": "0000"})


def test_sign_in_as_text_plain_is_415_and_counts_nothing(anon):
    """Issue 14 item 4: six no-cors text/plain posts locked a cashier for 15 minutes."""
    for _ in range(6):
        r = anon.client.post("/api/v1/session", data=BAD, content_type="text/plain")
        assert r.status_code == 415 and r.get_json()["error"]["code"] == "unsupported_media_type"
        r = anon.client.post("/api/v1/session", data=BAD,
                             content_type="application/x-www-form-urlencoded")
        assert r.status_code == 415
    anna = Cashier.get(Cashier.login == "anna")
    assert anna.failed_attempts == 0 and anna.locked_until is None
    anon.login("anna")


def test_a_foreign_origin_is_403_before_anything_happens(live_agent):
    base = live_agent.url.rstrip("/")
    port = base.rsplit(":", 1)[1]
    for origin in ("http://localhost:3000", "http://evil.example", "null",
                   f"https://127.0.0.1:{port}"):
        r = requests.post(base + "/api/v1/session", data=BAD, timeout=10,
                          headers={"Origin": origin, "Content-Type": "application/json"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "bad_origin", origin
    assert Cashier.get(Cashier.login == "anna").failed_attempts == 0
    r = requests.post(base + "/api/v1/session", timeout=10,  # its own page: fine
                      json={"login": "anna", "pin": "1111"}, headers={"Origin": base})
    assert r.status_code == 200


def test_dns_rebinding_host_names_are_403(live_agent):
    base = live_agent.url.rstrip("/")
    r = requests.get(base + "/healthz", headers={"Host": "attacker.example"}, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "bad_host"
    for host in ("localhost", "127.0.0.1:1234", "[::1]:80", "192.168.1.20:8080"):
        r = requests.get(base + "/healthz", headers={"Host": host}, timeout=10)
        assert r.status_code == 200, host


def test_allowed_origins_let_a_listed_origin_and_host_in(tmp_path):
    from pos_ui import create_app
    from tests.conftest import make_store
    store = make_store(tmp_path / "o", server={"allowed_origins": ["https://pos.shop.example"]})
    try:
        client = create_app(store).test_client()
        h = {"Origin": "https://pos.shop.example", "Host": "pos.shop.example"}
        assert client.get("/healthz", headers=h).status_code == 200
        r = client.get("/healthz", headers={**h, "Origin": "https://other.example"})
        assert r.status_code == 403
    finally:
        store.close()
