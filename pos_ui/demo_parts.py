"""The demo's running parts: the store process plus whatever embedded extras exist."""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path

from agent.demo import DEMO_CASHIERS, free_port, prepare


def run_demo(port: int = 8080, data_dir: str | None = None) -> int:
    base = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="store-agent-demo-"))
    return start_demo(base, free_port(port), prepare)


def start_demo(base: Path, port: int, prepare) -> int:
    extras = []
    extra_config = {"server": {"port": port}}
    for starter in _extra_starters():
        part = starter(base, extra_config)
        if part:
            extras.append(part)
    store = prepare(base / "store", extra_config=extra_config)
    from .process import StoreProcess
    proc = StoreProcess(store, "127.0.0.1", port)
    print(f"store-agent demo: data in {base}")
    print(f"  POS screen:  {proc.url}")
    for part in extras:
        for line in getattr(part, "describe", lambda: [])():
            print(f"  {line}")
    print("  cashiers (login / PIN):")
    for login, name, role, pin in DEMO_CASHIERS:
        print(f"    {login:<6} {pin}  {role:<8} {name}")
    print("  press Ctrl+C to stop", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    proc.start_background()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        proc.stop()
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
