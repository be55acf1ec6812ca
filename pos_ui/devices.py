"""Plugging the store's devices into the running store process (part of the composition
root, ``pos_ui.process``).

Opens what ``[devices]`` names (``drivers``), sets them on the store's typed fields
(``store.printer``, ``store.drawer``, ``store.display``, ``store.scale``, ``store.fiscal_register``), starts
the print spooler and the fiscal worker (the core's workers, this printer and register),
and feeds the customer display from the sale events on a worker of its own (a slow or
missing display never delays the cashier).
"""

from __future__ import annotations

import logging
import threading

from agent.errors import StoreError
from agent.worker import Worker

log = logging.getLogger("store_agent.devices")


class DisplayFeed(Worker):
    """Shows the last scanned line and the running total, then the change; latest wins."""

    name = "customer-display"

    def __init__(self, store, display):
        super().__init__(interval=1.0)
        self.display = display
        self._latest = None
        self._lock = threading.Lock()
        store.on("sale.quoted", self._quoted)
        store.on("sale.committed", self._committed)

    def _put(self, fn, *args):
        with self._lock:
            self._latest = (fn, args)  # a stale message is dropped: only the newest matters
        self.poke()

    def _quoted(self, quote: dict, **_):
        if quote.get("lines"):
            last = quote["lines"][-1]
            self._put(self.display.show_item, last["name"], last["qty"], last["amount"],
                      quote["total"], last.get("unit", "pcs"))

    def _committed(self, sale_id: int, **_):
        from agent.models import Sale
        sale = Sale.get_by_id(sale_id)
        self._put(self.display.show_change, sale.paid, sale.change)

    def stop(self, timeout: float = 5.0):
        super().stop(timeout)

    def run_round(self):
        with self._lock:
            latest, self._latest = self._latest, None
        if latest is None:
            return None
        fn, args = latest
        try:
            fn(*args)
        except Exception as e:  # a display problem is logged, never raised
            log.warning("customer display: %s", e)
        return 0


class _Closer:
    def __init__(self, *devices):
        self.devices = [d for d in devices if d is not None]

    def start(self):
        pass

    def stop(self):
        for d in self.devices:
            try:
                d.close()
            except Exception:
                pass


def _open(key: str, url: str, opener, *args, **kw):
    """Open a device from its ``[devices]`` URL; a bad URL is one line naming the key."""
    try:
        return opener(url, *args, **kw)
    except ValueError as e:
        said = str(e) if repr(url) in str(e) else f"{url!r}: {e}"
        raise StoreError(f"config.toml: [devices] {key}: {said}", field=f"devices.{key}"
                         ) from None


def attach(process, blueprints) -> None:
    from agent.print_queue import Spooler
    from drivers.display import open_display
    from drivers.printer_transports import open_printer
    from drivers.scale import open_scale

    store = process.store
    cfg = store.config.section("devices")
    lang = store.config.get("ui", "language")
    if cfg["printer"]:
        from drivers.drawer import open_drawer_device
        printer = _open("printer", cfg["printer"], open_printer, lang=lang, tz=store.config.tz)
        drawer = _open("drawer", cfg["drawer"], open_drawer_device, printer)  # "" = none
        spooler = Spooler(store, printer, max_wait=cfg["print_retry_max"],
                          drawer="printer" if drawer is not None and cfg["drawer"].startswith(
                              "printer") else drawer, drawer_timeout=cfg["drawer_timeout"])
        store.printer, store.drawer, store.spooler = printer, drawer, spooler
        process.workers.append(spooler)
        process.status_sources["printer"] = spooler.status
    else:
        process.status_sources["printer"] = lambda: {"state": "none",
                                                     "message": "no printer configured"}
    if cfg["display"]:
        display = _open("display", cfg["display"], open_display, lang=lang)
        if display is not None:
            store.display = display
            process.workers.append(DisplayFeed(store, display))
    if cfg["scale"]:
        store.scale = _open("scale", cfg["scale"], open_scale)
    if cfg["fiscal"]:
        from agent.fiscal_queue import FiscalWorker
        from drivers.fiscal import open_fiscal
        register = _open("fiscal", cfg["fiscal"], open_fiscal,
                         state_path=str(store.config.data_dir / "fiscal-state.json"))
        worker = FiscalWorker(store, register, retry_max=cfg["print_retry_max"])
        store.fiscal, store.fiscal_register = worker, register
        process.workers.append(worker)
        process.status_sources["fiscal"] = worker.status
    process.workers.append(_Closer(store.printer, store.display, store.scale))
