"""Operating a store for years: ``backup``, ``restore``, ``doctor``, ``install-service``.

The command functions of ``store-agent`` that reach past the store core: the hub (a
restored store's catch-up, the doctor's hub checks) and the devices (the doctor's
printer/register/scale checks).  ``add_parsers`` registers them on the CLI.
"""

from __future__ import annotations

import os
from pathlib import Path

from agent import backup, doctor, service_units
from agent import cli as core_cli
from agent.errors import Conflict, Invalid, StoreError


def _data_dir(args) -> str:
    d = args.data_dir or os.environ.get("STORE_AGENT_DATA_DIR")
    if not d:
        raise StoreError("--data-dir is required (or set STORE_AGENT_DATA_DIR)", field="data_dir")
    return d


def cmd_backup(args) -> int:
    from agent import config as config_mod
    cfg = config_mod.load(Path(_data_dir(args)))
    m = backup.backup(cfg, args.file)
    print(f"backup of store {m['store_id']} written to {args.file}: schema {m['schema_version']}, "
          f"events {m['outbox_first_seq']}..{m['outbox_last_seq']} "
          f"(the hub held up to {m['acked_through']}), {m['sales']} sales")
    return 0


def _refuse_if_serving(data_dir: Path) -> None:
    """A serving agent would go on writing to the database a restore sets aside."""
    import json
    import urllib.request

    from agent import config as config_mod
    if not (data_dir / "config.toml").exists():
        return
    cfg = config_mod.load(data_dir)
    host = cfg.get("server", "host")
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    url = f"http://{host}:{cfg.get('server', 'port')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            answer = json.loads(resp.read() or b"{}")
    except (OSError, ValueError):
        return
    if answer.get("store_id") == cfg.store_id:
        raise Conflict(f"store {cfg.store_id} is serving at {url[:-8]}: stop it first "
                       "(systemctl stop store-agent)", code="serving")


def cmd_restore(args) -> int:
    data_dir = Path(_data_dir(args))
    _refuse_if_serving(data_dir)
    if args.from_hub:
        return _restore_from_hub(args, data_dir)
    if not args.file:
        raise Invalid("give the backup FILE, or --from-hub", field="file")
    done = backup.restore(data_dir, args.file, force=args.force)
    if done["kept"]:
        print(f"the database it replaced is kept as {done['kept']}")
    print(f"store {done['store_id']} restored from the backup of {done['taken_at']} "
          f"(events up to {done['outbox_last_seq']})")
    return _catch_up_now(data_dir, args.no_catch_up)


def _restore_from_hub(args, data_dir: Path) -> int:
    """A store whose disk died: a new database, rebuilt from the hub's copy of its events."""
    from agent.store import Store, init
    if args.file:
        raise Invalid("give either FILE or --from-hub, not both", field="file")
    db = data_dir / backup.DB_NAME
    if (data_dir / "config.toml").exists():
        store = Store.open(data_dir)
    else:
        if not (args.store_id and args.hub_url and args.hub_token):
            raise Invalid("a new data dir needs --store-id, --hub-url and --hub-token",
                          field="store_id")
        store = init(data_dir, args.store_id, args.hub_url, args.hub_token)
    from agent import replay
    from sync.wiring import hub_client
    has_events, has_hub = replay.last_seq() > 0, hub_client(store) is not None
    store.close()
    if not has_hub:
        raise Invalid(f"no hub is configured in {data_dir / 'config.toml'}: [hub] url and token",
                      field="from_hub")
    if has_events:
        if not args.force:
            raise Conflict(f"{db} holds this store's events: restore a backup FILE, or use "
                           "--force to set it aside and rebuild from the hub", field="from_hub")
        print(f"the database it replaced is kept as {backup.set_aside(db)}")
    store = Store.open(data_dir)
    with store.db.write():
        backup.mark_for_recovery(store.db.db, "rebuilt from the hub")
    store.close()
    print(f"store {store.store_id}: a new database, to be rebuilt from the hub's copy")
    return _catch_up_now(data_dir, args.no_catch_up)


def _catch_up_now(data_dir: Path, skip: bool) -> int:
    from agent.store import Store
    from sync.errors import HubRefused, HubUnavailable
    from sync.recovery import catch_up
    from sync.wiring import hub_client
    store = Store.open(data_dir)
    try:
        client = hub_client(store)
        if skip:
            print("not caught up with the hub yet (--no-catch-up): the store refuses sales "
                  "until `store-agent sync --once` or the service has done it")
            return 0
        if client is None:  # nobody holds events of this store but itself
            with store.db.write():
                store.db.db.execute_sql("DELETE FROM sync_state WHERE key = ?",
                                        (backup.RECOVERY_KEY,))
            print("no hub is configured: nothing to catch up with; the store sells on")
            return 0
        try:
            done = catch_up(store, client)
        except (HubUnavailable, HubRefused) as e:
            print(f"not caught up with the hub yet ({e.message}): the service does it when the "
                  "hub answers; sales are refused until then")
            return 1
        print(f"caught up with the hub: {done['applied']} events replayed, "
              f"the next event is {done['last_seq'] + 1}")
        return 0
    finally:
        store.close()


