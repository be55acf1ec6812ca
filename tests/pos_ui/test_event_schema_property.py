"""Property: whatever hostile text and numbers a client sends, the store's API answers
below 500 and every event it commits passes the hub's own validation (so nothing a store
can commit stops its sync)."""

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent import outbox
from agent.models import Outbox
from sync.hub.errors import HubApiError
from sync.hub.validate import event as hub_event

HOSTILE = st.text(alphabet=st.characters(codec=None, categories=None), max_size=300) | \
    st.sampled_from(["Ива\u0000н", "a\u202eb", "\u2066x", "и\u0306", "x" * 5000, "", " ",
                     "\x85", "\ufeff", "💳", "1e308", "1_000", "١٢", "１２"])
NUMBER = st.integers(-2**70, 2**70) | st.sampled_from([0, 1, 10**12, 10**13, 10**16, 2**63]) \
    | HOSTILE | st.none() | st.booleans()

actions = st.one_of(
    st.tuples(st.just("customer"), HOSTILE, HOSTILE | st.none()),
    st.tuples(st.just("adjust"), NUMBER, HOSTILE),
    st.tuples(st.just("cash"), NUMBER, HOSTILE),
    st.tuples(st.just("sale"), NUMBER, HOSTILE),
    st.tuples(st.just("stock"), NUMBER, HOSTILE),
)


class Wire:
    """Bodies as a real client sends them: JSON with every non-ASCII char escaped (so a
    lone surrogate arrives as a \\ud800 escape, as it would over the network)."""

    def __init__(self, api):
        self.api = api

    def post(self, path, json=None):
        import json as _json
        return self.api.client.post(path, data=_json.dumps(json), headers=self.api._h(),
                                    content_type="application/json")


def test_every_committed_event_passes_the_hub(anon):
    api = Wire(anon.login("maria"))
    assert api.post("/api/v1/shifts/open", json={"opening_cash": 10**9}).status_code == 201
    phones = iter(range(1_000_000, 9_999_999))

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(actions)
    def run(action):
        kind, a, b = action
        before = outbox.last_seq()
        if kind == "customer":
            r = api.post("/api/v1/customers", json={"phone": f"+7916{next(phones):07d}",
                                                    "name": a, "email": b})
        elif kind == "adjust":
            phone = f"+7916{next(phones):07d}"
            api.post("/api/v1/customers", json={"phone": phone})
            r = api.post(f"/api/v1/customers/{phone}/adjustments", json={"amount": a, "reason": b})
        elif kind == "cash":
            r = api.post("/api/v1/shifts/cash", json={"kind": "in", "amount": a, "reason": b})
        elif kind == "sale":
            r = api.post("/api/v1/sales", json={
                "client_ref": uuid.uuid4().hex, "lines": [{"sku": "CHEESE", "qty": a}],
                "payments": [{"method": "cash", "amount": 10**11}]})
        else:
            r = api.post("/api/v1/stock/moves", json={
                "kind": "receipt", "client_ref": uuid.uuid4().hex, "note": b,
                "lines": [{"sku": "WATER", "qty": a}]})
        assert r.status_code < 500, (action, r.get_json())
        for row in Outbox.select().where(Outbox.seq > before):
            try:
                hub_event(outbox.envelope(row, "S1"), 0, "S1")
            except HubApiError as e:
                raise AssertionError(f"{row.type} {row.payload[:200]} refused: {e.message}") from None
    run()
    assert outbox.last_seq() > 50  # many actions did commit (not only refusals)
