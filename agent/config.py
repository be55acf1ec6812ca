"""The agent's configuration: one object loaded from ``DATA_DIR/config.toml``.

Every key, its type and its default live in ``SCHEMA`` below (the README's configuration
table is written from it).  Unknown keys and wrong types are refused at start-up with one
clear message each.  The object is passed in to whoever needs it; nothing imports it as a
global.  Environment overrides: ``STORE_AGENT_HUB_URL``, ``STORE_AGENT_HUB_TOKEN``.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Invalid

# section -> key -> (type, default, one-line meaning)
SCHEMA: dict[str, dict[str, tuple[type, object, str]]] = {
    "store": {
        "id": (str, "", "this store's id at the hub (required)"),
        "name": (str, "Магазин", "printed in the receipt header"),
        "address": (str, "", "printed in the receipt header"),
        "inn": (str, "", "the seller's tax id (INN), printed in the receipt header"),
        "timezone": (str, "Europe/Moscow", "IANA time zone for receipts and reports"),
    },
    "server": {
        "host": (str, "127.0.0.1", "address the POS screen and API listen on"),
        "port": (int, 8080, "port the POS screen and API listen on"),
        "threads": (int, 8, "WSGI worker threads"),
        "allowed_origins": (list, [], "extra origins (scheme://host:port) allowed to call the API; "
                                      "the agent's own host:port and its localhost forms always are"),
        "metrics_token": (str, "", "bearer token for GET /metrics from another host; empty = "
                                   "served to this host (loopback) only"),
    },
    "log": {
        "file": (str, "", "also write the JSON-lines log (one line per request or action) "
                          "to this file, rotated; empty = stderr only"),
        "max_bytes": (int, 10_000_000, "rotate the log file at this size"),
        "backups": (int, 5, "old log files kept"),
        "level": (str, "WARNING", "least severe record logged besides the request lines"),
    },
    "hub": {
        "url": (str, "", "the hub's base URL; empty = no hub (events queue up)"),
        "token": (str, "", "this store's hub token (also authenticates the hub's pull calls)"),
        "push_interval": (float, 2.0, "seconds between outbox pushes when idle"),
        "batch_events": (int, 500, "most events in one push"),
        "batch_bytes": (int, 1_000_000, "most bytes in one push"),
        "timeout": (float, 10.0, "seconds before a hub request is abandoned and retried"),
        "feed_interval": (float, 30.0, "seconds between feed pulls"),
    },
    "stock": {
        "allow_negative": (bool, True, "sell below zero on-hand (reported); false = refuse"),
        "writeoff_reasons": (list, ["damaged", "expired", "theft", "internal_use"],
                             "reasons a write-off may give (the back-office screen lists them)"),
    },
    "security": {
        "pin_attempts": (int, 5, "wrong PINs in a row before a cashier is locked out"),
        "lockout_minutes": (int, 15, "how long a lockout lasts"),
        "session_idle_minutes": (int, 720, "server-side session expiry after inactivity"),
    },
    "sales": {
        "cashier_discount_limit": (int, 10, "most a cashier may take off a line by hand "
                                            "(percent of its catalog amount); more, and any "
                                            "price override, needs a manager's approval"),
    },
    "returns": {
        "foreign_offline": (str, "refuse", "a return of another store's sale while the hub is "
                                           "out of reach: refuse, or approve (a manager "
                                           "approves; the hub reports any double return)"),
        "hub_timeout": (float, 3.0, "seconds to wait for the hub's answer about another "
                                    "store's sale"),
    },
    "shifts": {
        "cash_out_needs_manager": (bool, True, "taking cash out of the drawer needs a manager's "
                                               "approval (PIN and login)"),
    },
    "ui": {
        "language": (str, "ru", "cashier screen language: ru or en"),
        "idle_lock_seconds": (int, 300, "lock the cashier screen after this long idle; 0 = never"),
        "touch_keyboard": (bool, False, "an on-screen letter keyboard (ru/en) in the product search, for touch-only tills"),
        "demo": (bool, False, "show the demo's cashiers and barcodes on the sign-in screen (set by store-agent demo)"),
    },
    "quick_keys": {
        "skus": (list, [], "SKUs of the quick-key grid on the sale screen, in order (weighed ones read the scale)"),
    },
    "devices": {
        "printer": (str, "", "receipt printer URL, e.g. escpos+tcp://127.0.0.1:9100"),
        "drawer": (str, "", "cash drawer: 'printer:' kicks it through the printer"),
        "display": (str, "", "customer display, a pyserial URL"),
        "scale": (str, "", "scale, a pyserial URL"),
        "fiscal": (str, "", "fiscal register URL, e.g. shtrih+serial:///dev/ttyS0?baudrate=115200"),
        "printer_columns": (int, 0, "receipt width in characters; 0 = from the printer URL/profile"),
        "print_retry_max": (float, 30.0, "longest pause (s) between retries of a failed print job"),
        "drawer_timeout": (float, 5.0, "a drawer kick not delivered within this many seconds is dropped, never fired later"),
    },
    "loyalty": {
        "enabled": (bool, True, "loyalty by phone"),
        "default_region": (str, "RU", "region for phones written without a country code"),
        "welcome_bonus": (int, 0, "bonus (kopecks) granted when a customer is created"),
        "accrual_percent": (int, 5, "percent of the money paid that is earned as bonus"),
        "redeem_cap_percent": (int, 30, "most of a receipt (percent) payable by bonus"),
        "excluded_skus": (list, [], "SKUs that neither earn nor may be paid by bonus"),
        "expiry_days": (int, 0, "bonuses expire after this many days; 0 = never"),
        "max_offline_age": (int, 86400, "seconds a hub-confirmed balance may be used offline"),
        "offline_redeem_cap": (int, 100000, "most bonus (kopecks) redeemable in one sale offline"),
        "authorize_timeout": (float, 2.0, "seconds to wait for the hub's redemption approval"),
        "store_adjustments": (bool, False, "managers may adjust balances here (else only at the hub)"),
    },
    "orders": {
        "collect_hours": (int, 48, "hours a pick-up order may wait ready before it is overdue "
                                   "(someone calls the customer)"),
        "reserved_stock": (str, "warn", "selling goods reserved for pick-up orders to a walk-in "
                                        "customer: warn or refuse"),
    },
    "catalog": {
        "price_type": (str, "", "CommerceML price type id or name used as the retail price"),
        "warehouses": (list, [], "CommerceML warehouse ids whose stock is this store's"),
        "weighed_template": (str, "2PPPPPWWWWWC", "in-store EAN-13 template: P code, W grams, $ kopecks"),
        "weighed_prefixes": (str, "20-29", "EAN-13 prefixes read as in-store weighed barcodes"),
    },
}


# section -> key -> (lowest, highest) for numbers: a value outside is refused at start-up,
# never silently used (an accrual of 500 % would hand out money).
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("server", "threads"): (1, 256),
    ("log", "max_bytes"): (10_000, 10_000_000_000), ("log", "backups"): (0, 1000),
    ("hub", "push_interval"): (0.05, 3600), ("hub", "batch_events"): (1, 100_000),
    ("hub", "batch_bytes"): (1_000, 100_000_000), ("hub", "timeout"): (0.1, 600),
    ("hub", "feed_interval"): (0.05, 86_400),
    ("security", "pin_attempts"): (1, 100), ("security", "lockout_minutes"): (0, 10_080),
    ("security", "session_idle_minutes"): (1, 525_600),
    ("ui", "idle_lock_seconds"): (0, 86_400),
    ("sales", "cashier_discount_limit"): (0, 100),
    ("returns", "hub_timeout"): (0.1, 60),
    ("devices", "print_retry_max"): (0.01, 3600),
    ("devices", "drawer_timeout"): (0.1, 600),
    ("loyalty", "welcome_bonus"): (0, 100_000_000), ("loyalty", "accrual_percent"): (0, 100),
    ("loyalty", "redeem_cap_percent"): (0, 100), ("loyalty", "expiry_days"): (0, 36_500),
    ("loyalty", "max_offline_age"): (0, 31_536_000),
    ("loyalty", "offline_redeem_cap"): (0, 100_000_000),
    ("loyalty", "authorize_timeout"): (0.1, 60),
    ("orders", "collect_hours"): (1, 8_760),
}


@dataclass
class Config:
    data_dir: Path
    values: dict = field(default_factory=dict)

    def get(self, section: str, key: str):
        return self.values[section][key]

    @property
    def store_id(self) -> str:
        return self.values["store"]["id"]

    @property
    def tz(self):
        from zoneinfo import ZoneInfo
        return ZoneInfo(self.values["store"]["timezone"])

    @property
    def db_path(self) -> Path:
        return self.data_dir / "store.db"

    def section(self, name: str) -> dict:
        return self.values[name]


def defaults() -> dict:
    return {s: {k: (list(d) if isinstance(d, list) else d) for k, (_, d, _) in keys.items()}
            for s, keys in SCHEMA.items()}


def _check(section: str, key: str, value):
    typ = SCHEMA[section][key][0]
    ok = isinstance(value, typ) and not (typ is int and isinstance(value, bool))
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise Invalid(f"config.toml: [{section}] {key} must be {typ.__name__}, got {value!r}",
                      field=f"{section}.{key}")
    low, high = RANGES.get((section, key), (None, None))
    if low is not None and not low <= value <= high:
        raise Invalid(f"config.toml: [{section}] {key} must be from {low:g} to {high:g}, "
                      f"got {value!r}", field=f"{section}.{key}")
    return value


def validate(raw: dict) -> dict:
    values = defaults()
    for section, keys in raw.items():
        if section not in SCHEMA or not isinstance(keys, dict):
            raise Invalid(f"config.toml: unknown section [{section}]", field=section)
        for key, value in keys.items():
            if key not in SCHEMA[section]:
                raise Invalid(f"config.toml: unknown key [{section}] {key}", field=f"{section}.{key}")
            values[section][key] = _check(section, key, value)
    if not values["store"]["id"]:
        raise Invalid("config.toml: [store] id is required", field="store.id")
    if values["ui"]["language"] not in ("ru", "en"):
        raise Invalid("config.toml: [ui] language must be ru or en", field="ui.language")
    if values["returns"]["foreign_offline"] not in ("refuse", "approve"):
        raise Invalid("config.toml: [returns] foreign_offline must be refuse or approve",
                      field="returns.foreign_offline")
    if values["orders"]["reserved_stock"] not in ("warn", "refuse"):
        raise Invalid("config.toml: [orders] reserved_stock must be warn or refuse",
                      field="orders.reserved_stock")
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(values["store"]["timezone"])
    except Exception:
        raise Invalid(f"config.toml: [store] timezone {values['store']['timezone']!r} is not a "
                      "time zone (e.g. Europe/Moscow)", field="store.timezone") from None
    from .weighed import parse_prefixes, parse_template  # one message per wrong key, at start
    parse_template(values["catalog"]["weighed_template"])
    parse_prefixes(values["catalog"]["weighed_prefixes"])
    if values["devices"]["printer_columns"] not in (0, 32, 42, 48):
        raise Invalid("config.toml: [devices] printer_columns must be 0, 32, 42 or 48",
                      field="devices.printer_columns")
    reasons = values["stock"]["writeoff_reasons"]
    if not reasons or not all(isinstance(r, str) and 0 < len(r) <= 40 for r in reasons):
        raise Invalid("config.toml: [stock] writeoff_reasons must be a non-empty list of short "
                      "texts", field="stock.writeoff_reasons")
    keys = values["quick_keys"]["skus"]
    if len(keys) > 48 or not all(isinstance(k, str) and 0 < len(k.strip()) <= 64 for k in keys):
        raise Invalid("config.toml: [quick_keys] skus must be a list of at most 48 SKUs",
                      field="quick_keys.skus")
    if not 1 <= values["server"]["port"] <= 65535:
        raise Invalid("config.toml: [server] port must be 1..65535", field="server.port")
    return values


def load(data_dir: str | os.PathLike) -> Config:
    data_dir = Path(data_dir)
    path = data_dir / "config.toml"
    if not path.exists():
        raise Invalid(f"{path} not found: run `store-agent init --data-dir {data_dir} --store-id ID` first",
                      field="data_dir")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise Invalid(f"{path}: not valid TOML ({e})", field="config") from None
    values = validate(raw)
    if os.environ.get("STORE_AGENT_HUB_URL"):
        values["hub"]["url"] = os.environ["STORE_AGENT_HUB_URL"]
    if os.environ.get("STORE_AGENT_HUB_TOKEN"):
        values["hub"]["token"] = os.environ["STORE_AGENT_HUB_TOKEN"]
    return Config(data_dir=data_dir, values=values)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def render(values: dict) -> str:
    """Write every key with its default and meaning, so the file documents itself."""
    out = ["# store-agent configuration. Every key is described in the README.",
           "# A change takes effect on the next `store-agent serve`.", ""]
    for section, keys in SCHEMA.items():
        out.append(f"[{section}]")
        for key, (_, _, meaning) in keys.items():
            out.append(f"{key} = {_toml_value(values[section][key])}  # {meaning}")
        out.append("")
    return "\n".join(out)


def write_new(data_dir: Path, overrides: dict) -> Config:
    values = defaults()
    for section, keys in overrides.items():
        for key, value in keys.items():
            values[section][key] = value
    values = validate(values)
    (data_dir / "config.toml").write_text(render(values), encoding="utf-8")
    return Config(data_dir=data_dir, values=values)
