"""The demo's running parts: the store process plus whatever embedded extras exist."""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
from pathlib import Path

from agent.demo import DEMO_CASHIERS, free_port, prepare, scans


def _interrupt(*_):
    raise KeyboardInterrupt


def run_demo(port: int = 8080, data_dir: str | None = None) -> int:
    """Run the demo until Ctrl+C or SIGTERM; a temporary data dir is removed at the end
    (also when the signal comes while the demo is still starting)."""
    base = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="store-agent-demo-"))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return start_demo(base, free_port(port), prepare)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if not data_dir:
            shutil.rmtree(base, ignore_errors=True)


def start_demo(base: Path, port: int, prepare) -> int:
    extras = []
    extra_config = {"server": {"port": port}}
    proc = None
    stop = threading.Event()
    try:  # a Ctrl+C or SIGTERM at any point stops what was started, in order
        for starter in _extra_starters():
            part = starter(base, extra_config)
            if part:
                extras.append(part)
        store = prepare(base / "store", extra_config=extra_config)
        from .process import StoreProcess
        proc = StoreProcess(store, "127.0.0.1", port)
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        proc.start_background()
        print(f"store-agent demo: data in {base}")
        print(f"  POS screen:  {proc.url}")
        for part in extras:
            for line in getattr(part, "describe", lambda: [])():
                print(f"  {line}")
        print("  cashiers (login / PIN):")
        for login, name, role, pin in DEMO_CASHIERS:
            print(f"    {login:<6} {pin}  {role:<8} {name}")
        print("  barcodes to scan (or type in the scan field and press Enter):")
        for item in scans():
            weighed = "  (weighed: the scale gives the weight)" if item["unit"] == "kg" else ""
            print(f"    {item['barcode']}  {item['name']}{weighed}")
        print("  press Ctrl+C to stop", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if proc is not None:
            proc.stop()
            proc.store.close()
        for part in extras:
            part.stop()
    return 0


def _extra_starters():
    starters = []
    try:
        from sync.hub.embedded import start_embedded_hub
        starters.append(start_embedded_hub)
    except ImportError:
        pass
    try:
        from drivers.emulators.demo import start_demo_devices
        starters.append(start_demo_devices)
    except ImportError:
        pass
    return starters
