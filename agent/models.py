"""The store database's tables (peewee over SQLite).

Quantities are integer thousandths (``*_milli``) and money integer kopecks, so every sum
the database computes is exact.  The schema itself is created and upgraded only by the
numbered steps in ``migrations.py``; these classes describe it for queries.
"""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Cashier(BaseModel):
    id = AutoField()
    login = CharField(unique=True)
    name = CharField()
    role = CharField()  # cashier | senior | manager
    pin_hash = CharField()
    failed_attempts = IntegerField(default=0)
    locked_until = CharField(null=True)  # UTC ISO 8601
    active = BooleanField(default=True)
    created_at = CharField()


class ApiSession(BaseModel):
    token_hash = CharField(primary_key=True)
    cashier = ForeignKeyField(Cashier, backref="sessions")
    register_id = CharField()
    created_at = CharField()
    last_seen_at = CharField()
    approval_failures = IntegerField(default=0)
    closed = BooleanField(default=False)


class Product(BaseModel):
    id = AutoField()
    sku = CharField(unique=True)
    name = CharField()
    search_name = CharField(index=True)  # casefolded name + sku, for Cyrillic-aware search
    unit = CharField()  # pcs | kg
    vat = CharField()  # 22 | 20 | 10 | 0 | none
    price = IntegerField()  # kopecks per unit (per kg for kg)
    external_id = CharField(null=True, unique=True)  # 1C Ид
    parent_sku = CharField(null=True, index=True)  # variants: the product they belong to
    variant = CharField(null=True)  # e.g. "Размер: 17"
    group_name = CharField(null=True)
    plu = IntegerField(null=True, unique=True)  # in-store weighed barcode product code
    hidden = BooleanField(default=False)
    updated_at = CharField()


class Barcode(BaseModel):
    code = CharField(primary_key=True)
    product = ForeignKeyField(Product, backref="barcodes", on_delete="CASCADE")


class StockLevel(BaseModel):
    """The running sum of a product's moves, kept in the same transaction as each move."""

    product = ForeignKeyField(Product, primary_key=True, on_delete="CASCADE")
    on_hand_milli = IntegerField(default=0)


class StockDoc(BaseModel):
    """A stock document (receipt, write-off, count, transfer) made at the store."""

    id = AutoField()
    client_ref = CharField(unique=True)
    kind = CharField()
    cashier = ForeignKeyField(Cashier, null=True)
    note = CharField(null=True)
    created_at = CharField()


class StockMove(BaseModel):
    id = AutoField()
    product = ForeignKeyField(Product, backref="moves", index=False)  # (product, id) covers it
    kind = CharField()  # sale | return | receipt | writeoff | count | transfer_in | transfer_out | hub
    qty_milli = IntegerField()  # signed
    sale_id = IntegerField(null=True)
    return_id = IntegerField(null=True)
    doc_id = IntegerField(null=True)
    created_at = CharField()

    class Meta:
        indexes = ((("product", "id"), False),)


class Shift(BaseModel):
    id = AutoField()
    register_id = CharField()
    number = IntegerField()
    cashier = ForeignKeyField(Cashier)
    opened_at = CharField()
    closed_at = CharField(null=True)
    closed_by = ForeignKeyField(Cashier, null=True)
    opening_cash = IntegerField()
    counted_cash = IntegerField(null=True)
    open_marker = CharField(null=True, unique=True)  # = register_id while open: one open shift
    last_receipt_number = IntegerField(default=0)
    fiscal_z_status = CharField(null=True, index=True)  # pending | done | failed (a register)
    fiscal_z_error = CharField(null=True)
    fiscal_z_document = IntegerField(null=True)
    fiscal_z_receipts = IntegerField(null=True)
    fiscal_cash_status = CharField(null=True)  # the opening cash deposit on the register
    fiscal_cash_error = CharField(null=True)

    class Meta:
        indexes = ((("register_id", "number"), True),)


class CashMove(BaseModel):
    id = AutoField()
    shift = ForeignKeyField(Shift, backref="cash_moves")
    kind = CharField()  # in | out
    amount = IntegerField()
    reason = CharField()
    cashier = ForeignKeyField(Cashier)
    created_at = CharField()
    fiscal_status = CharField(null=True)  # pending | done | failed (with a register)
    fiscal_error = CharField(null=True)


