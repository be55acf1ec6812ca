"""The demo's running parts: the store process plus whatever embedded extras exist."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from agent.demo import DEMO_CASHIERS


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
        from .server import StoreProcess
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
