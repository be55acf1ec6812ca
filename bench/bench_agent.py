"""Agent memory (RSS) idle and after N sales, and the start-up time of `store-agent serve`.

    python -m bench.bench_agent            # 10,000 sales
    python -m bench.bench_agent --quick    # 300 sales
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.bench_api import fill_catalog
from bench.common import ServedAgent, free_port, make_data_dir, save


def bare_python_start() -> float:
    """The floor for start-up: a bare interpreter importing nothing of ours."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    sales = 300 if args.quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        data = make_data_dir(Path(tmp) / "s")
        fill_catalog(data, 10_000)
        floor = min(bare_python_start() for _ in range(3))
        agent = ServedAgent(data, free_port())
        start = agent.start()
        try:
            time.sleep(1.0)
            idle = agent.rss_mb()
            s = agent.session()
            s.post(agent.url + "/api/v1/shifts/open", json={"opening_cash": 0})
            for i in range(sales):
                lines = [{"sku": f"SKU{(i * 7 + k) % 10_000:07d}", "qty": 1} for k in range(3)]
                q = s.post(agent.url + "/api/v1/sales/quote", json={"lines": lines}).json()
                r = s.post(agent.url + "/api/v1/sales", json={
                    "client_ref": uuid.uuid4().hex, "lines": lines,
                    "payments": [{"method": "cash", "amount": q["total"] + 5000}]})
                assert r.status_code == 201, r.text
            after = agent.rss_mb()
        finally:
            agent.stop()
        restarted = ServedAgent(data, free_port())
        start_full = restarted.start()  # start-up with a day of sales and 10k products on disk
        restarted.stop()
    print(f"agent RSS idle {idle:.1f} MB, after {sales} sales {after:.1f} MB; start-up "
          f"{start:.2f} s (with {sales} sales on disk {start_full:.2f} s) vs a bare Python "
          f"start {floor:.3f} s")
    figures = {"rss_idle_mb": idle, "rss_after_mb": after, "sales": sales, "start_s": start,
               "start_with_data_s": start_full, "bare_python_start_s": floor}
    save("agent", figures)
    return figures


if __name__ == "__main__":
    main()
