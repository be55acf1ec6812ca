"""Numbered, explicit schema steps (PRAGMA user_version is the schema version).

A store upgraded from any earlier release runs the missing steps in order, all in one
transaction (a failed step leaves the database as it was), and keeps its data.  Never edit
a released step; add the next one.
"""

from __future__ import annotations

from peewee import SqliteDatabase

from .errors import Conflict

# Step 1: the first release's schema.
STEP_1 = [
    'CREATE TABLE "cashier" ("id" INTEGER NOT NULL PRIMARY KEY, "login" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "role" VARCHAR(255) NOT NULL, "pin_hash" VARCHAR(255) NOT NULL, "failed_attempts" INTEGER NOT NULL, "locked_until" VARCHAR(255), "active" INTEGER NOT NULL, "created_at" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "cashier_login" ON "cashier" ("login")',
    'CREATE TABLE "api_session" ("token_hash" VARCHAR(255) NOT NULL PRIMARY KEY, "cashier_id" INTEGER NOT NULL, "register_id" VARCHAR(255) NOT NULL, "created_at" VARCHAR(255) NOT NULL, "last_seen_at" VARCHAR(255) NOT NULL, "approval_failures" INTEGER NOT NULL, "closed" INTEGER NOT NULL, FOREIGN KEY ("cashier_id") REFERENCES "cashier" ("id"))',
    'CREATE INDEX "api_session_cashier_id" ON "api_session" ("cashier_id")',
    'CREATE TABLE "product" ("id" INTEGER NOT NULL PRIMARY KEY, "sku" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "search_name" VARCHAR(255) NOT NULL, "unit" VARCHAR(255) NOT NULL, "vat" VARCHAR(255) NOT NULL, "price" INTEGER NOT NULL, "external_id" VARCHAR(255), "parent_sku" VARCHAR(255), "variant" VARCHAR(255), "group_name" VARCHAR(255), "plu" INTEGER, "hidden" INTEGER NOT NULL, "updated_at" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "product_sku" ON "product" ("sku")',
    'CREATE INDEX "product_search_name" ON "product" ("search_name")',
    'CREATE UNIQUE INDEX "product_external_id" ON "product" ("external_id")',
    'CREATE INDEX "product_parent_sku" ON "product" ("parent_sku")',
    'CREATE UNIQUE INDEX "product_plu" ON "product" ("plu")',
    'CREATE TABLE "barcode" ("code" VARCHAR(255) NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "barcode_product_id" ON "barcode" ("product_id")',
    'CREATE TABLE "stock_level" ("product_id" INTEGER NOT NULL PRIMARY KEY, "on_hand_milli" INTEGER NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE TABLE "stock_doc" ("id" INTEGER NOT NULL PRIMARY KEY, "client_ref" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "cashier_id" INTEGER, "note" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL, FOREIGN KEY ("cashier_id") REFERENCES "cashier" ("id"))',
    'CREATE UNIQUE INDEX "stock_doc_client_ref" ON "stock_doc" ("client_ref")',
    'CREATE INDEX "stock_doc_cashier_id" ON "stock_doc" ("cashier_id")',
    'CREATE TABLE "stock_move" ("id" INTEGER NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "qty_milli" INTEGER NOT NULL, "sale_id" INTEGER, "return_id" INTEGER, "doc_id" INTEGER, "created_at" VARCHAR(255) NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id"))',
    'CREATE INDEX "stock_move_product_id_id" ON "stock_move" ("product_id", "id")',
    'CREATE TABLE "shift" ("id" INTEGER NOT NULL PRIMARY KEY, "register_id" VARCHAR(255) NOT NULL, "number" INTEGER NOT NULL, "cashier_id" INTEGER NOT NULL, "opened_at" VARCHAR(255) NOT NULL, "closed_at" VARCHAR(255), "closed_by_id" INTEGER, "opening_cash" INTEGER NOT NULL, "counted_cash" INTEGER, "open_marker" VARCHAR(255), "last_receipt_number" INTEGER NOT NULL, FOREIGN KEY ("cashier_id") REFERENCES "cashier" ("id"), FOREIGN KEY ("closed_by_id") REFERENCES "cashier" ("id"))',
    'CREATE INDEX "shift_cashier_id" ON "shift" ("cashier_id")',
    'CREATE INDEX "shift_closed_by_id" ON "shift" ("closed_by_id")',
    'CREATE UNIQUE INDEX "shift_open_marker" ON "shift" ("open_marker")',
    'CREATE UNIQUE INDEX "shift_register_id_number" ON "shift" ("register_id", "number")',
    'CREATE TABLE "cash_move" ("id" INTEGER NOT NULL PRIMARY KEY, "shift_id" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, "reason" VARCHAR(255) NOT NULL, "cashier_id" INTEGER NOT NULL, "created_at" VARCHAR(255) NOT NULL, FOREIGN KEY ("shift_id") REFERENCES "shift" ("id"), FOREIGN KEY ("cashier_id") REFERENCES "cashier" ("id"))',
    'CREATE INDEX "cash_move_shift_id" ON "cash_move" ("shift_id")',
    'CREATE INDEX "cash_move_cashier_id" ON "cash_move" ("cashier_id")',
    'CREATE TABLE "sale" ("id" INTEGER NOT NULL PRIMARY KEY, "client_ref" VARCHAR(255) NOT NULL, "shift_id" INTEGER NOT NULL, "register_id" VARCHAR(255) NOT NULL, "number" INTEGER NOT NULL, "cashier_id" INTEGER NOT NULL, "customer_phone" VARCHAR(255), "subtotal" INTEGER NOT NULL, "total" INTEGER NOT NULL, "paid" INTEGER NOT NULL, "change" INTEGER NOT NULL, "bonus_earned" INTEGER NOT NULL, "bonus_redeemed" INTEGER NOT NULL, "fiscal_status" VARCHAR(255), "fiscal_document_number" INTEGER, "fiscal_sign" VARCHAR(255), "fiscal_error" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL, FOREIGN KEY ("shift_id") REFERENCES "shift" ("id"), FOREIGN KEY ("cashier_id") REFERENCES "cashier" ("id"))',
    'CREATE UNIQUE INDEX "sale_client_ref" ON "sale" ("client_ref")',
    'CREATE INDEX "sale_shift_id" ON "sale" ("shift_id")',
    'CREATE INDEX "sale_cashier_id" ON "sale" ("cashier_id")',
    'CREATE TABLE "sale_line" ("id" INTEGER NOT NULL PRIMARY KEY, "sale_id" INTEGER NOT NULL, "line_no" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "sku" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "barcode" VARCHAR(255), "unit" VARCHAR(255) NOT NULL, "vat" VARCHAR(255) NOT NULL, "qty_milli" INTEGER NOT NULL, "price" INTEGER NOT NULL, "amount" INTEGER NOT NULL, "discount" INTEGER NOT NULL, "bonus_earned" INTEGER NOT NULL, FOREIGN KEY ("sale_id") REFERENCES "sale" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id"))',
    'CREATE INDEX "sale_line_sale_id" ON "sale_line" ("sale_id")',
    'CREATE INDEX "sale_line_product_id" ON "sale_line" ("product_id")',
    'CREATE TABLE "payment" ("id" INTEGER NOT NULL PRIMARY KEY, "sale_id" INTEGER NOT NULL, "method" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, FOREIGN KEY ("sale_id") REFERENCES "sale" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "payment_sale_id" ON "payment" ("sale_id")',
    'CREATE TABLE "sale_return" ("id" INTEGER NOT NULL PRIMARY KEY, "client_ref" VARCHAR(255) NOT NULL, "sale_id" INTEGER NOT NULL, "shift_id" INTEGER NOT NULL, "number" INTEGER NOT NULL, "cashier_id" INTEGER NOT NULL, "approved_by_id" INTEGER NOT NULL, "total" INTEGER NOT NULL, "bonus_reversed" INTEGER NOT NULL, "bonus_restored" INTEGER NOT NULL, "bonus_withheld" INTEGER NOT NULL, "fiscal_status" VARCHAR(255), "fiscal_document_number" INTEGER, "fiscal_sign" VARCHAR(255), "fiscal_error" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL, FOREIGN KEY ("sale_id") REFERENCES "sale" ("id"), FOREIGN KEY ("shift_id") REFERENCES "shift" ("id"), FOREIGN KEY ("cashier_id") REFERENCES "cashier" ("id"), FOREIGN KEY ("approved_by_id") REFERENCES "cashier" ("id"))',
    'CREATE UNIQUE INDEX "sale_return_client_ref" ON "sale_return" ("client_ref")',
    'CREATE INDEX "sale_return_sale_id" ON "sale_return" ("sale_id")',
    'CREATE INDEX "sale_return_shift_id" ON "sale_return" ("shift_id")',
    'CREATE INDEX "sale_return_cashier_id" ON "sale_return" ("cashier_id")',
    'CREATE INDEX "sale_return_approved_by_id" ON "sale_return" ("approved_by_id")',
    'CREATE TABLE "return_line" ("id" INTEGER NOT NULL PRIMARY KEY, "sale_return_id" INTEGER NOT NULL, "sale_line_id" INTEGER NOT NULL, "qty_milli" INTEGER NOT NULL, "amount" INTEGER NOT NULL, "bonus_reversed" INTEGER NOT NULL, "bonus_restored" INTEGER NOT NULL, FOREIGN KEY ("sale_return_id") REFERENCES "sale_return" ("id") ON DELETE CASCADE, FOREIGN KEY ("sale_line_id") REFERENCES "sale_line" ("id"))',
    'CREATE INDEX "return_line_sale_return_id" ON "return_line" ("sale_return_id")',
    'CREATE INDEX "return_line_sale_line_id" ON "return_line" ("sale_line_id")',
    'CREATE TABLE "refund" ("id" INTEGER NOT NULL PRIMARY KEY, "sale_return_id" INTEGER NOT NULL, "method" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, FOREIGN KEY ("sale_return_id") REFERENCES "sale_return" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "refund_sale_return_id" ON "refund" ("sale_return_id")',
    'CREATE TABLE "outbox" ("seq" INTEGER NOT NULL PRIMARY KEY, "event_id" VARCHAR(255) NOT NULL, "type" VARCHAR(255) NOT NULL, "schema" INTEGER NOT NULL, "occurred_at" VARCHAR(255) NOT NULL, "payload" TEXT NOT NULL, "acked_at" VARCHAR(255))',
    'CREATE UNIQUE INDEX "outbox_event_id" ON "outbox" ("event_id")',
    'CREATE TABLE "sync_state" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
    'CREATE TABLE "audit" ("id" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, "cashier_id" INTEGER, "action" VARCHAR(255) NOT NULL, "detail" TEXT NOT NULL, FOREIGN KEY ("cashier_id") REFERENCES "cashier" ("id"))',
    'CREATE INDEX "audit_cashier_id" ON "audit" ("cashier_id")',
]

