"""The ``store-agent`` command line of the contract: the commands the core runs by itself
(``init``, ``cashier``, ``import-catalog``) and ``--version``.  ``serve``, ``demo``,
``sync`` and the operations (``backup``, ``restore``, ``doctor``, ``install-service``) need
the process around the core (the hub, the devices) and are added by ``pos_ui.cli`` (the
console entry point).

Every failure is one line on stderr and a non-zero exit; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .errors import StoreError
from .version import VERSION

DATA_DIR_HELP = "the store's data dir (default: $STORE_AGENT_DATA_DIR)"


def _data_dir(args) -> str:
    d = args.data_dir or os.environ.get("STORE_AGENT_DATA_DIR")
    if not d:
        raise StoreError("--data-dir is required (or set STORE_AGENT_DATA_DIR)", field="data_dir")
    return d


def cmd_init(args):
    from .store import init
    store = init(args.data_dir, args.store_id, args.hub_url or "", args.hub_token or "",
                 **({"name": args.store_name} if args.store_name else {}))
    print(f"store {store.store_id} ready in {store.config.data_dir}")
    store.close()


def cmd_cashier_add(args):
    from . import cashiers
    from .store import Store
    store = Store.open(_data_dir(args))
    c = cashiers.add(store, args.login, args.name, args.role, args.pin)
    print(f"cashier {c.login} ({c.role}) added")


def _cashier_line(c: dict) -> str:
    state = "active" if c["active"] else "inactive"
    if c["locked"]:
        state += f", locked until {c['locked_until']}"
    if not c["has_pin"]:
        state += ", no PIN"
    return f"{c['login']:<16} {c['role']:<8} {state:<24} {c['name']}"


def cmd_cashier_list(args):
    from . import cashier_admin
    from .store import Store
    Store.open(_data_dir(args))
    rows = cashier_admin.listing()
    print(f"{'LOGIN':<16} {'ROLE':<8} {'STATE':<24} NAME")
    for c in rows:  # names come from outside: shown without control characters
        print("".join(ch if ch.isprintable() else "?" for ch in _cashier_line(c)))
    if not rows:
        print("(no cashiers: add one with `store-agent cashier add`)")


def _read_pin(args) -> str:
    if args.pin is not None:
        return args.pin
    import getpass
    if not sys.stdin.isatty():  # a script: the PIN is one line on stdin, never echoed
        return sys.stdin.readline().strip()
    pin = getpass.getpass("new PIN (4-8 digits): ")
    if getpass.getpass("the same PIN again: ") != pin:
        raise StoreError("the two PINs differ: nothing changed", field="pin")
    return pin


def cmd_cashier_change(args):
    from . import cashier_admin
    from .store import Store
    store = Store.open(_data_dir(args))
    if args.action == "set-pin":
        c = cashier_admin.set_pin(store, args.login, _read_pin(args))
        print(f"cashier {c['login']}: new PIN set")
        return
    c = getattr(cashier_admin, args.action)(store, args.login)
    done = {"deactivate": "deactivated", "activate": "activated", "unlock": "unlocked"}
    print(f"cashier {c['login']}: {done[args.action]}")


class Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal, or forced)."""

    def __init__(self, label: str, total: int | None, enabled: bool):
        self.label, self.total, self.enabled = label, total, enabled

    def __call__(self, done: int, total: int | None = None):
        if not self.enabled:
            return
        total = total or self.total
        if total:
            pct = min(100, done * 100 // max(total, 1))
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {pct:3d}% {done}")
        else:
            sys.stderr.write(f"\r{self.label} {done}")
        sys.stderr.flush()

    def finish(self):
        if self.enabled:
            sys.stderr.write("\n")


def cmd_import_catalog(args):
    from .store import Store
    store = Store.open(_data_dir(args))
    show = args.progress or (args.progress is None and sys.stderr.isatty())
    fmt = args.format or ("commerceml" if any(f.endswith(".xml") or os.path.isdir(f)
                                              for f in args.files) else "csv")
    if fmt == "commerceml":
        from .commerceml import import_files
        bar = Progress("importing", None, show)
        summary = import_files(store, args.files, progress=bar)
        bar.finish()
        print(summary.report())
        return 0 if summary.ok else 1
    from .csv_import import import_csv
    total_rejected = 0
    for path in args.files:
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                lines = sum(1 for _ in fh) - 1
                fh.seek(0)
                bar = Progress(f"importing {os.path.basename(path)}", lines, show)
                summary = import_csv(store, fh, progress=bar)
                bar.finish()
        except FileNotFoundError:
            raise StoreError(f"{path}: no such file", field="file") from None
        except UnicodeDecodeError:
            raise StoreError(f"{path}: not UTF-8 text", field="file") from None
        s = summary
        print(f"{path}: {s.added} added, {s.updated} updated, {s.unchanged} unchanged, "
              f"{s.stock_lines} stock receipts, {len(s.rejected)} rejected")
        for r in s.rejected[:200]:
            print(f"  line {r['line']}: {r['message']}")
        if len(s.rejected) > 200:
            print(f"  ... and {len(s.rejected) - 200} more")
        total_rejected += len(s.rejected)
    return 1 if total_rejected else 0


def cmd_import_delivery(args):
    """A supplier's УПД XML as an expected delivery; unmatched lines are listed."""
    from .store import Store
    from .upd_import import import_file
    store = Store.open(_data_dir(args))
    try:
        got = import_file(store, args.file)
    finally:
        store.close()
    d = got["delivery"]
    verb = "imported" if got["created"] else "already imported"
    print(f"delivery {d['delivery_id']} {verb}: {d['supplier']} № {d['number']} "
          f"(format {got['version']}), {len(d['lines'])} lines, {len(got['unmatched'])} unmatched")
    for u in got["unmatched"]:
        print(f"  unmatched line {u['line']}: {u['name']} (barcode {u['barcode'] or '-'}, "
              f"code {u['article'] or '-'}) qty {u['qty']}")


def build_parser(add_process_commands=None) -> argparse.ArgumentParser:
    """The whole ``store-agent`` parser; ``add_process_commands(sub, after)`` adds the
    commands of the store process (``after`` names the core command it follows)."""
    p = argparse.ArgumentParser(prog="store-agent", description="Point-of-sale store agent")
    p.add_argument("--version", action="version", version=f"store-agent {VERSION}")
    sub = p.add_subparsers(dest="command", required=True)
    add_process = add_process_commands or (lambda sub, after: None)

    s = sub.add_parser("init", help="create a data dir with the store database and config")
    s.add_argument("--data-dir", required=True, help="the folder to create (or keep) the store in")
    s.add_argument("--store-id", required=True, help="the store's id in the chain, e.g. S001")
    s.add_argument("--store-name", help="the store's name on receipts and the screen")
    s.add_argument("--hub-url", help="the hub's base URL (none: the store works alone)")
    s.add_argument("--hub-token", help="this store's token at the hub (store-hub add-store)")
    s.set_defaults(fn=cmd_init)

    add_process(sub, "init")

    s = sub.add_parser("cashier", help="manage cashiers")
    csub = s.add_subparsers(dest="action", required=True)
    a = csub.add_parser("add", help="add a cashier")
    a.add_argument("--data-dir", help=DATA_DIR_HELP)
    a.add_argument("login", help="the login typed on the sign-in screen")
    a.add_argument("--name", required=True, help="the name shown on the screen and receipts")
    a.add_argument("--role", required=True, choices=["cashier", "senior", "manager"],
                   help="what the cashier may do (cashier < senior < manager)")
    a.add_argument("--pin", required=True, help="the PIN, 4-8 digits")
    a.set_defaults(fn=cmd_cashier_add)
    a = csub.add_parser("list", help="list cashiers with role, state and lockout")
    a.add_argument("--data-dir", help=DATA_DIR_HELP)
    a.set_defaults(fn=cmd_cashier_list)
    for action, what in (("deactivate", "stop a cashier signing in; ends their open sessions"),
                         ("activate", "let a deactivated cashier sign in again"),
                         ("set-pin", "set a new PIN (from --pin, stdin or a prompt that does "
                                     "not echo); clears a lockout"),
                         ("unlock", "clear a lockout after too many wrong PINs")):
        a = csub.add_parser(action, help=what)
        a.add_argument("--data-dir", help=DATA_DIR_HELP)
        a.add_argument("login", help="the cashier's login")
        if action == "set-pin":
            a.add_argument("--pin", help="the new PIN, 4-8 digits (omit to be asked for it)")
        a.set_defaults(fn=cmd_cashier_change)

    s = sub.add_parser("import-catalog", help="import a catalog (CSV or CommerceML)")
    s.add_argument("--data-dir", help=DATA_DIR_HELP)
    s.add_argument("files", nargs="+", help="CSV files, or CommerceML XML files or folders")
    s.add_argument("--format", choices=["csv", "commerceml"],
                   help="the files' format (default: commerceml for .xml or a folder, else csv)")
    s.add_argument("--progress", action="store_true", default=None,
                   help="show a progress bar even when stderr is not a terminal")
    s.set_defaults(fn=cmd_import_catalog)

    add_process(sub, "import-catalog")

    s = sub.add_parser("import-delivery", help="a supplier's УПД XML as an expected delivery")
    s.add_argument("--data-dir", help=DATA_DIR_HELP)
    s.add_argument("file", help="the УПД / счёт-фактура XML file (ФНС format 5.01-5.03)")
    s.set_defaults(fn=cmd_import_delivery)
    return p


class _Parser(argparse.ArgumentParser):
    pass


def port_number(text: str) -> int:
    """A TCP port for --port: 0..65535 (0 picks a free one); never one that wraps around."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0..65535)")
    return port


def main(argv=None, parser: argparse.ArgumentParser | None = None) -> int:
    logging.basicConfig(level=os.environ.get("STORE_AGENT_LOG", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    try:
        rc = args.fn(args)
        return int(rc or 0)
    except StoreError as e:
        print(f"store-agent: {e.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as e:  # a folder that cannot be made, a file that cannot be read
        where = f": {e.filename}" if e.filename else ""
        print(f"store-agent: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except Exception as e:  # last resort: one line, never a traceback
        logging.getLogger("store_agent").debug("unexpected", exc_info=True)
        print(f"store-agent: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        from .db import close_open_store
        close_open_store()


if __name__ == "__main__":
    sys.exit(main())
