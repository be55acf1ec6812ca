"""One store: its configuration, its open database, and what happens after a commit.

Listeners (the print spooler, the fiscal worker, the customer display) subscribe to
``sale.committed`` / ``return.committed``; they run after the transaction, never inside it,
and a failing listener is logged, never raised to the cashier.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from . import config as config_mod
from .db import open_store_db

if TYPE_CHECKING:
    from .fiscal_queue import FiscalWorker
    from .ports import CashDrawer, CustomerDisplay, FiscalRegister, HubClient, ReceiptPrinter, Scale
    from .print_queue import Spooler

log = logging.getLogger("store_agent")


class Store:
    def __init__(self, config: config_mod.Config):
        self.config = config
        self.db = open_store_db(config.db_path)
        self._listeners = defaultdict(list)
        self.fiscal_enabled = bool(config.get("devices", "fiscal"))
        # The collaborators (agent.ports), set by the composition root (pos_ui.process);
        # None when not configured.
        self.printer: ReceiptPrinter | None = None
        self.drawer: CashDrawer | None = None
        self.display: CustomerDisplay | None = None
        self.scale: Scale | None = None
        self.fiscal_register: FiscalRegister | None = None
        self.hub: HubClient | None = None
        # the core's workers driving them
        self.spooler: Spooler | None = None
        self.fiscal: FiscalWorker | None = None
        # what the last hub call found (sync.state sets it); None until sync has tried
        self.hub_reachable: bool | None = None

    @classmethod
    def open(cls, data_dir) -> "Store":
        return cls(config_mod.load(Path(data_dir)))

    @property
    def store_id(self) -> str:
        return self.config.store_id

    def fiscal_initial_status(self) -> str | None:
        """With a fiscal register a sale is committed as pending until the register confirms."""
        return "pending" if self.fiscal_enabled else None

    def on(self, event: str, fn) -> None:
        self._listeners[event].append(fn)

    def notify(self, event: str, **data) -> None:
        for fn in list(self._listeners[event]):
            try:
                fn(**data)
            except Exception:  # a device or worker problem never fails a committed sale
                log.exception("listener for %s failed", event)

    def close(self) -> None:
        self.db.close()


def init(data_dir, store_id: str, hub_url: str = "", hub_token: str = "", **store_values) -> Store:
    """Create DIR with the database and config.toml; running it again changes nothing."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "config.toml").exists():
        values = {"store": {"id": store_id, **store_values}}
        if hub_url or hub_token:
            values["hub"] = {"url": hub_url, "token": hub_token}
        config_mod.write_new(data_dir, values)
    else:
        from .errors import Conflict
        existing = config_mod.load(data_dir)
        if store_id and existing.store_id != store_id:
            raise Conflict(f"{data_dir} already belongs to store {existing.store_id!r}",
                           field="store_id")
        # again with another hub: say so, never keep the old one silently (nor show a token)
        if hub_url and existing.get("hub", "url") != hub_url:
            raise Conflict(f"{data_dir} is set up for hub {existing.get('hub', 'url') or '(none)'}"
                           f"; to use {hub_url}, set [hub] url in {data_dir / 'config.toml'} "
                           "and restart", field="hub_url")
        if hub_token and existing.get("hub", "token") != hub_token:
            raise Conflict(f"{data_dir} is set up with another hub token (or none); to change "
                           f"it, set [hub] token in {data_dir / 'config.toml'} (or "
                           "STORE_AGENT_HUB_TOKEN) and restart", field="hub_token")
    return Store.open(data_dir)
