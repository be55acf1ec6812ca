"""The hub's API described as OpenAPI 3.0 (``docs/openapi-hub.json``, served at
``GET /hub/v1/openapi.json``).  Store routes take the store's bearer token and the
``X-Store-Signature`` (v2 binds method, path, query and body); channel routes a channel's
bearer token; admin routes the admin token.
"""

from __future__ import annotations

from ..apidoc import ID, build

TEXT = {"type": "string", "maxLength": 100}
EVENT = {"type": "object", "properties": {
    "event_id": {"type": "string", "maxLength": 64}, "store_id": TEXT, "seq": ID,
    "type": {"type": "string", "maxLength": 64}, "schema": {"type": "integer", "minimum": 1},
    "occurred_at": {"type": "string", "maxLength": 40}, "payload": {"type": "object"}}}
STORE_ROUTES = {("post", "/hub/v1/events"), ("get", "/hub/v1/feed"),
                ("post", "/hub/v1/loyalty/authorize"),
                ("get", "/hub/v1/stores/{store_id}/events"), ("get", "/hub/v1/sales/lookup"),
                ("get", "/hub/v1/sales/by-phone")}
CHANNEL_ROUTES = {("post", "/hub/v1/loyalty/entries")}
ADMIN_OR_CHANNEL_ROUTES = {("post", "/hub/v1/deliveries"), ("get", "/hub/v1/deliveries"),
                           ("post", "/hub/v1/orders"), ("get", "/hub/v1/orders"),
                           ("get", "/hub/v1/orders/{order_id}"),
                           ("post", "/hub/v1/orders/{order_id}/cancel"),
                           ("get", "/hub/v1/availability")}
EITHER_ROUTES = {("get", "/hub/v1/loyalty/customers/{phone}"),  # a channel's or a store's
                 ("post", "/hub/v1/customers")}
AMOUNT = {"type": "integer", "minimum": 1, "maximum": 10**12}
ENTRY_LINE = {"type": "object", "properties": {
    "line_id": {"type": "string", "maxLength": 64},
    "amount": {"type": "integer", "minimum": 0, "maximum": 10**12}}}
DELIVERY_LINE = {"type": "object", "properties": {
    "sku": {"type": "string", "maxLength": 64}, "name": {"type": "string", "maxLength": 200},
    "qty": {"type": "string", "pattern": "^[0-9]{1,5}(\\.[0-9]{1,3})?$"},
    "price": {"type": "integer", "minimum": 0, "maximum": 10**12}}}
