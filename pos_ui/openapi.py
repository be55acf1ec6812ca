"""The agent's API described as OpenAPI 3.0, built from one table of its routes.

``docs/openapi-agent.json`` is this document written out (a test keeps the two equal) and
``GET /api/v1/openapi.json`` serves it.  Bodies are described by their fields; every
refusal is the contract's ``{"error": {"code", "message", "field"?}}``.
"""

from __future__ import annotations

from sync.apidoc import ID, build

TEXT = {"type": "string", "maxLength": 200}
MONEY = {"type": "integer", "minimum": 0, "maximum": 10**12}
QTY = {"oneOf": [{"type": "string", "pattern": "^[0-9]{1,5}([.,][0-9]{1,3})?$"},
                 {"type": "integer", "minimum": 1, "maximum": 10000}]}
LINE = {"type": "object", "properties": {"sku": TEXT, "barcode": TEXT, "qty": QTY,
                                         "line_id": ID}, "additionalProperties": False}
RETURN_LINE = {"type": "object", "properties": {"line_id": ID, "sku": TEXT, "barcode": TEXT,
                                                "qty": QTY, "price": MONEY},
               "additionalProperties": False}
PAYMENT = {"type": "object", "properties": {"method": {"enum": ["cash", "card", "bonus"]},
                                            "amount": MONEY}, "required": ["method", "amount"],
           "additionalProperties": False}
REFUND = {"type": "object", "properties": {"method": {"enum": ["cash", "card", "advance"]},
                                           "amount": MONEY}, "required": ["method", "amount"],
          "additionalProperties": False}
DOC_QTY = {"oneOf": [{"type": "string", "pattern": "^[0-9]{1,5}([.,][0-9]{1,3})?$"},
                     {"type": "integer", "minimum": 0, "maximum": 10000}]}
DOC_LINE = {"type": "object", "properties": {"sku": TEXT, "barcode": TEXT, "qty": QTY,
                                             "damaged_qty": DOC_QTY},
            "additionalProperties": False}
COUNT_LINE = {"type": "object", "properties": {"sku": TEXT, "barcode": TEXT, "counted": DOC_QTY},
              "additionalProperties": False}
DOC_LINES = {"type": "array", "items": DOC_LINE, "maxItems": 10}
APPROVAL = {"approval_pin": {"type": "string", "pattern": "^[0-9]{4,8}$"},
            "approval_login": {"type": "string", "maxLength": 64}}
DISCOUNT = {"type": "object", "properties": {
    "percent": {"type": "string", "pattern": "^[0-9]{1,3}([.][0-9]{1,2})?$"},
    "amount": MONEY, "reason": TEXT}, "additionalProperties": False}
SALE_LINE = {"type": "object", "properties": {
    "sku": TEXT, "barcode": TEXT, "qty": QTY, "price": MONEY, "reason": TEXT,
    "discount": DISCOUNT}, "additionalProperties": False}
SALE = {"client_ref": {"type": "string", "minLength": 1, "maxLength": 100},
        "lines": {"type": "array", "items": SALE_LINE, "maxItems": 20},
        "payments": {"type": "array", "items": PAYMENT, "maxItems": 4},
        "customer_phone": TEXT, "bonus_redeem": MONEY, "discount": DISCOUNT, **APPROVAL}
