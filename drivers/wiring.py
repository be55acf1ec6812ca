"""Plugging the store's devices into the running store process.

Opens what ``[devices]`` names, starts the print spooler (the agent's queue, this printer),
feeds the customer display from the sale events on a thread of its own (a slow or missing
display never delays the cashier), and exposes the devices to the API via ``store.devices``.
"""

from __future__ import annotations

import logging
import queue
import threading

log = logging.getLogger("store_agent.devices")


class DisplayFeed:
    """Shows the last scanned line and the running total, then the change; latest wins."""

    def __init__(self, store, display):
        self.display = display
        self._q: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = None
        store.on("sale.quoted", self._quoted)
        store.on("sale.committed", self._committed)

    def _put(self, fn, *args):
        try:
            self._q.get_nowait()  # drop a stale message: only the newest matters
        except queue.Empty:
            pass
        try:
            self._q.put_nowait((fn, args))
        except queue.Full:
            pass

    def _quoted(self, quote: dict, **_):
        if quote.get("lines"):
            last = quote["lines"][-1]
            self._put(self.display.show_item, last["name"], last["qty"], last["amount"],
                      quote["total"], last.get("unit", "pcs"))

    def _committed(self, sale_id: int, **_):
        from agent.models import Sale
        sale = Sale.get_by_id(sale_id)
        self._put(self.display.show_change, sale.paid, sale.change)

    def start(self):
        self._thread = threading.Thread(target=self._run, name="customer-display", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._put(lambda: None)
        if self._thread:
            self._thread.join(5)

    def _run(self):
        while not self._stop.is_set():
            try:
                fn, args = self._q.get(timeout=1)
            except queue.Empty:
                continue
            try:
                fn(*args)
            except Exception as e:  # a display problem is logged, never raised
                log.warning("customer display: %s", e)


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
        from agent.errors import StoreError
        said = str(e) if repr(url) in str(e) else f"{url!r}: {e}"
        raise StoreError(f"config.toml: [devices] {key}: {said}", field=f"devices.{key}"
                         ) from None


def attach(process, blueprints) -> None:
    from agent.print_queue import Spooler

    from .display import open_display
    from .printer import open_printer
    from .scale import open_scale

    store = process.store
    cfg = store.config.section("devices")
    lang = store.config.get("ui", "language")
    devices = {"printer": None, "display": None, "scale": None, "spooler": None, "fiscal": None}
    store.devices = devices
    if cfg["printer"]:
        from .drawer import open_drawer_device
        printer = _open("printer", cfg["printer"], open_printer, lang=lang, tz=store.config.tz)
        drawer = _open("drawer", cfg["drawer"], open_drawer_device, printer)  # "" = none
        spooler = Spooler(store, printer, max_wait=cfg["print_retry_max"],
                          drawer="printer" if drawer is not None and cfg["drawer"].startswith(
                              "printer") else drawer, drawer_timeout=cfg["drawer_timeout"])
        devices.update(printer=printer, spooler=spooler)
        process.workers.append(spooler)
        process.status_sources["printer"] = spooler.status
    else:
        process.status_sources["printer"] = lambda: {"state": "none",
                                                     "message": "no printer configured"}
    if cfg["display"]:
        display = _open("display", cfg["display"], open_display, lang=lang)
        if display is not None:
            devices["display"] = display
            process.workers.append(DisplayFeed(store, display))
    if cfg["scale"]:
        devices["scale"] = _open("scale", cfg["scale"], open_scale)
    if cfg["fiscal"]:
        from agent.fiscal_queue import FiscalWorker

        from .fiscal import open_fiscal
        register = _open("fiscal", cfg["fiscal"], open_fiscal,
                         state_path=str(store.config.data_dir / "fiscal-state.json"))
        worker = FiscalWorker(store, register, retry_max=cfg["print_retry_max"])
        store.fiscal = worker
        devices["fiscal"] = register
        process.workers.append(worker)
        process.status_sources["fiscal"] = worker.status
    process.workers.append(_Closer(devices["printer"], devices["display"], devices["scale"]))