ORDER_LINE = {"type": "object", "properties": {
    "sku": {"type": "string", "maxLength": 64}, "barcode": {"type": "string", "maxLength": 64},
    "qty": {"type": "string", "pattern": "^[0-9]{1,5}(\\.[0-9]{1,3})?$"},
    "price": {"type": "integer", "minimum": 0, "maximum": 10**12}}}
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
    ("get", "/hub/v1/loyalty/customers/{phone}", "A customer's chain-wide balance (a store's "
     "lookup marks the phone seen: its balance then comes down the store's feed)", None, {},
     ("200",)),
    ("post", "/hub/v1/loyalty/entries", "A channel's bonus entry: accrual, redemption or "
     "reversal by ref (idempotent per channel)",
     {"ref": TEXT, "phone": {"type": "string", "maxLength": 40},
      "kind": {"enum": ["accrual", "redemption", "reversal"]}, "channel": TEXT,
      "amount": AMOUNT, "order_total": {"type": "integer", "minimum": 0, "maximum": 10**12},
      "lines": {"type": "array", "maxItems": 5, "items": ENTRY_LINE}, "reverses": TEXT,
      "withheld": {"type": "integer", "minimum": 0, "maximum": 10**12}}, {}, ("200", "201")),
    ("post", "/hub/v1/customers", "Register a customer with the chain: 201 new (one welcome "
     "bonus per phone), 200 known",
     {"phone": {"type": "string", "maxLength": 40}, "name": {"type": "string", "maxLength": 200},
      "welcome_bonus": {"type": "integer", "minimum": 0, "maximum": 10**12}}, {},
     ("200", "201")),
    ("post", "/hub/v1/customers/{phone}/adjustments", "A manual adjustment by the loyalty "
     "office, audited",
     {"amount": {"type": "integer", "minimum": -10**12, "maximum": 10**12},
      "reason": {"type": "string", "maxLength": 200}, "by": TEXT}, {}, ("201",)),
    ("get", "/hub/v1/stores", "Every store, stale first: status (dead/lagging/ok), how far it "
     "is held, when it last called with which agent version, lag_seconds, backlog and which "
     "business days are complete", None, {}, ("200",)),
    ("get", "/hub/v1/stores/{store_id}/events", "The hub's copy of the calling store's own "
     "events after a seq, as received (a restored store's catch-up; quarantined ones too)",
     None, {"after": {"type": "integer", "minimum": 0, "maximum": 2**62},
            "limit": {"type": "integer", "minimum": 0, "maximum": 2000}}, ("200",)),
    ("get", "/hub/v1/reports/sales", "Sales by business day, store or product (lines: qty, "
     "amount, discount, net, VAT; returns by line), voided sales left out", None,
     {"by": {"type": "string", "enum": ["day", "store", "product"]},
      "days": {"type": "integer", "minimum": 1, "maximum": 3660},
      "store_id": {"type": "string", "maxLength": 64}}, ("200",)),
    ("get", "/hub/v1/stores/{store_id}/summary", "A store's totals (and quarantined count)",
     None, {}, ("200",)),
    ("get", "/hub/v1/stores/{store_id}/stock", "A store's on-hand per SKU", None, {},
     ("200",)),
    ("get", "/hub/v1/stock", "On hand of a SKU per store", None, {"sku": TEXT}, ("200",)),
    ("get", "/hub/v1/customers/{phone}", "A customer's ledger", None, {}, ("200",)),
    ("get", "/hub/v1/loyalty/overdrafts", "Balances taken below zero", None, {}, ("200",)),
    ("post", "/hub/v1/catalog", "Publish catalog items to every store",
     {"items": {"type": "array", "maxItems": 5, "items": {"type": "object"}}}, {}, ("200",)),
    ("get", "/hub/v1/sales/lookup", "Another store's sale for a return here: its lines with "
     "what is still returnable (the hub is the authority)", None,
     {"store_id": TEXT, "sale_id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
      "number": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
      "shift_number": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}, ("200",)),
    ("get", "/hub/v1/sales/by-phone", "A customer's recent sales in the other stores of the "
     "chain, each with what is still returnable (a return here picks one)", None,
     {"phone": {"type": "string", "maxLength": 20},
      "limit": {"type": "integer", "minimum": 1, "maximum": 50}}, ("200",)),
    ("get", "/hub/v1/returns/doubles", "Double returns: foreign returns of more than was "
     "sold (accepted offline)", None, {}, ("200",)),
    ("get", "/hub/v1/rejected", "Poison events: refused, or quarantined by the operator",
     None, {"store_id": TEXT, "status": {"enum": ["rejected", "quarantined", "not_applied"]}}, ("200",)),
    ("post", "/hub/v1/rejected/{rejected_id}/quarantine",
     "Accept a rejected event into quarantine: its seq is held, it is never applied", None,
     {}, ("200",)),
    ("post", "/hub/v1/deliveries", "An expected delivery down one store's feed (admin or a "
     "channel); the same store, supplier and number again answers the first",
     {"store_id": TEXT, "number": {"type": "string", "maxLength": 60},
      "supplier": {"type": "string", "maxLength": 200},
      "lines": {"type": "array", "maxItems": 5, "items": DELIVERY_LINE}}, {}, ("200", "201")),
    ("get", "/hub/v1/deliveries", "Expected deliveries and received ones with their acts",
     None, {"store_id": TEXT}, ("200",)),
    ("get", "/hub/v1/transfers", "Transfers in transit per line, and per store pair", None,
     {"sku": TEXT}, ("200",)),
    ("get", "/hub/v1/stock-docs", "A store's counts and write-offs with their lines", None,
     {"store_id": TEXT}, ("200",)),
    ("post", "/hub/v1/orders", "Place an order for pick-up in a store (admin or a channel); "
     "the same order_id again answers the same order (409 with other content or another "
     "channel's); bonus_redeemed is redeemed from the customer's balance at once (409 "
     "insufficient_bonus or unknown_customer)",
     {"order_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"}, "store_id": TEXT,
      "customer_phone": {"type": "string", "maxLength": 40},
      "lines": {"type": "array", "maxItems": 5, "items": ORDER_LINE},
      "prepaid": {"type": "integer", "minimum": 0, "maximum": 10**12},
      "bonus_redeemed": {"type": "integer", "minimum": 0, "maximum": 10**12}}, {},
     ("200", "201")),
    ("get", "/hub/v1/orders", "Overdue orders: ready longer than the collect hours (a "
     "channel's own; the admin's all)", None,
     {"overdue": {"enum": ["1", "true"]}}, ("200",)),
    ("get", "/hub/v1/orders/{order_id}", "An order with its status history (404 for "
     "another channel's order)", None, {},
     ("200",)),
    ("post", "/hub/v1/orders/{order_id}/cancel", "Cancel an order (the store releases the "
     "reservation when it hears of it, the redeemed bonus comes back); 409 once "
     "collected, 404 for another channel's order",
     {"reason": {"type": "string", "maxLength": 200}}, {}, ("200",)),
    ("get", "/hub/v1/availability", "Per store on_hand, reserved, available and as_of of a "
     "SKU (or a barcode the hub's catalog knows)", None, {"sku": TEXT, "barcode": TEXT},
     ("200",)),
    ("get", "/hub/v1/openapi.json", "This document", None, {}, ("200",)),
    ("get", "/", "The chain console: stores, stale first (an HTML page; without a console "
     "session it sends the browser to /login)", None, {}, (("200", "text/html"),)),
    ("get", "/login", "The console's sign-in page", None, {"next": TEXT},
     (("200", "text/html"),)),
    ("post", "/login", "Sign in with the admin token (form field token): a session cookie "
     "(HttpOnly, SameSite=Strict)", None, {}, (("200", "text/html"),)),
    ("post", "/logout", "Sign out of the console", None, {}, (("200", "text/html"),)),
    ("post", "/console/lang", "The console's language (form field lang: ru or en)", None, {},
     (("200", "text/html"),)),
    ("get", "/console/stores/{store_id}", "A store: sales by day, Z reports against the "
     "fiscal register, rejected events, sync history", None, {}, (("200", "text/html"),)),
    ("get", "/console/sales", "Sales by day (chart), store and product", None,
     {"days": {"type": "integer", "minimum": 1, "maximum": 3660},
      "store_id": {"type": "string", "maxLength": 64}}, (("200", "text/html"),)),
    ("get", "/console/stock", "Stock across the chain; availability (on_hand, reserved, "
     "available, as_of) per store or SKU", None,
     {"q": {"type": "string", "maxLength": 64}, "store_id": {"type": "string", "maxLength": 64},
      "sku": {"type": "string", "maxLength": 64}}, (("200", "text/html"),)),
    ("get", "/console/orders", "Pick-up orders by status, overdue first (the customer's "
     "phone masked but the last 4 digits)", None,
     {"store_id": {"type": "string", "maxLength": 64},
      "status": {"enum": ["new", "accepted", "assembled", "ready", "collected", "cancelled"]}},
     (("200", "text/html"),)),
    ("get", "/console/orders/{order_id}", "A pick-up order with its history", None, {},
     (("200", "text/html"),)),
    ("get", "/console/loyalty", "Bonus overdrafts", None, {}, (("200", "text/html"),)),
    ("get", "/metrics", "Prometheus metrics (text format): per store status, lag, backlog, "
     "last contact; rejected events; sales; requests and push latency of this process. "
     "Loopback clients need no token", None, {}, (("200", "text/plain"),)),
    ("get", "/healthz", "Liveness: ok, the hub's version and schema_version", None, {},
     ("200",)),
]
# the console's pages: a session cookie from POST /login, not a bearer token
CONSOLE_PUBLIC = {("get", "/"), ("get", "/login"), ("post", "/login"), ("post", "/logout"),
                  ("post", "/console/lang"), ("get", "/console/stores/{store_id}"),
                  ("get", "/console/sales"), ("get", "/console/stock"),
                  ("get", "/console/loyalty"), ("get", "/console/orders"),
                  ("get", "/console/orders/{order_id}")}
