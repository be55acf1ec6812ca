"""The console's pick-up orders on a real hub: orders in every status, overdue ones listed
first and counted per store, the customer's phone masked, text from the site escaped, the
stock page's availability the same numbers as the site's API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import requests

from .test_hub_fleet import ev, push

PHONE = "+79161234567"
HOSTILE_SKU = "<img src=x onerror=alert(1)>"
HOSTILE_REASON = "<script>alert('reason')</script>"
# order id -> store, statuses the store reports, hours since it was ready
ORDERS = {
    "O-NEW": ("S1", (), None),
    "O-ACCEPTED": ("S1", ("accepted",), None),
    "O-FRESH": ("S1", ("accepted", "assembled", "ready"), 1),
    "O-LATE": ("S2", ("accepted", "assembled", "ready"), 50),
    "O-LATEST": ("S2", ("accepted", "assembled", "ready"), 80),
    "O-DONE": ("S1", ("accepted", "assembled", "ready", "collected"), 3),
    "O-HOSTILE": ("S1", ("accepted",), None),
}


def _ago(hours: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def _line(order_id):
    return {"sku": HOSTILE_SKU if order_id == "O-HOSTILE" else "COFFEE", "qty": "2.000",
            "price": 45900}


def seed_orders(hub, stores: dict | None = None) -> dict:
    """Two stores with stock, a site channel and the orders above as the stores reported
    them (their ``ready_at`` in the past makes two of them overdue at 48 h); O-HOSTILE is
    cancelled by the site with a hostile reason.  ``stores`` maps "S1"/"S2" to already
    registered stores as ``(store_id, token, last seq pushed)``; by default two new stores
    S1 and S2 are registered."""
    if stores is None:
        stores = {sid: (sid, hub.add_store(sid), 0) for sid in ("S1", "S2")}
    site = {"Authorization": f"Bearer {hub.add_channel('site')}"}
    seq = {alias: last for alias, (_, _, last) in stores.items()}
    events: dict[str, list] = {alias: [] for alias in stores}

    def add(alias, etype, payload):
        seq[alias] += 1
        events[alias].append(ev(stores[alias][0], seq[alias], etype, payload, _ago(0)))
    for alias in stores:
        add(alias, "stock.moved", {"kind": "receipt", "lines": [
            {"sku": "COFFEE", "qty": "20.000"}, {"sku": HOSTILE_SKU, "qty": "3.000"}]})
    for oid, (alias, statuses, ready_hours) in ORDERS.items():
        r = requests.post(hub.url + "/hub/v1/orders", headers=site, timeout=30, json={
            "order_id": oid, "store_id": stores[alias][0], "customer_phone": PHONE,
            "lines": [_line(oid)], "prepaid": 45900 if oid == "O-LATE" else 0})
        assert r.status_code == 201, r.text
        for st in statuses:
            more = {"ready_at": _ago(ready_hours)} if st in ("ready", "collected") else {}
            add(alias, "order.status", {"order_id": oid, "status": st, "prepaid": 0,
                                        "bonus_redeemed": 0, "total": 91800,
                                        "customer_phone": PHONE, "lines": [_line(oid)],
                                        "at": _ago(ready_hours or 0), **more})
    for alias, (sid, tok, _) in stores.items():
        assert push(hub, tok, sid, events[alias], head=seq[alias]) == seq[alias]
    r = requests.post(hub.url + "/hub/v1/orders/O-HOSTILE/cancel", headers=site, timeout=30,
                      json={"reason": HOSTILE_REASON})
    assert r.status_code == 200, r.text
    return seq


def console(hub) -> requests.Session:
    s = requests.Session()
    assert s.post(hub.url + "/login", data={"token": hub.admin_token}, timeout=30).ok
    s.cookies.set("console_lang", "en")
    return s


def rows(page: str) -> list[tuple[str, str, str]]:
    return re.findall(r'data-order="([^"]+)" data-status="([^"]+)" data-overdue="([^"]+)"',
                      page)


@pytest.fixture
def seeded(any_hub):
    """On SQLite and on PostgreSQL (the console's queries are plain SQL over both)."""
    seed_orders(any_hub)
    return any_hub


def test_orders_page_overdue_first_masked_phone_escaped(seeded):
    s = console(seeded)
    r = s.get(seeded.url + "/console/orders", timeout=30)
    assert r.status_code == 200 and "script-src 'self'" in r.headers["Content-Security-Policy"]
    listed = rows(r.text)
    # overdue first, the longest waiting first; then the open ones by stage; then the rest
    assert listed[:2] == [("O-LATEST", "ready", "yes"), ("O-LATE", "ready", "yes")]
    assert [o for o, _, late in listed[2:] if late == "yes"] == []
    assert [o for o, _, _ in listed[2:]] == ["O-NEW", "O-ACCEPTED", "O-FRESH", "O-DONE",
                                             "O-HOSTILE"]
    assert dict((o, st) for o, st, _ in listed)["O-HOSTILE"] == "cancelled"
    assert 'class="overdue"' in r.text and "overdue: 2</span>" in r.text
    # personal data: only the last four digits
    assert "•••4567" in r.text
    for part in (PHONE, "9161234567", "916123", "1234567"):
        assert part not in r.text
    # the site's text is shown as text, never as markup
    assert HOSTILE_SKU not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text


def test_orders_filters_by_store_and_status(seeded):
    s = console(seeded)
    s2 = rows(s.get(seeded.url + "/console/orders?store_id=S2", timeout=30).text)
    assert [o for o, _, _ in s2] == ["O-LATEST", "O-LATE"]
    ready = rows(s.get(seeded.url + "/console/orders?status=ready", timeout=30).text)
    assert [o for o, _, _ in ready] == ["O-LATEST", "O-LATE", "O-FRESH"]
    both = rows(s.get(seeded.url + "/console/orders?store_id=S1&status=new", timeout=30).text)
    assert [o for o, _, _ in both] == ["O-NEW"]
    bad = s.get(seeded.url + "/console/orders?status=<b>", timeout=30)  # ignored, not shown
    assert bad.status_code == 200 and "<b>" not in bad.text and len(rows(bad.text)) == 7
    assert s.get(seeded.url + "/console/orders?page=2", timeout=30).status_code == 400


def test_an_orders_page_with_its_history(seeded):
    s = console(seeded)
    page = s.get(seeded.url + "/console/orders/O-HOSTILE", timeout=30).text
    history = re.findall(r"<tr><td>[^<]+</td><td>([a-z]+)</td>", page.split(
        'id="order-history"')[1])
    assert history == ["new", "accepted", "cancelled"]
    assert HOSTILE_REASON not in page and "&lt;script&gt;" in page
    assert HOSTILE_SKU not in page and "•••4567" in page and PHONE not in page
    late = s.get(seeded.url + "/console/orders/O-LATE", timeout=30).text
    assert 'class="status dead">overdue' in late and "459.00" in late  # prepaid
    r = s.get(seeded.url + "/console/orders/NOPE", timeout=30)
    assert r.status_code == 404 and "Order NOPE" in r.text


def test_stores_and_store_pages_count_and_list_the_overdue(seeded):
    s = console(seeded)
    stores = s.get(seeded.url + "/", timeout=30).text
    cells = dict(re.findall(r'data-store="(S\d)".*?<td class="overdue-count">(.*?)</td>',
                            stores, re.S))
    assert ">2</a>" in cells["S2"] and "/console/orders?store_id=S2" in cells["S2"]
    assert cells["S1"].startswith("0 / ")  # none overdue, three open
    assert ">3</a>" in cells["S1"]
    store = s.get(seeded.url + "/console/stores/S1", timeout=30).text
    assert [o for o, _, _ in rows(store)] == ["O-NEW", "O-ACCEPTED", "O-FRESH"]
    s2 = rows(s.get(seeded.url + "/console/stores/S2", timeout=30).text)
    assert [(o, late) for o, _, late in s2] == [("O-LATEST", "yes"), ("O-LATE", "yes")]


def test_stock_page_availability_is_the_sites(seeded):
    """The console's availability is the API's: same function, same numbers."""
    s = console(seeded)
    admin = {"Authorization": f"Bearer {seeded.admin_token}"}
    api = requests.get(seeded.url + "/hub/v1/availability?sku=COFFEE", headers=admin,
                       timeout=30).json()["stores"]
    # S1 holds O-ACCEPTED and O-FRESH (2 each); S2 holds O-LATE and O-LATEST
    assert [(a["store_id"], a["on_hand"], a["reserved"], a["available"]) for a in api] == [
        ("S1", "20.000", "4.000", "16.000"), ("S2", "20.000", "4.000", "16.000")]
    page = s.get(seeded.url + "/console/stock?sku=COFFEE", timeout=30).text
    shown = re.findall(r"<tr[^>]*><td>(S\d)</td><td><a[^>]*>COFFEE</a></td><td>([^<]+)</td>"
                       r"<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", page)
    assert shown == [(a["store_id"], a["on_hand"], a["reserved"], a["available"], a["as_of"])
                     for a in api]
    per_store = s.get(seeded.url + "/console/stock?store_id=S1", timeout=30).text
    assert "16.000" in per_store and "&lt;img src=x" in per_store
    assert HOSTILE_SKU not in per_store


def test_console_on_a_hub_upgraded_from_0_1_0(tmp_path):
    """0.1.0 had no orders tables: the upgrade makes them, every console page answers, and
    an order placed after the upgrade is listed."""
    import shutil

    from .hubkit import HubServer
    from .test_upgrade_release import FIXTURE
    old = tmp_path / "v0.1.0"
    shutil.copytree(FIXTURE, old)
    hub = HubServer(f"sqlite:///{old / 'hub.db'}", old)
    try:
        s = console(hub)
        for path in ("/", "/console/orders", "/console/orders?store_id=S1",
                     "/console/stores/S1", "/console/stock?store_id=S1", "/console/loyalty",
                     "/console/sales"):
            r = s.get(hub.url + path, timeout=30)
            assert r.status_code == 200, path
        assert rows(s.get(hub.url + "/console/orders", timeout=30).text) == []
        stock = s.get(hub.url + "/console/stock?store_id=S1", timeout=30).text
        assert re.search(r"<td>S1</td><td><a[^>]*>[^<]+</a></td>", stock)  # 0.1.0's stock
        status, _ = hub.admin("/hub/v1/orders", "POST", {
            "order_id": "U-1", "store_id": "S1", "customer_phone": PHONE,
            "lines": [{"sku": "COFFEE", "qty": "1", "price": 100}]})
        assert status == 201
        assert rows(s.get(hub.url + "/console/orders", timeout=30).text) == [
            ("U-1", "new", "no")]
    finally:
        hub.stop()