# method, path, summary, body fields (None: no body), query parameters, success statuses
ROUTES = [
    ("post", "/api/v1/session", "Sign in with login and PIN (application/json only)",
     {"login": TEXT, "pin": {"type": "string"}, "register": TEXT}, {}, ("200",)),
    ("get", "/api/v1/session", "Who is signed in", None, {}, ("200",)),
    ("delete", "/api/v1/session", "Sign out (the token stops working)", None, {}, ("200",)),
    ("post", "/api/v1/approvals", "A manager approves an action the screen guards",
     {"action": TEXT, **APPROVAL}, {}, ("200",)),
    ("get", "/api/v1/products/lookup", "A product by barcode", None, {"barcode": TEXT},
     ("200",)),
    ("get", "/api/v1/products", "Search products", None,
     {"q": TEXT, "limit": {"type": "integer", "minimum": 1, "maximum": 200}}, ("200",)),
    ("post", "/api/v1/shifts/open", "Open a shift", {"opening_cash": MONEY}, {}, ("201",)),
    ("get", "/api/v1/shifts/current", "The X report of the open shift", None, {}, ("200",)),
    ("post", "/api/v1/shifts/close", "Close the open shift with the counted cash (the Z "
     "report; with a fiscal register its Z in fiscal_z)", {"counted_cash": MONEY}, {},
     ("200",)),
    ("post", "/api/v1/shifts/cash", "Cash into or out of the drawer (out: a manager)",
     {"kind": {"enum": ["in", "out"]}, "amount": MONEY, "reason": TEXT, **APPROVAL}, {},
     ("201",)),
    ("get", "/api/v1/stock", "On hand of a SKU", None, {"sku": TEXT}, ("200",)),
    ("post", "/api/v1/stock/moves", "A stock document: receipt, write-off or count",
     {"kind": {"enum": ["receipt", "writeoff", "count"]}, "client_ref": TEXT,
      "lines": {"type": "array", "items": LINE, "maxItems": 10}, "note": TEXT}, {},
     ("200", "201")),
    ("get", "/api/v1/stock-docs/product", "A scanned or typed code -> the product, without "
     "its book quantity (senior or manager)", None, {"code": TEXT}, ("200",)),
    ("get", "/api/v1/deliveries", "Deliveries, newest first (senior or manager)", None,
     {"status": {"enum": ["expected", "received"]}}, ("200",)),
    ("post", "/api/v1/deliveries", "Receive goods that came with no expected document "
     "(idempotent by client_ref)",
     {"client_ref": TEXT, "supplier": TEXT, "number": TEXT, "lines": DOC_LINES}, {},
     ("200", "201")),
    ("post", "/api/v1/deliveries/{delivery_id}/receive", "Receive an expected delivery as "
     "counted, with its numbered discrepancy act", {"client_ref": TEXT, "lines": DOC_LINES},
     {}, ("200", "201")),
    ("get", "/api/v1/deliveries/{delivery_id}/act", "The discrepancy act (ТОРГ-2) as "
     "printable HTML", None, {}, (("200", "text/html"),)),
    ("post", "/api/v1/deliveries/{delivery_id}/act/print", "Print the act's summary again",
     {}, {}, ("202",)),
    ("post", "/api/v1/transfers", "Send goods to another store of the chain (idempotent by "
     "client_ref)", {"client_ref": TEXT, "to_store": TEXT, "lines": DOC_LINES}, {},
     ("200", "201")),
    ("get", "/api/v1/transfers", "Transfers out and in, newest first", None,
     {"direction": {"enum": ["in", "out"]}}, ("200",)),
    ("post", "/api/v1/transfers/{transfer_id}/receive", "Receive an incoming transfer as "
     "counted", {"client_ref": TEXT, "lines": DOC_LINES}, {}, ("200", "201")),
    ("post", "/api/v1/counts", "A blind count, full or partial",
     {"client_ref": TEXT, "scope": {"enum": ["full", "partial"]},
      "lines": {"type": "array", "items": COUNT_LINE, "maxItems": 10}}, {}, ("200", "201")),
    ("get", "/api/v1/writeoffs/reasons", "The configured write-off reasons", None, {},
     ("200",)),
    ("post", "/api/v1/writeoffs", "A write-off with a configured reason",
     {"client_ref": TEXT, "reason": TEXT, "lines": DOC_LINES}, {}, ("200", "201")),
    ("get", "/api/v1/orders", "Pick-up orders of this store, overdue first (default: open "
     "ones)", None, {"status": {"enum": ["new", "accepted", "assembled", "ready", "collected",
                                        "cancelled"]}}, ("200",)),
    ("get", "/api/v1/orders/{order_id}", "One pick-up order with its lines and history", None,
     {}, ("200",)),
    ("post", "/api/v1/orders/{order_id}/status", "Move a pick-up order (409 on a move the "
     "lifecycle does not allow, or when accepting finds the goods reserved)",
     {"client_ref": TEXT, "status": {"enum": ["accepted", "assembled", "ready", "cancelled"]},
      "reason": TEXT}, {}, ("200",)),
    ("post", "/api/v1/orders/{order_id}/collect", "Hand a ready order over: a sale for what is "
     "still due (payments may be empty when fully prepaid)",
     {"client_ref": TEXT, "payments": {"type": "array", "items": PAYMENT, "maxItems": 4}}, {},
     ("200", "201")),
    ("get", "/api/v1/status", "Hub, outbox, printer and fiscal state", None, {}, ("200",)),
    ("post", "/api/v1/sales/quote", "Price a cart", SALE, {}, ("200",)),
    ("post", "/api/v1/sales", "Commit a sale (idempotent by client_ref)", SALE, {},
     ("200", "201")),
    ("get", "/api/v1/sales/{sale_id}", "One sale", None, {}, ("200",)),
    ("get", "/api/v1/sales", "Recent sales of this register", None,
     {"register": TEXT, "shift_number": ID, "number": ID,
      "limit": {"type": "integer", "minimum": 1, "maximum": 100}}, ("200",)),
    ("get", "/api/v1/returns/lookup", "A customer's recent sales in the other stores of the "
     "chain (the hub answers, with what is still returnable), to return one here with origin",
     None, {"phone": {"type": "string", "maxLength": 40}}, ("200",)),
    ("post", "/api/v1/returns", "Return goods of a sale (a manager approves); sale_id null: "
     "without a receipt (lines by sku with price, reason, customer); origin: a sale of "
     "another store or the site",
     {"client_ref": TEXT, "sale_id": {**ID, "nullable": True},
      "lines": {"type": "array", "items": RETURN_LINE, "maxItems": 10},
      "refunds": {"type": "array", "items": REFUND, "maxItems": 3}, "reason": TEXT,
      "customer": {"type": "object", "properties": {"name": TEXT, "document": TEXT},
                   "additionalProperties": False},
      "origin": {"type": "object", "properties": {"store_id": TEXT, "sale_id": ID,
                                                  "sale_number": ID, "phone": TEXT},
                 "additionalProperties": False}, **APPROVAL}, {},
     ("200", "201")),
    ("get", "/api/v1/returns/{return_id}", "One return", None, {}, ("200",)),
    ("get", "/api/v1/customers", "A customer by phone", None, {"phone": TEXT}, ("200",)),
    ("post", "/api/v1/customers", "Register a customer (asks the hub first: 201 new to the "
     "chain with its welcome bonus, 200 the chain knew the phone)",
     {"phone": TEXT, "name": TEXT, "email": TEXT}, {}, ("200", "201")),
    ("post", "/api/v1/customers/{phone}/adjustments", "A manual bonus adjustment (a manager; "
     "403 unless [loyalty] store_adjustments)",
     {"amount": {"type": "integer", "minimum": -10**12, "maximum": 10**12}, "reason": TEXT},
     {}, ("201",)),
    ("get", "/api/v1/customers/{phone}/ledger", "A customer's bonus ledger", None, {},
     ("200",)),
    ("get", "/api/v1/receipts/{sale_id}", "A sale's receipt (409 receipt_inconsistent when "
     "its stored lines do not add up to its total)", None, {}, ("200",)),
    ("get", "/api/v1/receipts/returns/{return_id}", "A return's receipt", None, {}, ("200",)),
    ("post", "/api/v1/receipts/{sale_id}/print", "Print a sale's receipt again", {}, {},
     ("202",)),
    ("post", "/api/v1/receipts/returns/{return_id}/print", "Print a return's receipt again",
     {}, {}, ("202",)),
    ("post", "/api/v1/drawer/open", "Open the cash drawer (a manager)", APPROVAL, {},
     ("202",)),
    ("get", "/api/v1/scale/weight", "The scale's stable weight", None, {}, ("200",)),
    ("post", "/api/v1/sales/{sale_id}/fiscal/retry", "Send a sale to the register again",
     APPROVAL, {}, ("200", "202")),
    ("post", "/api/v1/returns/{return_id}/fiscal/retry", "Send a return to the register again",
     APPROVAL, {}, ("200", "202")),
    ("post", "/api/v1/sales/{sale_id}/void", "Void a sale the register never took",
     APPROVAL, {}, ("200",)),
    ("post", "/api/v1/fiscal/x-report", "The register's X report (409 register_unreachable "
     "when it does not answer within 5 s)", {}, {}, ("200",)),
    ("get", "/api/v1/fiscal/receipts", "Pending and failed fiscal receipts, oldest first, "
     "voidable marked (senior or manager)", None, {}, ("200",)),
    ("get", "/api/v1/shifts/{shift_id}/fiscal-z", "The register's Z of a closed shift: "
     "pending, done or failed", None, {}, ("200",)),
    ("post", "/api/v1/shifts/{shift_id}/fiscal-z/retry", "Send a failed Z to the register "
     "again (a senior approves)", APPROVAL, {}, ("202",)),
    ("get", "/metrics", "Prometheus metrics (text format): sales, events pending/pushed/"
     "rejected, push latency, fiscal pending/failed, print queue. Loopback clients only, or "
     "[server] metrics_token as a bearer token", None, {}, (("200", "text/plain"),)),
    ("get", "/api/v1/cashiers", "The store's cashiers with role, state and lockout (a "
     "manager)", None, {}, ("200",)),
    ("post", "/api/v1/cashiers", "Add a cashier (a manager; audited)",
     {"login": TEXT, "name": TEXT, "role": {"enum": ["cashier", "senior", "manager"]},
      "pin": {"type": "string", "pattern": "^[0-9]{4,8}$"}}, {}, ("201",)),
    ("post", "/api/v1/cashiers/{login}/deactivate", "Stop a cashier signing in and end their "
     "open sessions (a manager; audited)", {}, {}, ("200",)),
    ("post", "/api/v1/cashiers/{login}/activate", "Let a deactivated cashier sign in again "
     "(a manager; audited)", {}, {}, ("200",)),
    ("post", "/api/v1/cashiers/{login}/pin", "Set a cashier's new PIN; clears a lockout (a "
     "manager; audited)", {"pin": {"type": "string", "pattern": "^[0-9]{4,8}$"}}, {},
     ("200",)),
    ("post", "/api/v1/cashiers/{login}/unlock", "Clear a lockout after wrong PINs (a "
     "manager; audited)", {}, {}, ("200",)),
    ("get", "/api/v1/shifts", "This register's latest shifts, newest first (senior or "
     "manager)", None, {"limit": {"type": "integer", "minimum": 1, "maximum": 50}}, ("200",)),
    ("post", "/api/v1/shifts/current/x-report/print", "Print the open shift's X report on "
     "the receipt printer", {}, {}, ("202",)),
    ("post", "/api/v1/shifts/{shift_id}/z-report/print", "Print a closed shift's Z report "
     "again (senior or manager)", {}, {}, ("202",)),
    ("get", "/api/v1/quick-keys", "The sale screen's quick-key grid ([quick_keys] skus), "
     "unknown SKUs named in missing", None, {}, ("200",)),
    ("get", "/api/v1/sync/status", "Sync state: pending, acked_through, blocked", None, {},
     ("200",)),
    ("get", "/api/v1/openapi.json", "This document", None, {}, ("200",)),
    ("get", "/healthz", "Liveness: ok, the store's id and the agent's version", None, {},
     ("200",)),
]
PUBLIC = {("post", "/api/v1/session"), ("get", "/healthz"), ("get", "/api/v1/openapi.json"),
          ("get", "/metrics")}