# Step 2: the print spooler's queue.
STEP_2 = [
    'CREATE TABLE "print_job" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "sale_id" INTEGER, "return_id" INTEGER, "document" TEXT, "status" VARCHAR(255) NOT NULL, "attempts" INTEGER NOT NULL, "last_error" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL, "done_at" VARCHAR(255))',
    'CREATE INDEX "print_job_sale_id" ON "print_job" ("sale_id")',
]

# Step 3: loyalty: customers and their bonus ledger.
STEP_3 = [
    'CREATE TABLE "customer" ("phone" VARCHAR(255) NOT NULL PRIMARY KEY, "name" VARCHAR(255), "email" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL, "hub_balance" INTEGER, "hub_confirmed_at" VARCHAR(255), "hub_ledger_seq" INTEGER NOT NULL, "hub_own_entry" INTEGER NOT NULL)',
    'CREATE TABLE "bonus_entry" ("id" INTEGER NOT NULL PRIMARY KEY, "phone" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, "sale_id" INTEGER, "return_id" INTEGER, "reason" VARCHAR(255), "cashier" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL, "expires_at" VARCHAR(255), "origin" VARCHAR(255) NOT NULL, "hub_entry_id" VARCHAR(255), "seq" INTEGER, FOREIGN KEY ("phone") REFERENCES "customer" ("phone"))',
    'CREATE INDEX "bonus_entry_phone" ON "bonus_entry" ("phone")',
    'CREATE UNIQUE INDEX "bonus_entry_hub_entry_id" ON "bonus_entry" ("hub_entry_id")',
    'CREATE INDEX "bonus_entry_sale_id" ON "bonus_entry" ("sale_id")',
]

