"""The hub's numbered schema steps (``hub_setting.schema_version`` is the version).

A hub made by any earlier release runs the missing steps in order, all in one transaction
(PostgreSQL and SQLite both roll DDL back), so a failed step leaves the database as it was.
A step brings the tables to its version whatever an older release already created (the
first releases created tables from the models on every start), so each is idempotent.
Never edit a released step; add the next one.
"""

from __future__ import annotations

from .db import is_postgres, transaction
from .models import FIRST_RELEASE, HubCounter, HubRejectedEvent, HubSetting, hub_db


def _step_1_base(db) -> None:
    """The first release's tables."""
    db.create_tables(FIRST_RELEASE, safe=True)
    HubCounter.insert(name="feed", value=0).on_conflict_ignore().execute()


def _step_2_chain(db) -> None:
    """One bonus balance across channels."""
    from .chain_models import create_chain_tables
    create_chain_tables(db)


def _step_3_store_contact(db) -> None:
    """When each store last called, and with which agent version."""
    if is_postgres(db):  # the table lives in the URL's schema (search_path)
        for column in ("agent_version", "last_seen_at"):
            db.execute_sql(f"ALTER TABLE hub_store ADD COLUMN IF NOT EXISTS {column} "
                           "VARCHAR(255)")
        return
    have = {c.name for c in db.get_columns("hub_store")}
    for column in ("agent_version", "last_seen_at"):
        if column not in have:
            db.execute_sql(f"ALTER TABLE hub_store ADD COLUMN {column} VARCHAR(255)")


def _step_4_rejected_events(db) -> None:
    """Poison events: what the hub refused, and what the operator quarantined."""
    if is_postgres(db):  # look in the URL's schema (search_path), as create_tables(safe) does
        exists = db.execute_sql("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                                "current_schema() AND table_name = 'hub_rejected_event'"
                                ).fetchone()
    else:
        exists = db.table_exists("hub_rejected_event")
    if not exists:
        db.create_tables([HubRejectedEvent])


def _step_5_stock_documents(db) -> None:
    """Stock documents: expected and received deliveries, transfers in transit, counts and
    write-offs.  ``CREATE TABLE IF NOT EXISTS`` (safe) looks in the URL's schema on
    PostgreSQL (search_path) and makes what a hub of the issue-15 branch may already have."""
    from .stock_doc_models import STOCK_DOC_TABLES
    db.create_tables(STOCK_DOC_TABLES, safe=True)