PATH_PARAMS = {"sale_id": ID, "return_id": ID, "shift_id": ID, "phone": {"type": "string", "maxLength": 40},
               "delivery_id": ID, "login": {"type": "string", "maxLength": 64},
               "transfer_id": {"type": "string", "maxLength": 64},
               "order_id": {"type": "string", "maxLength": 64}}


REQUIRED = {"/api/v1/session": ("login", "pin"), "/api/v1/shifts/open": ("opening_cash",),
            "/api/v1/shifts/close": ("counted_cash",),
            "/api/v1/shifts/cash": ("kind", "amount", "reason"),
            "/api/v1/stock/moves": ("kind", "client_ref", "lines"),
            "/api/v1/sales/quote": ("lines",), "/api/v1/sales": ("client_ref", "lines", "payments"),
            "/api/v1/returns": ("client_ref", "lines"),
            "/api/v1/customers": ("phone",),
            "/api/v1/cashiers": ("login", "name", "role", "pin"),
            "/api/v1/cashiers/{login}/pin": ("pin",),
            "/api/v1/customers/{phone}/adjustments": ("amount", "reason"),
            "/api/v1/deliveries": ("client_ref", "supplier", "number", "lines"),
            "/api/v1/deliveries/{delivery_id}/receive": ("client_ref", "lines"),
            "/api/v1/transfers": ("client_ref", "to_store", "lines"),
            "/api/v1/transfers/{transfer_id}/receive": ("client_ref", "lines"),
            "/api/v1/counts": ("client_ref", "scope", "lines"),
            "/api/v1/writeoffs": ("client_ref", "reason", "lines"),
            "/api/v1/orders/{order_id}/status": ("client_ref", "status"),
            "/api/v1/orders/{order_id}/collect": ("client_ref",)}


def document() -> dict:
    return build(ROUTES, public=PUBLIC, path_params=PATH_PARAMS, required=REQUIRED,
                 description="The cashier-facing JSON API. Money is integer kopecks; "
                             "quantities are decimal text with at most 3 places.")