# Step 4: other stores' stock from the hub's feed.
STEP_4 = [
    'CREATE TABLE "remote_stock" ("store_id" VARCHAR(255) NOT NULL, "sku" VARCHAR(255) NOT NULL, "on_hand_milli" INTEGER NOT NULL, "updated_at" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "remote_stock_store_id_sku" ON "remote_stock" ("store_id", "sku")',
    'CREATE INDEX "remote_stock_sku" ON "remote_stock" ("sku")',
]

# Step 5: full-text product search and the 1C catalog each imported product belongs to.
# product_fts is an external-content FTS5 index (with 1-3 character prefix indexes) over
# product.search_name: name and SKU case-folded by Python with ё -> е (catalog.search_key).
# A changed or deleted product is re-indexed by the triggers below; a new one by the code
# that writes it, calling catalog.products_changed(ids) in its transaction (an insert
# trigger would cost bulk imports 5-10x: FTS5 flushes a segment at every statement
# savepoint a trigger opens).  Both only delete what was indexed, so a row some writer
# forgot is healed by its next change.  'rebuild' indexes the products a store already has.
# cml_item remembers which CommerceML catalog a product came from and the import run that
# last saw it (a full import hides the catalog's products absent from it).
_FTS_DELETE = (
    'INSERT INTO "product_fts" ("product_fts", rowid, search_name)'
    " SELECT 'delete', old.id, old.search_name"
    ' WHERE EXISTS (SELECT 1 FROM "product_fts_docsize" WHERE id = old.id);'
)
STEP_5 = [
    "CREATE VIRTUAL TABLE \"product_fts\" USING fts5(search_name, content='product',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    'CREATE TRIGGER "product_fts_update" AFTER UPDATE OF search_name ON "product"'
    " WHEN old.search_name IS NOT new.search_name BEGIN "
    + _FTS_DELETE
    + ' INSERT INTO "product_fts" (rowid, search_name) VALUES (new.id, new.search_name); END',
    'CREATE TRIGGER "product_fts_delete" AFTER DELETE ON "product" BEGIN ' + _FTS_DELETE + " END",
    'INSERT INTO "product_fts" ("product_fts") VALUES (\'rebuild\')',
    'CREATE TABLE "cml_item" ("product_id" INTEGER NOT NULL PRIMARY KEY, "catalog_id" VARCHAR(255) NOT NULL, "seen_run" VARCHAR(255), FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "cml_item_catalog_id_seen_run" ON "cml_item" ("catalog_id", "seen_run")',
]