class Sale(BaseModel):
    id = AutoField()
    client_ref = CharField(unique=True)
    shift = ForeignKeyField(Shift, backref="sales")
    register_id = CharField()
    number = IntegerField()  # receipt number within the shift
    cashier = ForeignKeyField(Cashier)
    customer_phone = CharField(null=True)
    subtotal = IntegerField()  # before bonus
    total = IntegerField()  # payable in money
    paid = IntegerField()  # tendered
    change = IntegerField()
    bonus_earned = IntegerField(default=0)
    bonus_redeemed = IntegerField(default=0)
    fiscal_status = CharField(null=True)  # None (no register) | pending | done | failed | voided
    fiscal_document_number = IntegerField(null=True)
    fiscal_sign = CharField(null=True)
    fiscal_error = CharField(null=True)
    created_at = CharField()
    manual_discount = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])  # step 9:
    discount_approved_by = CharField(null=True)  # kopecks off by hand; the approving manager


class SaleLine(BaseModel):
    id = AutoField()
    sale = ForeignKeyField(Sale, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()
    product = ForeignKeyField(Product)
    sku = CharField()
    name = CharField()
    barcode = CharField(null=True)
    unit = CharField()
    vat = CharField()
    qty_milli = IntegerField()
    price = IntegerField()
    amount = IntegerField()  # gross less the manual discount: what it costs before bonus
    discount = IntegerField(default=0)  # bonus redeemed allocated to this line
    bonus_earned = IntegerField(default=0)
    gross = IntegerField(null=True)  # price x qty, rounded once (None: older sales = amount)
    manual_discount = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])  # line + share
    discount_reason = CharField(null=True)
    catalog_price = IntegerField(null=True)  # set when the price was overridden


class Payment(BaseModel):
    id = AutoField()
    sale = ForeignKeyField(Sale, backref="payments", on_delete="CASCADE")
    method = CharField()  # cash | card
    amount = IntegerField()  # tendered (cash may exceed what was due; change is on the sale)


class SaleReturn(BaseModel):
    """A return: of a sale of this store (``sale``), or, with no sale here (step 10), without
    a receipt (``kind`` no_receipt) or of another store's or the site's sale (foreign); those
    keep their lines in ``ReturnItem``."""

    id = AutoField()
    client_ref = CharField(unique=True)
    sale = ForeignKeyField(Sale, backref="returns", null=True)
    shift = ForeignKeyField(Shift, backref="returns")
    number = IntegerField()
    cashier = ForeignKeyField(Cashier)
    approved_by = ForeignKeyField(Cashier)
    total = IntegerField()
    bonus_reversed = IntegerField(default=0)  # earned bonus taken back
    bonus_restored = IntegerField(default=0)  # redeemed bonus given back
    bonus_withheld = IntegerField(default=0)  # spent earned bonus kept back from the refund
    fiscal_status = CharField(null=True)
    fiscal_document_number = IntegerField(null=True)
    fiscal_sign = CharField(null=True)
    fiscal_error = CharField(null=True)
    created_at = CharField()
    kind = CharField(default="sale", constraints=[SQL("DEFAULT 'sale'")])  # | no_receipt | foreign
    reason = CharField(null=True)
    customer_name = CharField(null=True)
    customer_document = CharField(null=True)
    origin_store = CharField(null=True)  # a foreign return: the store (or "online") that sold
    origin_sale = CharField(null=True)  # ... and its sale id or receipt number there


class ReturnLine(BaseModel):
    id = AutoField()
    sale_return = ForeignKeyField(SaleReturn, backref="lines", on_delete="CASCADE")
    sale_line = ForeignKeyField(SaleLine, backref="returned")
    qty_milli = IntegerField()
    amount = IntegerField()
    bonus_reversed = IntegerField(default=0)
    bonus_restored = IntegerField(default=0)


