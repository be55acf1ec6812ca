"""The hub under hostile input: every bad value is a 4xx naming it, never a 500, on SQLite
and PostgreSQL (where a NUL used to stop a store's sync for good), and a fuzzed push
never gets a 5xx."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .hubkit import event, push_raw
from .test_hub_ingest import day

NUL = "Ива\u0000н"


def _summary(hub):
    return hub.admin("/hub/v1/stores/S1/summary")[1]


@pytest.mark.parametrize("bad, field", [
    (lambda e: e[1]["payload"]["lines"][0].update(sku=NUL), "events[1].payload.lines[0].sku"),
    (lambda e: e[1]["payload"].update(cashier=NUL), "events[1].payload.cashier"),
    (lambda e: e[5]["payload"].update(name=NUL), "events[5].payload.name"),
    (lambda e: e[5]["payload"].update(name="evil\u202etxt"), "events[5].payload.name"),
    (lambda e: e[1]["payload"].update(number="x" * 10), "events[1].payload.number"),
    (lambda e: e[1]["payload"].update(number=2**40), "events[1].payload.number"),
    (lambda e: e[1]["payload"].update(shift_id=2**63), "events[1].payload.shift_id"),
    (lambda e: e[1]["payload"].update(shift_id="1"), "events[1].payload.shift_id"),
    (lambda e: e[1]["payload"].update(register_id=["1"]), "events[1].payload.register_id"),
    (lambda e: e[1]["payload"].update(created_at="2" * 100_000), "events[1].payload.created_at"),
    (lambda e: e[6]["payload"].update(amount=10**16), "events[6].payload.amount"),
    (lambda e: e[1]["payload"]["lines"][0].update(qty="1e308"), "events[1].payload.lines[0].qty"),
    (lambda e: e[1]["payload"]["lines"][0].update(qty="１"), "events[1].payload.lines[0].qty"),
    (lambda e: e[1]["payload"]["lines"][0].update(qty="1_0"), "events[1].payload.lines[0].qty"),
    (lambda e: e[1].update(seq=2**70), "events[1].seq"),
    (lambda e: e[1].update(occurred_at="2" * 100_000), "events[1].occurred_at"),
    (lambda e: e[1].update(type="sale\u0000completed"), "events[1].type"),
])
def test_hostile_values_are_400_naming_the_field_on_both_engines(any_hub, bad, field):
    tok = any_hub.add_store("S1")
    events = day()
    bad(events)
    r = push_raw(any_hub.url, tok, "S1", events)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == field
    assert _summary(any_hub)["acked_through"] == 0


def test_fiscal_sign_with_nul_is_400(any_hub):
    tok = any_hub.add_store("S1")
    events = day()[:2] + [event("S1", 3, "sale.fiscalized", {
        "sale_id": 1, "document_number": 5, "fiscal_sign": "12\u000034"})]
    r = push_raw(any_hub.url, tok, "S1", events)
    assert r.status_code == 400 and r.json()["error"]["field"] == "events[2].payload.fiscal_sign"


def test_deep_json_and_nul_in_other_routes_are_400(any_hub):
    import requests

    from .hubkit import signed
    tok = any_hub.add_store("S1")
    for body in (b"[" * 100_000 + b"]" * 100_000,
                 json.dumps({"phone": "+79161234567", "amount": 1,
                             "client_ref": "a\u0000b"}).encode()):
        path = "/hub/v1/loyalty/authorize"
        r = requests.post(any_hub.url + path, data=body, headers=signed(tok, body, target=path),
                          timeout=60)
        assert r.status_code == 400, r.text


def test_a_return_or_void_of_a_sale_never_received_is_rejected(any_hub):
    tok = any_hub.add_store("S1")
    events = day()
    events[3]["payload"]["sale_id"] = 77  # the return of a sale the store never sent
    r = push_raw(any_hub.url, tok, "S1", events)
    assert r.status_code == 400 and r.json()["error"]["code"] == "event_rejected"
    assert r.json()["seq"] == 4 and _summary(any_hub)["acked_through"] == 0
    [rej] = any_hub.admin("/hub/v1/rejected")[1]["items"]
    assert rej["seq"] == 4 and "never sent" in rej["reason"]
    good = day()  # the same day, consistent: a return after its sale, in one batch or two
    assert push_raw(any_hub.url, tok, "S1", good[:2]).status_code == 200
    assert push_raw(any_hub.url, tok, "S1", good[2:]).status_code == 200


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30)
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(st.text(max_size=8), kids, max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_fuzzed_push_is_never_a_5xx(hub_for_fuzz, data):
    hub, tok = hub_for_fuzz
    events = copy.deepcopy(day())
    i = data.draw(st.integers(0, len(events) - 1))
    target = events[i]["payload"] if data.draw(st.booleans()) else events[i]
    if isinstance(target.get("lines"), list) and data.draw(st.booleans()):
        target = target["lines"][0]
    key = data.draw(st.sampled_from(sorted(target) + ["extra"]))
    target[key] = data.draw(JSON)
    r = push_raw(hub.url, tok, "S1", events)
    assert r.status_code < 500, r.text


@pytest.fixture(scope="module")
def hub_for_fuzz(tmp_path_factory):
    from .hubkit import HubServer
    tmp = tmp_path_factory.mktemp("fuzz")
    h = HubServer(f"sqlite:///{tmp / 'hub.db'}", tmp)
    yield h, h.add_store("S1")
    h.stop()


def test_nul_in_paths_and_query_strings_is_400_on_both_engines(any_hub):
    import requests
    h = {"Authorization": f"Bearer {any_hub.admin_token}"}
    for path in ("/hub/v1/stores/S%001/summary", "/hub/v1/stock?sku=MI%00LK",
                 "/hub/v1/rejected?store_id=S%001", "/hub/v1/customers/%2B7916%00",
                 "/hub/v1/stores/" + "S" * 300 + "/stock"):
        r = requests.get(any_hub.url + path, headers=h, timeout=30)
        assert r.status_code == 400, (path, r.text)