# Step 6: what the hub did to a customer's balance on its own account (a duplicate
# welcome bonus reversed), shown with the customer.
STEP_6 = [
    'ALTER TABLE "customer" ADD COLUMN "hub_notes" TEXT',
]

# Step 7: the fiscal register's Z report of a closed shift, queued to the fiscal worker and
# retried there (the POS shift closes at once): pending | done | failed, with what it said.
STEP_7 = [
    'ALTER TABLE "shift" ADD COLUMN "fiscal_z_status" VARCHAR(255)',
    'ALTER TABLE "shift" ADD COLUMN "fiscal_z_error" VARCHAR(255)',
    'ALTER TABLE "shift" ADD COLUMN "fiscal_z_document" INTEGER',
    'ALTER TABLE "shift" ADD COLUMN "fiscal_z_receipts" INTEGER',
    'CREATE INDEX "shift_fiscal_z_status" ON "shift" ("fiscal_z_status")',
]

# Step 8: stock documents: supplier deliveries with their discrepancy acts, two-sided
# transfers between stores (counts and write-offs stay stock_doc rows).
STEP_8 = [
    'CREATE TABLE "delivery" ("id" INTEGER NOT NULL PRIMARY KEY, "ref" VARCHAR(255) NOT NULL, "source" VARCHAR(255) NOT NULL, "number" VARCHAR(255) NOT NULL, "supplier" VARCHAR(255) NOT NULL, "supplier_inn" VARCHAR(255), "doc_date" VARCHAR(255), "status" VARCHAR(255) NOT NULL, "act_number" INTEGER, "receive_ref" VARCHAR(255), "received_by" VARCHAR(255), "received_at" VARCHAR(255), "unmatched" TEXT, "created_at" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "delivery_ref" ON "delivery" ("ref")',
    'CREATE UNIQUE INDEX "delivery_act_number" ON "delivery" ("act_number")',
    'CREATE UNIQUE INDEX "delivery_receive_ref" ON "delivery" ("receive_ref")',
    'CREATE TABLE "delivery_line" ("id" INTEGER NOT NULL PRIMARY KEY, "delivery_id" INTEGER NOT NULL, "line_no" INTEGER NOT NULL, "product_id" INTEGER, "name" VARCHAR(255) NOT NULL, "barcode" VARCHAR(255), "article" VARCHAR(255), "expected_milli" INTEGER NOT NULL, "price" INTEGER, "received_milli" INTEGER, "damaged_milli" INTEGER, FOREIGN KEY ("delivery_id") REFERENCES "delivery" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id"))',
    'CREATE INDEX "delivery_line_delivery_id" ON "delivery_line" ("delivery_id")',
    'CREATE INDEX "delivery_line_product_id" ON "delivery_line" ("product_id")',
    'CREATE TABLE "transfer" ("id" INTEGER NOT NULL PRIMARY KEY, "transfer_id" VARCHAR(255) NOT NULL, "direction" VARCHAR(255) NOT NULL, "from_store" VARCHAR(255) NOT NULL, "to_store" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "client_ref" VARCHAR(255), "receive_ref" VARCHAR(255), "cashier" VARCHAR(255), "sent_at" VARCHAR(255) NOT NULL, "received_at" VARCHAR(255))',
    'CREATE UNIQUE INDEX "transfer_transfer_id" ON "transfer" ("transfer_id")',
    'CREATE UNIQUE INDEX "transfer_client_ref" ON "transfer" ("client_ref")',
    'CREATE UNIQUE INDEX "transfer_receive_ref" ON "transfer" ("receive_ref")',
    'CREATE TABLE "transfer_line" ("id" INTEGER NOT NULL PRIMARY KEY, "transfer_id" INTEGER NOT NULL, "sku" VARCHAR(255) NOT NULL, "sent_milli" INTEGER NOT NULL, "received_milli" INTEGER, FOREIGN KEY ("transfer_id") REFERENCES "transfer" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "transfer_line_transfer_id" ON "transfer_line" ("transfer_id")',
]

