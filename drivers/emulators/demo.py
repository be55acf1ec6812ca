"""The demo's hardware: a virtual network printer, a pty customer display and a pty CAS scale.

``start_demo_devices(base_dir, extra_config)`` starts them, points ``[devices]`` in
``extra_config`` at them, and writes every printed receipt as readable text to
``base_dir/receipts/receipt-NNNN.txt`` (and the raw ``.escpos``), so the demo shows real
bytes turned back into paper. ``describe()`` gives the lines the demo prints; ``stop()``
stops them all.
"""

from __future__ import annotations

import itertools
import os
import threading
from decimal import Decimal

from drivers.emulators.display import VirtualDisplay
from drivers.emulators.escpos_text import escpos_to_text
from drivers.emulators.printer import VirtualNetworkPrinter
from drivers.emulators.scale import VirtualScale

__all__ = ["DemoDevices", "start_demo_devices"]


class DemoDevices:
    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)
        existing = [n for n in os.listdir(out_dir) if n.endswith(".txt")]
        self._numbers = itertools.count(len(existing) + 1)
        self._lock = threading.Lock()
        self.printer = VirtualNetworkPrinter(on_job=self._save).start()
        self.display = VirtualDisplay().start()
        self.scale = VirtualScale(Decimal("0.755")).start()
        from drivers.fiscal.emulator import ShtrihEmulator
        self.fiscal = ShtrihEmulator("tcp").start()

    def _save(self, job: bytes) -> None:
        with self._lock:
            stem = os.path.join(self.out_dir, f"receipt-{next(self._numbers):04d}")
        with open(stem + ".escpos", "wb") as fh:
            fh.write(job)
        with open(stem + ".txt", "w", encoding="utf-8") as fh:
            fh.write(escpos_to_text(job, self.printer.codepage))

    def urls(self) -> dict[str, str]:
        return {"printer": f"escpos+tcp://127.0.0.1:{self.printer.port}",
                "drawer": "printer:",
                "display": f"{self.display.port}?baudrate=9600",
                "scale": f"{self.scale.port}?baudrate=9600",
                "fiscal": self.fiscal.url}

    def describe(self) -> list[str]:
        return [f"printer:     virtual, 127.0.0.1:{self.printer.port}; receipts as text in "
                f"{self.out_dir}",
                f"display:     virtual 2x20 on {self.display.port}",
                f"scale:       virtual CAS scale on {self.scale.port} (shows 0.755 kg)",
                f"fiscal:      emulated Shtrih-M register at {self.fiscal.url}"]

    def stop(self) -> None:
        for device in (self.printer, self.display, self.scale, self.fiscal):
            try:
                device.close() if hasattr(device, "close") else device.stop()
            except OSError:
                pass


def start_demo_devices(base_dir, extra_config: dict) -> DemoDevices:
    """Start the virtual devices and configure the store to use them."""
    devices = DemoDevices(os.path.join(str(base_dir), "receipts"))
    extra_config.setdefault("devices", {}).update(devices.urls())
    return devices