_NOT_ANSWERING = "is it on and connected? (the service may hold the port)"


def _probe(name: str, url: str, open_device, ask, judge) -> doctor.Check:
    """Open a device, ask it one thing, close it; any failure is the check's answer."""
    try:
        device = open_device()
        try:
            answer = ask(device)
        finally:
            getattr(device, "close", lambda: None)()
    except Exception as e:  # noqa: BLE001 - any failure is the check's answer
        return doctor.Check(name, doctor.FAIL, f"{url}: {e}", _NOT_ANSWERING)
    return judge(answer)


def _open_printer(url, lang):
    from drivers.printer_transports import open_printer
    return open_printer(url, lang=lang)


def _open_fiscal(url, state_path):
    from drivers.fiscal import open_fiscal
    return open_fiscal(url, state_path=state_path)


def _open_scale(url):
    from drivers.scale import open_scale
    return open_scale(url)


def device_checks(config, timeout: float = 3.0) -> list[doctor.Check]:
    """The configured printer, fiscal register and scale: do they answer?"""
    cfg = config.section("devices")
    out = []
    if url := cfg["printer"]:
        out.append(_probe(
            "printer", url, lambda: _open_printer(url, config.get("ui", "language")),
            lambda p: p.status(),
            lambda st: doctor.Check("printer", doctor.OK if st.ready else doctor.FAIL,
                                    f"{url}: {st.state.value} {st.message}".strip(),
                                    "" if st.ready else "paper, cover, cable, power")))
    if url := cfg["fiscal"]:
        out.append(_probe(
            "fiscal register", url,
            lambda: _open_fiscal(url, str(config.data_dir / "fiscal-state.json")),
            lambda r: r.status(),
            lambda st: doctor.Check("fiscal register", doctor.OK, f"{url}: {st}")))
    if url := cfg["scale"]:
        out.append(_probe(
            "scale", url, lambda: _open_scale(url), lambda sc: sc.read_weight(timeout=timeout),
            lambda weight: doctor.Check("scale", doctor.OK, f"{url}: {weight} kg")))
    return out


def cmd_doctor(args) -> int:
    """Read-only: the database is opened read-only and never upgraded by a check."""
    from agent import config as config_mod
    cfg = config_mod.load(Path(_data_dir(args)))
    checks = doctor.local_checks(cfg)
    if not args.offline:
        from sync.diagnostics import hub_checks
        checks += hub_checks(cfg, doctor.last_seq(cfg.db_path))
    if not args.no_devices:
        checks += device_checks(cfg)
    print(doctor.as_json(checks, cfg.store_id) if args.json else doctor.render(checks, cfg.store_id))
    return doctor.EXIT[doctor.verdict(checks)]


def cmd_install_service(args) -> int:
    exe = args.executable or service_units.executable("store-agent")
    unit = service_units.agent_unit(exe, user=args.user, port=args.port, host=args.host)
    return service_units.install("store-agent", unit, args.user, "/var/lib/store-agent", args)


def add_parsers(sub) -> None:
    s = sub.add_parser("backup", help="a consistent copy of the store while it serves")
    s.add_argument("--data-dir", help=core_cli.DATA_DIR_HELP)
    s.add_argument("file", help="the backup file to write (.tar.gz)")
    s.set_defaults(fn=cmd_backup)

    s = sub.add_parser("restore", help="put a backup in place; the store then catches up "
                                       "with the hub")
    s.add_argument("--data-dir", help=core_cli.DATA_DIR_HELP)
    s.add_argument("file", nargs="?", help="the backup file to restore (not with --from-hub)")
    s.add_argument("--force", action="store_true",
                   help="restore a backup of another store / set a database with events aside")
    s.add_argument("--from-hub", action="store_true",
                   help="rebuild a lost database from the hub's copy of this store's events")
    s.add_argument("--store-id", help="the store's id (--from-hub into an empty data dir)")
    s.add_argument("--hub-url", help="the hub's base URL (--from-hub into an empty data dir)")
    s.add_argument("--hub-token", help="the store's hub token (--from-hub into an empty "
                                       "data dir)")
    s.add_argument("--no-catch-up", action="store_true",
                   help="do not ask the hub now (the service or `sync` does it)")
    s.set_defaults(fn=cmd_restore)

    s = sub.add_parser("doctor", help="check the store: one line per check, exit 0/1/2")
    s.add_argument("--data-dir", help=core_cli.DATA_DIR_HELP)
    s.add_argument("--json", action="store_true", help="the checks as JSON for monitoring")
    s.add_argument("--offline", action="store_true", help="skip the hub checks")
    s.add_argument("--no-devices", action="store_true", help="skip the device checks")
    s.set_defaults(fn=cmd_doctor)

    s = sub.add_parser("install-service", help="install store-agent as a systemd service")
    service_units.add_install_options(s)
    s.add_argument("--user", default="store-agent",
                   help="the system user the service runs as (default store-agent)")
    s.set_defaults(fn=cmd_install_service)