# Step 9: online orders for pick-up in the store (from the hub's feed), their lines and
# the history of their statuses.  Reserved stock is the lines of accepted, assembled and
# ready orders (stock.reserved_milli): a status change reserves or releases in its own
# transaction, and on-hand never moves until the order is collected as a sale.
STEP_9 = [
    'CREATE TABLE "pickup_order" ("id" INTEGER NOT NULL PRIMARY KEY, "order_id" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "customer_phone" VARCHAR(255), "prepaid" INTEGER NOT NULL, "bonus_redeemed" INTEGER NOT NULL, "total" INTEGER NOT NULL, "reason" VARCHAR(255), "sale_id" INTEGER, "placed_at" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL, "updated_at" VARCHAR(255) NOT NULL, "ready_at" VARCHAR(255))',
    'CREATE UNIQUE INDEX "pickup_order_order_id" ON "pickup_order" ("order_id")',
    'CREATE INDEX "pickup_order_status" ON "pickup_order" ("status")',
    'CREATE TABLE "pickup_order_line" ("id" INTEGER NOT NULL PRIMARY KEY, "order_row_id" INTEGER NOT NULL, "line_no" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "sku" VARCHAR(255) NOT NULL, "barcode" VARCHAR(255), "name" VARCHAR(255) NOT NULL, "qty_milli" INTEGER NOT NULL, "price" INTEGER NOT NULL, "amount" INTEGER NOT NULL, "picked_milli" INTEGER NOT NULL, FOREIGN KEY ("order_row_id") REFERENCES "pickup_order" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id"))',
    'CREATE INDEX "pickup_order_line_order_row_id" ON "pickup_order_line" ("order_row_id")',
    'CREATE INDEX "pickup_order_line_product_id" ON "pickup_order_line" ("product_id")',
    'CREATE TABLE "pickup_order_history" ("id" INTEGER NOT NULL PRIMARY KEY, "order_row_id" INTEGER NOT NULL, "status" VARCHAR(255) NOT NULL, "at" VARCHAR(255) NOT NULL, "by" VARCHAR(255), "reason" VARCHAR(255), "client_ref" VARCHAR(255), FOREIGN KEY ("order_row_id") REFERENCES "pickup_order" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "pickup_order_history_client_ref" ON "pickup_order_history" ("client_ref")',
    'CREATE INDEX "pickup_order_history_order_row_id" ON "pickup_order_history" ("order_row_id")',
]

