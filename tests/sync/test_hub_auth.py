"""Who may call the hub: bad credentials are 401, a foreign store 403, a huge batch 413."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from sync import signing

from .hubkit import HubServer, event, push_raw, signed
from .test_hub_ingest import day


def body_of(store="S1", events=None) -> bytes:
    return json.dumps({"store_id": store, "batch_id": uuid.uuid4().hex,
                       "events": events if events is not None else day(store)}).encode()


def post(hub, headers, body):
    return requests.post(hub.url + "/hub/v1/events", data=body, headers=headers, timeout=30)


@pytest.fixture
def tok(hub):
    return hub.add_store("S1")


def acked(hub):
    return hub.admin("/hub/v1/stores/S1/summary")[1]["acked_through"]


@pytest.mark.parametrize("case", ["unsigned", "wrong_signature", "signed_other_body", "stale",
                                  "future", "unknown_token", "no_bearer", "admin_token"])
def test_bad_credentials_are_401_and_nothing_is_applied(hub, tok, case):
    body = body_of()
    h = signed(tok, body)
    if case == "unsigned":
        del h[signing.HEADER]
    elif case == "wrong_signature":
        h[signing.HEADER] = signing.header_value("another-token-123456", body)
    elif case == "signed_other_body":
        h[signing.HEADER] = signing.header_value(tok, body + b" ")
    elif case == "stale":
        h[signing.HEADER] = signing.header_value(tok, body, int(time.time()) - 301)
    elif case == "future":
        h[signing.HEADER] = signing.header_value(tok, body, int(time.time()) + 301)
    elif case == "unknown_token":
        h = signed("tok-unknown-0123456789", body)
    elif case == "no_bearer":
        del h["Authorization"]
    elif case == "admin_token":
        h = signed(hub.admin_token, body)
    r = post(hub, h, body)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] in ("unauthorized", "bad_signature")
    assert tok not in r.text
    assert acked(hub) == 0


def test_a_replayed_request_is_401_even_though_the_first_succeeded(hub, tok):
    body = body_of()
    h = signed(tok, body)
    assert post(hub, h, body).status_code == 200
    r = post(hub, h, body)
    assert r.status_code == 401 and r.json()["error"]["code"] == "replay"


@pytest.mark.parametrize("refusal", ["gap", "malformed", "conflict"])
def test_a_replayed_push_is_401_even_though_the_first_was_refused(hub, tok, refusal):
    """The replay record shares the batch's transaction; a refused push (rolled back) is
    remembered on its own."""
    first = day()
    ok = body_of(events=first[:2])
    assert post(hub, signed(tok, ok), ok).status_code == 200
    events = {"gap": first[4:5], "malformed": [{"seq": 3}],
              "conflict": [dict(first[0], payload={"doc_id": 9, "kind": "receipt", "lines": []})]
              }[refusal]
    body = body_of(events=events)
    h = signed(tok, body)
    assert post(hub, h, body).status_code in (400, 403, 409)
    r = post(hub, h, body)
    assert r.status_code == 401 and r.json()["error"]["code"] == "replay"
    assert acked(hub) == 2


def test_a_replayed_get_is_401(hub, tok):
    h = signed(tok, b"", method="GET", target="/hub/v1/feed?after=0")
    assert requests.get(hub.url + "/hub/v1/feed?after=0", headers=h).status_code == 200
    assert requests.get(hub.url + "/hub/v1/feed?after=0", headers=h).status_code == 401


def test_a_replay_to_another_path_or_query_is_401_and_survives_a_restart(hub, tok, tmp_path):
    """Issue 14 item 5: a captured push resent to /hub/v1/events?x=1 was answered 200."""
    body = body_of()
    h = signed(tok, body)
    assert post(hub, h, body).status_code == 200
    for url in ("/hub/v1/events?x=1", "/hub/v1/events?", "/hub/v1//events"):
        r = requests.post(hub.url + url, data=body, headers=h, timeout=30)
        assert r.status_code in (400, 401, 404), (url, r.status_code)
    from sync.hub.app import HubConfig, create_app
    again = create_app(HubConfig(db_url=hub.db_url, secret=hub.secret)).test_client()
    r = again.post("/hub/v1/events", data=body, headers=h)  # a fresh process, same database
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "replay"


def test_v1_alone_is_refused_unless_the_hub_accepts_old_agents(hub, tok):
    body = body_of()
    h = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json",
         signing.HEADER: signing.header_value(tok, body)}  # v1 only: binds the body alone
    r = post(hub, h, body)
    assert r.status_code == 401 and "v2" in r.json()["error"]["message"]
    from sync.hub.app import HubConfig, create_app
    old = create_app(HubConfig(db_url=hub.db_url, secret=hub.secret,
                               accept_v1_signatures=True)).test_client()
    assert old.post("/hub/v1/events", data=body, headers=h).status_code == 200


def test_unknown_query_parameters_are_400(hub, tok):
    for path in ("/hub/v1/events?x=1", "/hub/v1/feed?after=0&evil=1", "/hub/v1/stores?a=b"):
        r = requests.post(hub.url + path, data=b"{}", timeout=30) if "events" in path else \
            requests.get(hub.url + path, timeout=30)
        assert r.status_code == 400, path
        assert r.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("value", ["t=" + "9" * 400 + ",v1=" + "0" * 64,
                                   "t=-5,v1=" + "0" * 64, "t=1e3,v1=" + "0" * 64,
                                   "t=1,v1=" + "0" * 64 + ",v2=zz", "x" * 5000])
def test_a_malformed_signature_header_is_401_never_500(hub, tok, value):
    body = body_of()
    h = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json",
         signing.HEADER: value}
    r = post(hub, h, body)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature"


def test_a_token_of_one_store_cannot_push_for_another(hub, tok):
    hub.add_store("S2")
    r = push_raw(hub.url, tok, "S2", day("S2"))
    assert r.status_code == 403
    assert hub.admin("/hub/v1/stores/S2/summary")[1]["acked_through"] == 0


def test_an_oversized_batch_is_413(tmp_path):
    hub = HubServer(f"sqlite:///{tmp_path / 'small.db'}", tmp_path, max_body=20_000)
    try:
        tok = hub.add_store("S1")
        events = [event("S1", i + 1, "stock.moved", {"lines": [{"sku": f"SKU{i}", "qty": "1"}]})
                  for i in range(200)]
        r = push_raw(hub.url, tok, "S1", events)
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        assert push_raw(hub.url, tok, "S1", events[:20]).status_code == 200
    finally:
        hub.stop()


def test_more_events_than_a_batch_may_hold_is_413(hub, tok):
    from sync.hub.validate import MAX_EVENTS
    events = [event("S1", i + 1, "cash.moved", {"amount": 1}) for i in range(MAX_EVENTS + 1)]
    r = push_raw(hub.url, tok, "S1", events)
    assert r.status_code == 413
    assert acked(hub) == 0


@pytest.mark.parametrize("path", ["/hub/v1/stores/S1/summary", "/hub/v1/stock?sku=MILK",
                                  "/hub/v1/customers/+79161234567", "/hub/v1/loyalty/overdrafts",
                                  "/hub/v1/stores", "/hub/v1/stores/S1/stock"])
def test_admin_routes_need_the_admin_token(hub, tok, path):
    assert requests.get(hub.url + path).status_code == 401
    r = requests.get(hub.url + path, headers=signed(tok, b""))
    assert r.status_code == 401


def test_store_tokens_are_never_stored_in_the_clear(hub, tok, tmp_path):
    from sync.hub.vault import token_hash
    assert push_raw(hub.url, tok, "S1", day()).status_code == 200
    hub.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("hub.db*") if not p.name.endswith("secret"))
    assert tok.encode() not in raw
    assert hub.admin_token.encode() not in raw
    assert token_hash(tok).encode() in raw  # the bearer is found by its hash


def test_store_routes_need_a_signed_store_token(hub, tok):
    for method, path in (("GET", "/hub/v1/feed"), ("POST", "/hub/v1/loyalty/authorize"),
                         ("GET", "/hub/v1/loyalty/customers/+79161234567")):
        r = requests.request(method, hub.url + path, json={},
                             headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 401, path


@pytest.mark.parametrize("query", ["after=%D9%A1%D9%A2", "after=1e3", "after=-1", "after=%2B5",
                                   "limit=0", "after=" + "9" * 400])
def test_numbers_in_hub_queries_are_plain_ascii_digits_in_range(hub, tok, query):
    """One reader for the hub's numeric query parameters (the feed and a store's event copy
    parsed them with int(), which takes Arabic-Indic digits and signs)."""
    for path in (f"/hub/v1/feed?{query}", f"/hub/v1/stores/S1/events?{query}"):
        h = signed(tok, b"", method="GET", target=path)
        r = requests.get(hub.url + path, headers=h)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert r.json()["error"]["code"]