class ReturnItem(BaseModel):
    """A line of a return with no sale line here: the product, the price it is refunded at."""

    id = AutoField()
    sale_return = ForeignKeyField(SaleReturn, backref="items", on_delete="CASCADE")
    product = ForeignKeyField(Product)
    sku = CharField()
    name = CharField()
    unit = CharField()
    vat = CharField()
    price = IntegerField()
    qty_milli = IntegerField()
    amount = IntegerField()
    origin_line_id = IntegerField(null=True)  # a foreign return: the line of the original


class Refund(BaseModel):
    id = AutoField()
    sale_return = ForeignKeyField(SaleReturn, backref="refunds", on_delete="CASCADE")
    method = CharField()
    amount = IntegerField()


class Outbox(BaseModel):
    """Events for the hub; seq is gapless per store, assigned in the business transaction."""

    seq = IntegerField(primary_key=True)
    event_id = CharField(unique=True)
    type = CharField()
    schema = IntegerField()
    occurred_at = CharField()
    payload = TextField()
    acked_at = CharField(null=True)


class SyncState(BaseModel):
    """Small key/value facts of sync: acked seq, feed cursor, last error, ..."""

    key = CharField(primary_key=True)
    value = TextField()


class Audit(BaseModel):
    """Who approved what: manager approvals, lockouts, manual adjustments."""

    id = AutoField()
    at = CharField()
    cashier = ForeignKeyField(Cashier, null=True)
    action = CharField()
    detail = TextField()


ALL_MODELS = [Cashier, ApiSession, Product, Barcode, StockLevel, StockDoc, StockMove, Shift,
              CashMove, Sale, SaleLine, Payment, SaleReturn, ReturnLine, ReturnItem, Refund, Outbox,
              SyncState, Audit]


class PrintJob(BaseModel):
    """A receipt (or drawer kick) waiting for the printer; queued after the sale commits."""

    id = AutoField()
    kind = CharField()  # receipt | reprint | return_receipt | return_reprint | drawer
    sale_id = IntegerField(null=True, index=True)
    return_id = IntegerField(null=True)
    document = TextField(null=True)  # the receipt dict as JSON (docs/receipt-shape.md)
    status = CharField(default="queued")  # queued | printing | done | failed
    attempts = IntegerField(default=0)
    last_error = CharField(null=True)
    created_at = CharField()
    done_at = CharField(null=True)


class Customer(BaseModel):
    """One person, known by phone (E.164); the balance is the sum of their bonus entries."""

    phone = CharField(primary_key=True)
    name = CharField(null=True)
    email = CharField(null=True)
    created_at = CharField()
    hub_balance = IntegerField(null=True)  # last balance the hub confirmed
    hub_confirmed_at = CharField(null=True)
    hub_ledger_seq = IntegerField(default=0)  # the hub ledger position of hub_balance
    hub_own_entry = IntegerField(default=0)  # newest of this store's entries in hub_balance
    hub_notes = TextField(null=True)  # JSON: what the hub did to the balance and why


class BonusEntry(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="entries", column_name="phone")
    kind = CharField()  # welcome | accrual | redemption | reversal | restore | adjustment | expiry
    amount = IntegerField()  # signed kopecks
    sale_id = IntegerField(null=True, index=True)
    return_id = IntegerField(null=True)
    reason = CharField(null=True)
    cashier = CharField(null=True)
    created_at = CharField()
    expires_at = CharField(null=True)
    origin = CharField(default="store")  # store | hub (entries made elsewhere, from the feed)
    hub_entry_id = CharField(null=True, unique=True)  # "<store_id>:<entry id>" everywhere
    seq = IntegerField(null=True)  # outbox seq of this store's loyalty.posted event


class RemoteStock(BaseModel):
    """Other stores' on-hand as last published by the hub's feed."""

    store_id = CharField()
    sku = CharField(index=True)
    on_hand_milli = IntegerField()
    updated_at = CharField()

    class Meta:
        primary_key = False
        indexes = ((("store_id", "sku"), True),)


ALL_MODELS += [PrintJob, Customer, BonusEntry, RemoteStock]