# Step 10: manual discounts and price overrides (agent/discounts.py): per line the gross
# (price x qty), the kopecks taken off by hand, why, and the catalog price an override
# replaced; per sale the manual total and the manager who approved it.
STEP_10 = [
    'ALTER TABLE "sale_line" ADD COLUMN "gross" INTEGER',
    'ALTER TABLE "sale_line" ADD COLUMN "manual_discount" INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE "sale_line" ADD COLUMN "discount_reason" VARCHAR(255)',
    'ALTER TABLE "sale_line" ADD COLUMN "catalog_price" INTEGER',
    'ALTER TABLE "sale" ADD COLUMN "manual_discount" INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE "sale" ADD COLUMN "discount_approved_by" VARCHAR(255)',
]

# Step 11: returns with no sale in this store (without a receipt, or of another store's or
# the site's sale): sale_return.sale_id may be NULL and says why (kind, reason, customer,
# origin); their lines are return_item rows.  SQLite cannot drop a NOT NULL, so sale_return
# is rebuilt the documented way (new table, copy, drop, rename; foreign keys are off while
# the steps run, see ``upgrade``); return_line and refund keep pointing at it by name.
_SALE_RETURN_COLS = ('"id", "client_ref", "sale_id", "shift_id", "number", "cashier_id", '
                     '"approved_by_id", "total", "bonus_reversed", "bonus_restored", '
                     '"bonus_withheld", "fiscal_status", "fiscal_document_number", "fiscal_sign", '
                     '"fiscal_error", "created_at"')
