"""The hub's API described as OpenAPI 3.0 (``docs/openapi-hub.json``, served at
``GET /hub/v1/openapi.json``).  Store routes take the store's bearer token and the
``X-Store-Signature`` (v2 binds method, path, query and body); admin routes the admin token.
"""

from __future__ import annotations

from ..apidoc import ID, build

TEXT = {"type": "string", "maxLength": 100}
EVENT = {"type": "object", "properties": {
    "event_id": {"type": "string", "maxLength": 64}, "store_id": TEXT, "seq": ID,
    "type": {"type": "string", "maxLength": 64}, "schema": {"type": "integer", "minimum": 1},
    "occurred_at": {"type": "string", "maxLength": 40}, "payload": {"type": "object"}}}
STORE_ROUTES = {"/hub/v1/events", "/hub/v1/feed", "/hub/v1/loyalty/authorize",
                "/hub/v1/loyalty/customers/{phone}"}
ROUTES = [
    ("post", "/hub/v1/events", "Push a contiguous batch of a store's events",
     {"store_id": TEXT, "batch_id": TEXT, "events": {"type": "array", "items": EVENT,
                                                      "maxItems": 20}}, {}, ("200",)),
    ("get", "/hub/v1/feed", "Catalog, stock and balances changed since a cursor", None,
     {"after": {"type": "integer", "minimum": 0, "maximum": 2**62},
      "limit": {"type": "integer", "minimum": 1, "maximum": 5000}}, ("200",)),
    ("post", "/hub/v1/loyalty/authorize", "Hold bonus for an online redemption",
     {"phone": TEXT, "amount": {"type": "integer", "minimum": 1, "maximum": 10**12},
      "client_ref": TEXT}, {}, ("200",)),
    ("get", "/hub/v1/loyalty/customers/{phone}", "A customer's chain-wide balance", None, {},
     ("200",)),
    ("get", "/hub/v1/stores", "Every store and how far it is held", None, {}, ("200",)),
    ("get", "/hub/v1/stores/{store_id}/summary", "A store's totals (and quarantined count)",
     None, {}, ("200",)),
    ("get", "/hub/v1/stores/{store_id}/stock", "A store's on-hand per SKU", None, {},
     ("200",)),
    ("get", "/hub/v1/stock", "On hand of a SKU per store", None, {"sku": TEXT}, ("200",)),
    ("get", "/hub/v1/customers/{phone}", "A customer's ledger", None, {}, ("200",)),
    ("get", "/hub/v1/loyalty/overdrafts", "Balances taken below zero", None, {}, ("200",)),
    ("post", "/hub/v1/catalog", "Publish catalog items to every store",
     {"items": {"type": "array", "maxItems": 5, "items": {"type": "object"}}}, {}, ("200",)),
    ("get", "/hub/v1/rejected", "Poison events: refused, or quarantined by the operator",
     None, {"store_id": TEXT, "status": {"enum": ["rejected", "quarantined"]}}, ("200",)),
    ("post", "/hub/v1/rejected/{rejected_id}/quarantine",
     "Accept a rejected event into quarantine: its seq is held, it is never applied", None,
     {}, ("200",)),
    ("get", "/hub/v1/openapi.json", "This document", None, {}, ("200",)),
    ("get", "/healthz", "Liveness", None, {}, ("200",)),
]
PATH_PARAMS = {"phone": {"type": "string", "maxLength": 20},
               "store_id": {"type": "string", "maxLength": 64}, "rejected_id": ID}


def document() -> dict:
    doc = build(ROUTES, title="store-hub API", public={("get", "/healthz"),
                                                       ("get", "/hub/v1/openapi.json")},
                security={"admin": {"type": "http", "scheme": "bearer"}},
                path_params=PATH_PARAMS,
                description="The reference hub. Store routes: the store's bearer token and "
                            "X-Store-Signature t=<unix s>,v1=<hex>,v2=<hex> where v2 = "
                            "HMAC-SHA256(token, '<t>.<METHOD>.<path?query>.<sha256 hex of "
                            "body>'). Admin routes: the admin token.")
    doc["components"]["securitySchemes"]["store"] = {
        "type": "apiKey", "in": "header", "name": "X-Store-Signature",
        "description": "with Authorization: Bearer <store token>"}
    for path in STORE_ROUTES:
        for op in doc["paths"][path].values():
            op["security"] = [{"store": []}]
    return doc
