"""``store-agent``, the console entry point: the core's own commands (``agent.cli``) plus
those that run the store process built by the composition root (``pos_ui.process``):
``serve``, ``demo`` and ``sync``, and the operations that reach the hub and the devices
(``pos_ui.operations``): ``backup``, ``restore``, ``doctor``, ``install-service``.

Every failure is one line on stderr and a non-zero exit; no traceback reaches the user.
"""

from __future__ import annotations

import errno
import sys

from agent import cli as core_cli
from agent.errors import StoreError

from .operations import add_parsers as add_operations


def store_process_class():
    """The composition root; a layer of it that does not import (sync, devices) is a broken
    install, and a till that would never sync or print must not start: one line says so."""
    try:
        from .process import StoreProcess
    except ImportError as e:
        raise StoreError(f"the store process cannot be loaded ({e}); reinstall store-agent"
                         ) from None
    return StoreProcess


def _json_logs(store) -> None:
    """JSON lines to stderr and ``[log] file`` (rotated): one per request or action."""
    from agent.jsonlog import setup
    cfg = store.config.section("log")
    try:
        setup(cfg["level"], cfg["file"] or None, cfg["max_bytes"], cfg["backups"])
    except OSError as e:
        raise StoreError(f"cannot write the log file {cfg['file']}: {e.strerror} "
                         "(set [log] file)") from None


def cmd_serve(args):
    from agent.store import Store

    store_process = store_process_class()
    store = Store.open(core_cli._data_dir(args))
    _json_logs(store)
    host = args.host or store.config.get("server", "host")
    port = args.port if args.port is not None else store.config.get("server", "port")
    try:
        proc = store_process(store, host, port)
    except (ValueError, OverflowError) as e:  # a host or port the socket layer refuses
        raise StoreError(f"cannot serve on {host}:{port}: {e}") from None
    except OSError as e:
        if e.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            why = {errno.EADDRINUSE: "the port is already in use",
                   errno.EACCES: "permission denied"}.get(e.errno, e.strerror)
            raise StoreError(f"cannot serve on {host}:{port}: {why} (set --port or "
                             "[server] port)") from None
        raise
    print(f"store {store.store_id} serving on {proc.url}", flush=True)
    proc.serve_forever()


def cmd_sync(args):
    from agent.store import Store
    from sync.cli import run as run_sync
    store = Store.open(core_cli._data_dir(args))
    return run_sync(store, once=args.once, status=args.status)


def cmd_demo(args):
    from .demo_parts import run_demo
    return run_demo(port=args.port, data_dir=args.data_dir)


def add_process_commands(sub, after: str) -> None:
    if after == "init":
        s = sub.add_parser("serve", help="run the POS screen, API, sync and devices")
        s.add_argument("--data-dir", help=core_cli.DATA_DIR_HELP)
        s.add_argument("--host", help="the address to listen on (default: [server] host)")
        s.add_argument("--port", type=core_cli.port_number,
                       help="the port to listen on (default: [server] port)")
        s.set_defaults(fn=cmd_serve)

        s = sub.add_parser("demo", help="a self-contained demo store")
        s.add_argument("--port", type=core_cli.port_number, default=8080,
                       help="the screen's port (default 8080; 0 picks a free one)")
        s.add_argument("--data-dir", help="keep the demo's data here instead of a temporary dir")
        s.set_defaults(fn=cmd_demo)
    elif after == "import-catalog":
        s = sub.add_parser("sync", help="push the outbox and pull the feed")
        s.add_argument("--data-dir", help=core_cli.DATA_DIR_HELP)
        s.add_argument("--once", action="store_true",
                       help="push and pull once, then exit (default: keep going)")
        s.add_argument("--status", action="store_true",
                       help="print the sync state (pending, acked, last error) and exit")
        s.set_defaults(fn=cmd_sync)

        add_operations(sub)  # backup, restore, doctor, install-service


def build_parser():
    return core_cli.build_parser(add_process_commands)


def main(argv=None) -> int:
    return core_cli.main(argv, build_parser())


if __name__ == "__main__":
    sys.exit(main())
