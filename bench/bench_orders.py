"""Availability lag: from a sale at the till to ``available`` at the hub for the website.

A real ``store-agent serve`` pushes to a real ``store-hub serve`` (SQLite); the site polls
``GET /hub/v1/availability?sku=`` with a channel token.  For each sale: the time from
sending the sale to the till until the hub answers the lower ``available``.  The floor in
the same run is the till's own answer to the sale (what the cashier waits for), so the
ratio says how much the website lags behind the till.

    python -m bench.bench_orders            # 100 sales
    python -m bench.bench_orders --quick    # 10 sales
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bench.bench_sync import ADMIN, hub_cli, hub_server, stop
from bench.common import ServedAgent, free_port, machine, make_data_dir, ms, pct, save

CATALOG = "sku,name,barcodes,price,unit,vat,stock\n" + "".join(
    f"RING{i},Кольцо {i},,1000.00,pcs,20,5000\n" for i in range(10))


def run(n: int, work: Path) -> dict:
    from agent.csv_import import import_csv
    from agent.store import Store
    db = f"sqlite:///{work / 'hub.db'}"
    hub_cli("init", "--admin-token", ADMIN, db=db)
    token, site = "bench-store-" + uuid.uuid4().hex, "bench-site-" + uuid.uuid4().hex
    hub_cli("add-store", "BENCH", "--token", token, db=db)
    hub_cli("add-channel", "site", "--token", site, db=db)
    hub, hub_url = hub_server(db, 8)
    data = make_data_dir(work / "store", "BENCH", hub={"url": hub_url, "token": token})
    store = Store.open(data)
    import_csv(store, io.StringIO(CATALOG))
    store.close()
    agent = ServedAgent(data, free_port())
    agent.start()
    web = requests.Session()
    web.headers["Authorization"] = "Bearer " + site
    till = agent.session()
    lags, floors = [], []
    try:
        till.post(agent.url + "/api/v1/shifts/open", json={"opening_cash": 0}).raise_for_status()

        def available(sku):
            stores = web.get(f"{hub_url}/hub/v1/availability", params={"sku": sku},
                             timeout=10).json()["stores"]
            return stores[0]["available"] if stores else None

        deadline = time.monotonic() + 60
        while available("RING9") != "5000.000":  # the catalog's stock reached the hub
            assert time.monotonic() < deadline, "the store's stock never reached the hub"
            time.sleep(0.05)
        for i in range(n):
            sku = f"RING{i % 10}"
            before = available(sku)
            want = f"{int(before.split('.')[0]) - 1}.000"
            t0 = time.perf_counter()
            r = till.post(agent.url + "/api/v1/sales", json={
                "client_ref": uuid.uuid4().hex, "lines": [{"sku": sku, "qty": 1}],
                "payments": [{"method": "card", "amount": 100000}]})
            t1 = time.perf_counter()
            assert r.status_code == 201, r.text
            while available(sku) != want:
                assert time.perf_counter() - t0 < 60, "the sale never reached the hub"
                time.sleep(0.002)
            lags.append(time.perf_counter() - t0)
            floors.append(t1 - t0)
    finally:
        agent.stop()
        stop(hub)
    return {"sales": n, "lag_p50_ms": round(pct(lags, 50) * 1000, 1),
            "lag_p95_ms": round(pct(lags, 95) * 1000, 1),
            "till_p50_ms": round(pct(floors, 50) * 1000, 1),
            "lag_vs_till": round(pct(lags, 50) / pct(floors, 50), 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n = 10 if args.quick else 100
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-orders-") as tmp:
        f = run(n, Path(tmp))
    save("bench_orders", f)
    print(f"availability lag over {f['sales']} sales: p50 {ms(f['lag_p50_ms'] / 1000)}, "
          f"p95 {ms(f['lag_p95_ms'] / 1000)}")
    print(f"  floor the till's answer to the sale: p50 {ms(f['till_p50_ms'] / 1000)} -> "
          f"lag = {f['lag_vs_till']} x the floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