STEP_11 = [
    'CREATE TABLE "sale_return_new" ("id" INTEGER NOT NULL PRIMARY KEY, "client_ref" VARCHAR(255) NOT NULL, "sale_id" INTEGER, "shift_id" INTEGER NOT NULL, "number" INTEGER NOT NULL, "cashier_id" INTEGER NOT NULL, "approved_by_id" INTEGER NOT NULL, "total" INTEGER NOT NULL, "bonus_reversed" INTEGER NOT NULL, "bonus_restored" INTEGER NOT NULL, "bonus_withheld" INTEGER NOT NULL, "fiscal_status" VARCHAR(255), "fiscal_document_number" INTEGER, "fiscal_sign" VARCHAR(255), "fiscal_error" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL DEFAULT \'sale\', "reason" VARCHAR(255), "customer_name" VARCHAR(255), "customer_document" VARCHAR(255), "origin_store" VARCHAR(255), "origin_sale" VARCHAR(255), FOREIGN KEY ("sale_id") REFERENCES "sale" ("id"), FOREIGN KEY ("shift_id") REFERENCES "shift" ("id"), FOREIGN KEY ("cashier_id") REFERENCES "cashier" ("id"), FOREIGN KEY ("approved_by_id") REFERENCES "cashier" ("id"))',
    f'INSERT INTO "sale_return_new" ({_SALE_RETURN_COLS}, "kind")'
    f' SELECT {_SALE_RETURN_COLS}, \'sale\' FROM "sale_return"',
    'DROP TABLE "sale_return"',
    'ALTER TABLE "sale_return_new" RENAME TO "sale_return"',
    'CREATE UNIQUE INDEX "sale_return_client_ref" ON "sale_return" ("client_ref")',
    'CREATE INDEX "sale_return_sale_id" ON "sale_return" ("sale_id")',
    'CREATE INDEX "sale_return_shift_id" ON "sale_return" ("shift_id")',
    'CREATE INDEX "sale_return_cashier_id" ON "sale_return" ("cashier_id")',
    'CREATE INDEX "sale_return_approved_by_id" ON "sale_return" ("approved_by_id")',
    'CREATE TABLE "return_item" ("id" INTEGER NOT NULL PRIMARY KEY, "sale_return_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "sku" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "unit" VARCHAR(255) NOT NULL, "vat" VARCHAR(255) NOT NULL, "price" INTEGER NOT NULL, "qty_milli" INTEGER NOT NULL, "amount" INTEGER NOT NULL, "origin_line_id" INTEGER, FOREIGN KEY ("sale_return_id") REFERENCES "sale_return" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id"))',
    'CREATE INDEX "return_item_sale_return_id" ON "return_item" ("sale_return_id")',
    'CREATE INDEX "return_item_product_id" ON "return_item" ("product_id")',
]

# Step 12: search at 1M products.  A prefix query ("шоко"*) without a prefix index of its
# length merges the doclists of every term it covers before returning a row (~20 ms for a
# common word at 1M products); with one it streams, and the LIMIT stops it early.  Prefix
# indexes of 1-6 characters cover what a cashier types before the word is complete, for
# ~4% more database; the index is rebuilt once (~1 min at 1M products).
STEP_12 = [
    'DROP TABLE IF EXISTS "product_fts"',
    "CREATE VIRTUAL TABLE \"product_fts\" USING fts5(search_name, content='product',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4 5 6')",
    'INSERT INTO "product_fts" ("product_fts") VALUES (\'rebuild\')',
]

STEPS: list[list[str]] = [STEP_1, STEP_2, STEP_3, STEP_4, STEP_5, STEP_6, STEP_7, STEP_8,
                          STEP_9, STEP_10, STEP_11, STEP_12]


def current_version() -> int:
    return len(STEPS)


def upgrade(db: SqliteDatabase) -> int:
    """Bring the database to the newest schema; returns the version it started at."""
    start = db.execute_sql("PRAGMA user_version").fetchone()[0]
    if start > len(STEPS):
        raise RuntimeError(
            f"the store database has schema {start}, newer than this agent knows ({len(STEPS)}): "
            "upgrade the agent"
        )
    if start == len(STEPS):
        return start
    version = start
    # foreign keys off while the steps run (a no-op inside a transaction, so before it): a
    # step may rebuild a table (SQLite's documented way), and the check below must find
    # every reference intact before the steps commit
    fk = db.execute_sql("PRAGMA foreign_keys").fetchone()[0]
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic("IMMEDIATE"):  # every missing step or none: a failure changes nothing
            now = db.execute_sql("PRAGMA user_version").fetchone()[0]  # another process
            for version in range(now + 1, len(STEPS) + 1):  # may have upgraded meanwhile
                for sql in STEPS[version - 1]:
                    db.execute_sql(sql)
                db.execute_sql(f"PRAGMA user_version = {version}")
            broken = db.execute_sql("PRAGMA foreign_key_check").fetchone()
            if broken:
                raise RuntimeError(f"a reference from {broken[0]} to {broken[2]} broke")
    except Exception as e:
        raise Conflict(f"upgrading the store database from schema {start} to {len(STEPS)} "
                       f"failed at step {version} ({type(e).__name__}: {e}); the database is "
                       "unchanged: keep running the previous release and report this",
                       code="upgrade_failed") from e
    finally:
        db.execute_sql(f"PRAGMA foreign_keys = {1 if fk else 0}")
    return start