PATH_PARAMS = {"phone": {"type": "string", "maxLength": 20},
               "store_id": {"type": "string", "maxLength": 64}, "rejected_id": ID,
               "order_id": {"type": "string", "maxLength": 64}}


def document() -> dict:
    doc = build(ROUTES, title="store-hub API", public={("get", "/healthz"),
                                                       ("get", "/hub/v1/openapi.json"),
                                                       *CONSOLE_PUBLIC},
                security={"admin": {"type": "http", "scheme": "bearer"}},
                path_params=PATH_PARAMS,
                description="The reference hub. Store routes: the store's bearer token and "
                            "X-Store-Signature t=<unix s>,v1=<hex>,v2=<hex> where v2 = "
                            "HMAC-SHA256(token, '<t>.<METHOD>.<path?query>.<sha256 hex of "
                            "body>'). Channel routes: a channel's bearer token. "
                            "Admin routes: the admin token.")
    doc["components"]["securitySchemes"]["store"] = {
        "type": "apiKey", "in": "header", "name": "X-Store-Signature",
        "description": "with Authorization: Bearer <store token>; the agent also sends "
                       "X-Store-Agent-Version (the hub's store list shows it)"}
    doc["components"]["securitySchemes"]["channel"] = {
        "type": "http", "scheme": "bearer",
        "description": "a channel's token (store-hub add-channel): a website or an ERP"}
    for routes, security in ((STORE_ROUTES, [{"store": []}]),
                             (CHANNEL_ROUTES, [{"channel": []}]),
                             (EITHER_ROUTES, [{"channel": []}, {"store": []}]),
                             (ADMIN_OR_CHANNEL_ROUTES, [{"admin": []}, {"channel": []}])):
        for method, path in routes:
            doc["paths"][path][method]["security"] = security
    return doc