class CmlItem(BaseModel):
    """Which CommerceML catalog a product came from and the import run that last saw it
    (a full import hides the catalog's products absent from it)."""

    product = ForeignKeyField(Product, primary_key=True, on_delete="CASCADE")
    catalog_id = CharField()
    seen_run = CharField(null=True)

    class Meta:
        indexes = ((("catalog_id", "seen_run"), False),)


ALL_MODELS += [CmlItem]


class Delivery(BaseModel):
    """A supplier delivery: expected (from the hub or a УПД file) or received as counted."""

    id = AutoField()
    ref = CharField(unique=True)  # hub:<id> | upd:<ИдФайл> | counted:<client_ref>
    source = CharField()  # hub | upd | counted
    number = CharField()  # the supplier's document number
    supplier = CharField()
    supplier_inn = CharField(null=True)
    doc_date = CharField(null=True)
    status = CharField()  # expected | received
    act_number = IntegerField(null=True, unique=True)  # the discrepancy act (ТОРГ-2) number
    receive_ref = CharField(null=True, unique=True)  # client_ref of the receiving
    received_by = CharField(null=True)
    received_at = CharField(null=True)
    unmatched = TextField(null=True)  # JSON: document lines no product here matched
    created_at = CharField()


class DeliveryLine(BaseModel):
    id = AutoField()
    delivery = ForeignKeyField(Delivery, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()
    product = ForeignKeyField(Product, null=True)
    name = CharField()
    barcode = CharField(null=True)
    article = CharField(null=True)
    expected_milli = IntegerField()  # 0 for goods that came without being on the document
    price = IntegerField(null=True)  # kopecks per unit, from the document
    received_milli = IntegerField(null=True)  # everything that arrived, damaged included
    damaged_milli = IntegerField(null=True)


class Transfer(BaseModel):
    """Goods moving between two stores of the chain; ``transfer_id`` is chain-wide."""

    id = AutoField()
    transfer_id = CharField(unique=True)  # "<from store>:T<n>"
    direction = CharField()  # out (we sent it) | in (sent to us)
    from_store = CharField()
    to_store = CharField()
    status = CharField()  # sent | received
    client_ref = CharField(null=True, unique=True)  # the sender's client_ref (outgoing)
    receive_ref = CharField(null=True, unique=True)  # the receiver's client_ref (incoming)
    cashier = CharField(null=True)
    sent_at = CharField()
    received_at = CharField(null=True)


class TransferLine(BaseModel):
    id = AutoField()
    transfer = ForeignKeyField(Transfer, backref="lines", on_delete="CASCADE")
    sku = CharField()
    sent_milli = IntegerField()
    received_milli = IntegerField(null=True)


ALL_MODELS += [Delivery, DeliveryLine, Transfer, TransferLine]


class PickupOrder(BaseModel):
    """An online order to collect here (from the hub's feed); see ``agent.orders``."""

    id = AutoField()
    order_id = CharField(unique=True)
    status = CharField(index=True)  # new | accepted | assembled | ready | collected | cancelled
    customer_phone = CharField(null=True)
    prepaid = IntegerField()  # kopecks the site took in advance
    bonus_redeemed = IntegerField()  # kopecks of bonus the site redeemed
    total = IntegerField()
    reason = CharField(null=True)
    sale_id = IntegerField(null=True)
    placed_at = CharField(null=True)
    created_at = CharField()
    updated_at = CharField()
    ready_at = CharField(null=True)


class PickupOrderLine(BaseModel):
    id = AutoField()
    order_row = ForeignKeyField(PickupOrder, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()
    product = ForeignKeyField(Product)
    sku = CharField()
    barcode = CharField(null=True)
    name = CharField()
    qty_milli = IntegerField()
    price = IntegerField()
    amount = IntegerField()
    picked_milli = IntegerField()


class PickupOrderHistory(BaseModel):
    id = AutoField()
    order_row = ForeignKeyField(PickupOrder, on_delete="CASCADE")
    status = CharField()
    at = CharField()
    by = CharField(null=True)
    reason = CharField(null=True)
    client_ref = CharField(null=True, unique=True)  # a staff change's idempotency key


ALL_MODELS += [PickupOrder, PickupOrderLine, PickupOrderHistory]
