"""The OpenAPI descriptions in docs/ are the ones the apps serve, and schemathesis run
against live servers on 127.0.0.1 finds no 5xx and no answer off the description."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error, response_schema_conformance  # noqa: E402

from sync import signing  # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs"
CHECKS = [not_a_server_error, response_schema_conformance]


def _doc(name):
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


def test_the_documents_in_docs_are_the_served_ones(live_agent, tmp_path):
    from pos_ui.openapi import document as agent_doc
    from sync.hub.openapi import document as hub_doc
    assert _doc("openapi-agent.json") == agent_doc(), "regenerate docs/openapi-agent.json"
    assert _doc("openapi-hub.json") == hub_doc(), "regenerate docs/openapi-hub.json"
    served = requests.get(live_agent.url + "api/v1/openapi.json", timeout=10)
    assert served.status_code == 200 and served.json() == agent_doc()


def _fuzz(doc, base_url, session, examples, skip=()):
    schema = schemathesis.openapi.from_dict(doc)
    ran = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.lower(), op.path) in skip:
            continue

        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def run(case):
            case.call_and_validate(base_url=base_url, session=session, checks=CHECKS)
        run()
        ran += 1
    return ran


def test_schemathesis_against_the_live_agent(live_agent):
    base = live_agent.url.rstrip("/")
    session = requests.Session()
    token = session.post(base + "/api/v1/session", json={"login": "maria", "pin": "9999"},
                         timeout=10).json()["token"]
    session.headers["Authorization"] = f"Bearer {token}"
    assert session.post(base + "/api/v1/shifts/open", json={"opening_cash": 1000},
                        timeout=10).status_code == 201
    ran = _fuzz(real_skus(_doc("openapi-agent.json")), base, session, examples=12,
                skip={("delete", "/api/v1/session")})
    assert ran >= 30


def real_skus(doc):
    """Lines name the test catalog's SKUs (else every sale is an unknown-SKU 400)."""
    def walk(node):
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict) and "sku" in props and "qty" in props:
                props["sku"] = {"enum": ["MILK", "BREAD", "CHEESE", "COFFEE", "WATER"]}
                node["required"] = ["sku", "qty"]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)
    return doc


class _StoreSigned(requests.auth.AuthBase):
    """Signs store routes (v2) with the store token (also the routes open to channels and
    stores); channel routes get the channel token, admin routes the admin token."""

    def __init__(self, store_token, admin_token, channel_token=None):
        self.store_token, self.admin_token = store_token, admin_token
        self.channel_token = channel_token

    def __call__(self, r):
        target = signing.target_of(r.url)
        path = target.split("?")[0]
        if path == "/hub/v1/loyalty/entries":
            r.headers["Authorization"] = f"Bearer {self.channel_token}"
        elif path in ("/hub/v1/events", "/hub/v1/feed", "/hub/v1/loyalty/authorize") or \
                (path == "/hub/v1/customers" and r.method == "POST") or \
                target.startswith("/hub/v1/loyalty/customers/"):
            body = r.body or b""
            body = body.encode() if isinstance(body, str) else body
            r.headers["Authorization"] = f"Bearer {self.store_token}"
            r.headers[signing.HEADER] = signing.signer_for(self.store_token).sign(
                r.method, r.url, body)
        else:
            r.headers["Authorization"] = f"Bearer {self.admin_token}"
        return r


def test_schemathesis_against_the_live_hub(hub):
    tok = hub.add_store("S1")
    session = requests.Session()
    session.auth = _StoreSigned(tok, hub.admin_token, hub.add_channel("site"))
    ran = _fuzz(for_store(_doc("openapi-hub.json"), "S1"), hub.url, session, examples=15)
    assert ran >= 18


def for_store(doc, store_id):
    """Pushes as this store's (else every one is a 403 before the hub reads it)."""
    body = doc["paths"]["/hub/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    props = body["schema"]["properties"]
    props["store_id"] = {"enum": [store_id]}
    props["events"]["items"]["properties"]["store_id"] = {"enum": [store_id]}
    body["schema"]["required"] = ["store_id", "events"]
    return doc