def _add_columns(db, table: str, columns: dict) -> None:
    if is_postgres(db):  # the table lives in the URL's schema (search_path)
        for name, kind in columns.items():
            db.execute_sql(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {kind}")
        return
    have = {c.name for c in db.get_columns(table)}
    for name, kind in columns.items():
        if name not in have:
            db.execute_sql(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _step_7_heartbeat(db) -> None:
    """The heartbeat: the store's reported outbox head (backlog) and when the hub last held
    everything the store had (business days complete)."""
    _add_columns(db, "hub_store", {"store_seq": "BIGINT", "caught_up_at": "VARCHAR(255)"})


def _step_8_sale_lines(db) -> None:
    """Sale and return lines (reports by product)."""
    from .sale_lines import TABLES, backfill
    db.create_tables(TABLES, safe=True)
    backfill(db)  # the sales this hub already holds


def _step_6_pickup_orders(db) -> None:
    """Orders for pick-up in a store: the orders, their lines as the stores resolved them,
    their history and the customer notifications waiting to be sent (idempotent: safe)."""
    from .order_models import ORDER_TABLES
    db.create_tables(ORDER_TABLES, safe=True)


def _step_9_sale_discounts(db) -> None:
    """What each sale took off by hand (discounts and price overrides), for the reports."""
    if is_postgres(db):
        db.execute_sql("ALTER TABLE hub_sale ADD COLUMN IF NOT EXISTS manual_discount "
                       "BIGINT NOT NULL DEFAULT 0")
        return
    if "manual_discount" not in {c.name for c in db.get_columns("hub_sale")}:
        db.execute_sql("ALTER TABLE hub_sale ADD COLUMN manual_discount INTEGER NOT NULL "
                       "DEFAULT 0")


def _step_10_foreign_returns(db) -> None:
    """Returns of one store's sales made in another, line by line (the hub decides what is
    still returnable and flags double returns)."""
    from .foreign_returns import HubForeignReturn
    db.create_tables([HubForeignReturn], safe=True)


def _step_11_order_problems(db) -> None:
    """Why a store could not take an order (a product it does not know), for the site."""
    _add_columns(db, "hub_order", {"problem": "VARCHAR(255)"})


def _step_12_projection_marks(db) -> None:
    """Projections may follow the acknowledged events (deferred projection): how far each
    store's are applied.  Every event held so far was applied in its push."""
    from .models import HubProjection
    db.create_tables([HubProjection], safe=True)
    db.execute_sql("INSERT INTO hub_projection (store_id, projected_through) SELECT store_id, "
                   "acked_through FROM hub_store WHERE store_id NOT IN "
                   "(SELECT store_id FROM hub_projection)")


FENCE = """
CREATE OR REPLACE FUNCTION hub_writer_fence() RETURNS trigger AS $fence$
BEGIN
  IF NEW.acked_through IS DISTINCT FROM OLD.acked_through
     AND coalesce(current_setting('{setting}', true), '') <> 'on' THEN
    RAISE EXCEPTION 'store-hub: a store-hub of an older release is writing to this hub '
      'database, which keeps projection marks (schema step 12): stop it'
      USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END
$fence$ LANGUAGE plpgsql
"""


def _step_13_writer_fence(db) -> None:
    """PostgreSQL: a store-hub of an older release still running after step 12 (a worker
    host not yet upgraded, a ``pull --loop``) would apply pushes without moving the
    projection mark, and the projector would apply them again.  Its push now fails (and
    nothing of it applies): only connections of this release carry the setting."""
    if not is_postgres(db):
        return  # one process writes a SQLite hub
    from .db import WRITER_SETTING
    db.execute_sql(FENCE.replace("{setting}", WRITER_SETTING))
    db.execute_sql("DROP TRIGGER IF EXISTS hub_writer_fence ON hub_store")
    db.execute_sql("CREATE TRIGGER hub_writer_fence BEFORE UPDATE ON hub_store FOR EACH ROW "
                   "EXECUTE FUNCTION hub_writer_fence()")


STEPS = [_step_1_base, _step_2_chain, _step_3_store_contact, _step_4_rejected_events,
         _step_5_stock_documents, _step_6_pickup_orders, _step_7_heartbeat, _step_8_sale_lines,
         _step_9_sale_discounts, _step_10_foreign_returns, _step_11_order_problems,
         _step_12_projection_marks, _step_13_writer_fence]


def current_version() -> int:
    return len(STEPS)


def version(db) -> int:
    if not db.table_exists("hub_setting"):
        return 0
    row = HubSetting.get_or_none(HubSetting.key == "schema_version")
    return int(row.value) if row else 0


def upgrade(db, steps=None) -> int:
    """Bring the hub's database to the newest schema; returns the version it started at."""
    steps = STEPS if steps is None else steps
    hub_db.initialize(db)
    start = version(db)
    if start > len(steps):
        raise RuntimeError(f"the hub database has schema {start}, newer than this hub knows "
                           f"({len(steps)}): upgrade the hub")
    if start == len(steps):
        return start
    with transaction(db):
        for number in range(start + 1, len(steps) + 1):
            steps[number - 1](db)
        HubSetting.insert(key="schema_version", value=str(len(steps))).on_conflict(
            conflict_target=[HubSetting.key],
            update={HubSetting.value: str(len(steps))}).execute()
    return start
