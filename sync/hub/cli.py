"""The ``store-hub`` command line: init, serve, add-store, add-channel, loyalty-rules, pull,
expire-bonuses, rejected.

``--db`` may also come from ``STORE_HUB_DB``; the hub secret from ``STORE_HUB_SECRET``,
``--secret-file`` or (SQLite) ``<database>.secret``.  Failures are one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path


def _db_url(args) -> str:
    url = args.db or os.environ.get("STORE_HUB_DB")
    if not url:
        raise SystemExit("store-hub: --db is required (or set STORE_HUB_DB)")
    return url


def cmd_init(args) -> int:
    from .app import bind
    from .registry import init_hub
    from .vault import ENV, default_file, load_secret
    url = _db_url(args)
    path = Path(args.secret_file) if args.secret_file else default_file(url)
    fresh = path is not None and not os.environ.get(ENV) and not path.exists()
    secret = load_secret(url, args.secret_file, create=True)
    try:
        init_hub(bind(url), args.admin_token, secret)
    except BaseException:  # a failed init leaves no secret behind to confuse the next one
        if fresh and path.exists():
            path.unlink()
        raise
    print("hub database ready")
    return 0


def cmd_add_store(args) -> int:
    from .app import bind, check_ready
    from .registry import add_store
    from .vault import load_secret
    url = _db_url(args)
    secret = load_secret(url, args.secret_file)
    db = bind(url)
    check_ready(db, secret)
    new = add_store(db, args.store_id, args.token, secret, pull_url=args.pull_url)
    print(f"store {args.store_id} {'registered' if new else 'updated'}")
    return 0


def cmd_add_channel(args) -> int:
    from .app import bind, check_ready
    from .channels import add_channel
    from .vault import load_secret
    url = _db_url(args)
    db = bind(url)
    check_ready(db, load_secret(url, args.secret_file))
    new = add_channel(db, args.channel_id, args.token)
    print(f"channel {args.channel_id} {'registered' if new else 'updated'}")
    return 0


def cmd_loyalty_rules(args) -> int:
    from .app import bind, check_ready
    from .db import retrying
    from .errors import HubApiError
    from .membership import rules, set_rules
    from .sql import Sql
    from .vault import load_secret
    url = _db_url(args)
    db = bind(url)
    check_ready(db, load_secret(url, args.secret_file))
    try:
        retrying(db, lambda: set_rules(Sql(db), welcome_bonus=args.welcome_bonus,
                                       accrual_percent=args.accrual_percent))
    except HubApiError as e:
        raise SystemExit(f"store-hub: {e.message}") from None
    now = rules(Sql(db))
    shown = "from each store's [loyalty] welcome_bonus" if now["welcome_bonus"] is None \
        else f"{now['welcome_bonus']} kopecks"
    print(f"welcome bonus: {shown}; accrual: {now['accrual_percent']}%")
    return 0


def cmd_serve(args) -> int:
    from waitress.server import create_server

    from .app import HubConfig, create_app
    from .vault import load_secret
    if not 1 <= args.workers <= 64:
        raise SystemExit("store-hub: --workers must be between 1 and 64")
    if not 10 <= args.connection_limit <= 1000:  # select() in waitress: fds stay below 1024
        raise SystemExit("store-hub: --connection-limit must be between 10 and 1000")
    url = _db_url(args)
    if not 1 <= args.collect_hours <= 8760:
        raise SystemExit("store-hub: --collect-hours must be 1 to 8760")
    if args.notify_webhook and not args.notify_webhook.startswith(("http://", "https://")):
        raise SystemExit("store-hub: --notify-webhook must be an http:// or https:// URL")
    config = HubConfig(db_url=url, secret=load_secret(url, args.secret_file),
                       max_body=args.max_body, accept_v1_signatures=args.accept_v1_signatures,
                       timezone=args.timezone, dead_after=args.dead_after,
                       lag_after=args.lag_after, notify=args.notify_webhook or "log",
                       collect_hours=args.collect_hours,
                       projection=_projection(args.projection, url))
    app = create_app(config)  # checks the database (and upgrades it) before any worker starts
    options = {"threads": args.threads, "ident": "store-hub", "clear_untrusted_proxy_headers": True,
               "connection_limit": args.connection_limit}
    if args.workers > 1:
        from .workers import listen, serve_forked
        app.config["HUB_DB"].close_all()  # no database connection may cross the fork
        sock = listen(args.host, args.port)
        host, port = sock.getsockname()[:2]
        print(f"store-hub serving on http://{host}:{port}/", flush=True)
        return serve_forked(lambda s: create_server(create_app(config), sockets=[s], **options),
                            sock, args.workers)
    server = create_server(app, host=args.host, port=args.port, **options)
    print(f"store-hub serving on http://{server.effective_host}:{server.effective_port}/",
          flush=True)
    try:
        server.run()
    finally:
        server.close()
    return 0


def _projection(choice: str, url: str) -> str:
    if choice != "auto":
        return choice
    return "inline" if url.startswith("sqlite:") else "deferred"


def cmd_pull(args) -> int:
    from .app import bind, check_ready
    from .models import HubStore
    from .pull import PullError, pull_store
    from .vault import load_secret
    url = _db_url(args)
    secret = load_secret(url, args.secret_file)
    db = bind(url)
    check_ready(db, secret)
    while True:
        if args.store:
            stores = [args.store]
        else:
            stores = [s.store_id for s in HubStore.select().where(HubStore.pull_url.is_null(False))]
        failed = 0
        for store_id in stores:
            try:
                n = pull_store(db, secret, store_id, url=args.url, limit=args.limit)
                print(f"{store_id}: {n} new events")
            except PullError as e:
                failed += 1
                print(f"store-hub: pull {store_id}: {e}", file=sys.stderr)
        if not args.loop:
            return 1 if failed else 0
        time.sleep(args.loop)


def cmd_expire(args) -> int:
    from agent.text import mask_phone

    from .app import bind, check_ready
    from .expiry import expire_bonuses
    from .vault import load_secret
    url = _db_url(args)
    db = bind(url)
    check_ready(db, load_secret(url, args.secret_file))
    from .migrations import upgrade
    upgrade(db)  # the cron may run before the upgraded hub has started
    done = expire_bonuses(db)  # a spending held but not yet applied counts first
    for phone, amount in done:
        print(f"{mask_phone(phone)}: {amount} kopecks of bonus expired")  # cron mails it
    print(f"{len(done)} customers had expired bonus")
    return 0


def cmd_install_service(args) -> int:
    from agent.service_units import executable, hub_unit, install
    unit = hub_unit(args.executable or executable("store-hub"), _db_url(args), user=args.user,
                    port=args.port, host=args.host)
    return install("store-hub", unit, args.user, "/var/lib/store-hub", args)


def cmd_rejected(args) -> int:
    from . import rejected
    from .app import bind, check_ready
    from .errors import HubApiError
    from .migrations import upgrade
    from .vault import load_secret
    url = _db_url(args)
    db = bind(url)
    check_ready(db, load_secret(url, args.secret_file))
    upgrade(db)  # the numbered schema steps (hub_rejected_event is step 4)
    if args.action == "list":
        from .projector import drain
        drain(db)  # what the projections leave out (not_applied) is known only once applied
        items = rejected.listing(db, args.store)
        for r in items:
            print(f"{r['id']}\t{r['store_id']}\tseq {r['seq']}\t{r['status']}\t"
                  f"x{r['count']}\t{r['type']}\t{r['reason']}")
        print(f"{len(items)} rejected events")
        return 0
    if args.id is None:
        raise SystemExit("store-hub: rejected quarantine needs the id (see `rejected list`)")
    try:
        r = rejected.quarantine(db, args.id)
    except HubApiError as e:
        print(f"store-hub: {e.message}", file=sys.stderr)
        return 1
    print(f"event {r['store_id']} seq {r['seq']} quarantined: held, not applied")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="store-hub", description="The reference hub for store-agent")
    from agent.version import VERSION
    p.add_argument("--version", action="version", version=f"store-hub {VERSION}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(s):
        s.add_argument("--db", help="sqlite:///PATH or postgresql://USER@HOST/DB[?schema=NAME]")
        s.add_argument("--secret-file", help="the hub secret (default: STORE_HUB_SECRET or "
                                             "<sqlite db>.secret)")

    s = sub.add_parser("init", help="create the hub database and set the admin token")
    common(s)
    s.add_argument("--admin-token", required=True,
                   help="the token of the console and admin API (stored hashed)")
    s.set_defaults(fn=cmd_init)

    s = sub.add_parser("serve", help="run the hub's HTTP API")
    common(s)
    s.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    s.add_argument("--port", type=int, default=8700, help="the port to listen on (default 8700)")
    s.add_argument("--threads", type=int, default=8,
                   help="request threads per worker process (default 8)")
    s.add_argument("--connection-limit", type=int, default=512,
                   help="open connections per worker (each store keeps one open between "
                        "pushes; waitress' own default of 100 left the 101st store waiting)")
    s.add_argument("--workers", type=int, default=1,
                   help="worker processes sharing the one port (pre-fork, Linux; 1-64)")
    s.add_argument("--max-body", type=int, default=8 * 1024 * 1024,
                   help="largest push in bytes (413 above it)")
    s.add_argument("--timezone", default="Europe/Moscow",
                   help="the chain's time zone for business dates (default Europe/Moscow)")
    s.add_argument("--dead-after", type=float, default=300.0,
                   help="seconds without a call before a store shows dead (default 300)")
    s.add_argument("--lag-after", type=float, default=60.0,
                   help="seconds of lag before a store shows lagging (default 60)")
    s.add_argument("--log-file", help="also write the JSON-lines log here (rotated)")
    s.add_argument("--log-max-bytes", type=int, default=10_000_000,
                   help="rotate the log file at this size (default 10 MB)")
    s.add_argument("--log-backups", type=int, default=5, help="old log files kept (default 5)")
    s.add_argument("--notify-webhook", metavar="URL", help="POST a JSON message to URL when "
                   "an order is ready for pick-up (default: a log line)")
    s.add_argument("--collect-hours", type=int, default=48, help="a ready order older than "
                   "this is overdue (default 48)")
    s.add_argument("--projection", choices=("auto", "inline", "deferred"), default="auto",
                   help="apply pushed events to sales, stock and bonuses in the push "
                        "(inline) or right after acknowledging it (deferred: several times "
                        "the pushes per second; every read waits for them); auto: deferred "
                        "on PostgreSQL, inline on SQLite")
    s.add_argument("--accept-v1-signatures", action="store_true",
                   help="also accept the old v1 signature (body only) from agents older than v2")
    s.set_defaults(fn=cmd_serve)

    s = sub.add_parser("add-store", help="register a store and its token (again: new token)")
    common(s)
    s.add_argument("store_id", help="the store's id, as in its config ([store] id)")
    s.add_argument("--token", required=True, help="the store's bearer token (its hub_token)")
    s.add_argument("--pull-url", help="the agent's base URL, for `store-hub pull`")
    s.set_defaults(fn=cmd_add_store)

    s = sub.add_parser("add-channel", help="register a website/ERP channel and its token")
    common(s)
    s.add_argument("channel_id", help="the channel's id, e.g. site or erp")
    s.add_argument("--token", required=True, help="the channel's bearer token")
    s.set_defaults(fn=cmd_add_channel)

    s = sub.add_parser("loyalty-rules", help="show or set the chain's loyalty rules at the hub")
    common(s)
    s.add_argument("--welcome-bonus", type=int, help="kopecks granted once per phone")
    s.add_argument("--accrual-percent", type=int, help="most a channel's accrual may be "
                                                       "of the order's total (percent)")
    s.set_defaults(fn=cmd_loyalty_rules)

    s = sub.add_parser("pull", help="fetch events from agents exposing the pull API")
    common(s)
    s.add_argument("--store", help="only this store (default: every store with a pull URL)")
    s.add_argument("--url", help="the agent's base URL (overrides the registered one)")
    s.add_argument("--limit", type=int, default=500, help="events per request (default 500)")
    s.add_argument("--loop", type=float, default=0, help="repeat every N seconds")
    s.set_defaults(fn=cmd_pull)

    s = sub.add_parser("expire-bonuses", help="post the expiry of unspent expired bonus (daily)")
    common(s)
    s.set_defaults(fn=cmd_expire)

    s = sub.add_parser("install-service", help="install store-hub as a systemd service")
    common(s)
    from agent.service_units import add_install_options
    add_install_options(s)
    s.add_argument("--user", default="store-hub",
                   help="the system user the service runs as (default store-hub)")
    s.set_defaults(fn=cmd_install_service)

    s = sub.add_parser("rejected", help="poison events: list them, or quarantine one so the "
                                        "store's sync goes on")
    common(s)
    s.add_argument("action", choices=("list", "quarantine"),
                   help="list the rejected events, or quarantine one by id")
    s.add_argument("id", nargs="?", type=int, help="the rejected event's id (quarantine)")
    s.add_argument("--store", help="only this store's (list)")
    s.set_defaults(fn=cmd_rejected)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "fn", None) is cmd_serve:  # JSON lines: one per request, to stderr and --log-file
        from agent.jsonlog import setup
        try:
            setup(os.environ.get("STORE_HUB_LOG", "WARNING"), args.log_file,
                  args.log_max_bytes, args.log_backups, access="store_hub.access")
        except OSError as e:
            print(f"store-hub: cannot write the log file {args.log_file}: {e.strerror}",
                  file=sys.stderr)
            return 1
    else:
        logging.basicConfig(level=os.environ.get("STORE_HUB_LOG", "WARNING"),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from agent.errors import StoreError

    from .app import HubNotReady
    from .db import BadDatabaseUrl
    from .registry import RegistryError
    from .vault import SecretError
    try:
        return int(args.fn(args) or 0)
    except (HubNotReady, BadDatabaseUrl, RegistryError, SecretError) as e:
        print(f"store-hub: {e}", file=sys.stderr)
        return 1
    except StoreError as e:  # install-service's refusals
        print(f"store-hub: {e.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # one line, never a traceback
        logging.getLogger("store_hub").debug("unexpected", exc_info=True)
        print(f"store-hub: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
