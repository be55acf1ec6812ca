"""The hub checks of ``store-agent doctor``: reachable, this store's token accepted, the
clocks agree (a signature more than 300 s off is refused), and how far the hub is."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import requests

from agent.doctor import FAIL, OK, WARN, Check

from .client import HubClient
from .errors import HubRefused, HubUnavailable

SKEW_WARN, SKEW_FAIL = 30, 240


def hub_checks(config, local_last_seq: int, timeout: float = 5.0) -> list[Check]:
    hub = config.section("hub")
    if not (hub["url"] and hub["token"]):
        return [Check("hub", WARN, "no hub configured: events queue up here",
                      "set [hub] url and token in config.toml")]
    out = []
    try:
        before = time.time()
        r = requests.get(hub["url"].rstrip("/") + "/healthz", timeout=timeout)
        after = time.time()
    except requests.RequestException as e:
        return [Check("hub", FAIL, f"{hub['url']} unreachable ({type(e).__name__})",
                      "check the network and the hub's address")]
    out.append(Check("hub", OK if r.ok else FAIL, f"{hub['url']} answers HTTP {r.status_code}"))
    date = r.headers.get("Date")
    if date:
        skew = (before + after) / 2 - parsedate_to_datetime(date).timestamp()
        verdict = FAIL if abs(skew) > SKEW_FAIL else WARN if abs(skew) > SKEW_WARN else OK
        out.append(Check("clock", verdict, f"{skew:+.0f} s against the hub",
                         "" if verdict == OK else "set the time (timedatectl set-ntp true): "
                         "the hub refuses signatures more than 300 s off"))
    client = HubClient(hub["url"], hub["token"], config.store_id, timeout=timeout)
    try:
        held = client.own_events(local_last_seq, 1)
    except HubRefused as e:
        out.append(Check("hub token", FAIL, e.message,
                         "check [hub] token and that the store is registered at the hub"))
        return out
    except HubUnavailable as e:
        out.append(Check("hub token", FAIL, e.message, "try again; check the hub's logs"))
        return out
    out.append(Check("hub token", OK, "accepted"))
    hub_acked, local = held["acked_through"], local_last_seq
    if hub_acked > local:
        out.append(Check("hub copy", WARN, f"the hub holds {hub_acked} events, this store {local}",
                         "a database from a backup: `store-agent restore` marks it, then it "
                         "catches up"))
    return out
