"""Shared bench helpers: a store with N products, a served agent, timing and reporting.

Every figure is printed next to a floor measured in the same run on the same machine, so a
shared, noisy machine shifts both and the ratio stays meaningful.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def ean13(n: int) -> str:
    from agent.barcodes import check_digit
    body = f"46{n:010d}"
    return body + str(check_digit(body))


def catalog_rows(n: int, barcodes_per: int = 2):
    """Deterministic products: (sku, name, [barcodes], price kopecks, unit, vat)."""
    words = ["Молоко", "Кефир", "Сыр", "Хлеб", "Кофе", "Чай", "Шоколад", "Вода", "Кольцо",
             "Серьги", "Мыло", "Сок", "Масло", "Йогурт", "Творог", "Печенье"]
    rng = random.Random(42)
    for i in range(n):
        name = f"{words[i % len(words)]} {rng.choice(['классический', 'отборный', 'детский', 'золотой', 'фермерский'])} {i}"
        codes = [ean13(i * barcodes_per + k) for k in range(barcodes_per)]
        yield (f"SKU{i:07d}", name, codes, 1000 + (i * 37) % 500000, "pcs", "20")


def write_csv(path: Path, n: int, barcodes_per: int = 2) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        f.write("sku,name,barcodes,price,unit,vat,stock\n")
        for sku, name, codes, price, unit, vat in catalog_rows(n, barcodes_per):
            f.write(f"{sku},{name},{'|'.join(codes)},{price // 100}.{price % 100:02d},{unit},{vat},10\n")
    return path


def make_data_dir(path: Path, store_id: str = "BENCH", **config) -> Path:
    from agent import cashiers
    from agent.config import write_new
    from agent.store import Store
    path.mkdir(parents=True, exist_ok=True)
    values = {"store": {"id": store_id}, "server": {"threads": 8}}
    for k, v in config.items():
        values.setdefault(k, {}).update(v)
    write_new(path, values)
    store = Store.open(path)
    cashiers.add(store, "bench", "Bench", "manager", "1234")
    store.close()
    return path


class ServedAgent:
    """`store-agent serve` in its own process, as in a store."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> float:
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "pos_ui.cli", "serve", "--data-dir",
                                      str(self.data_dir), "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=0.5).ok:
                    return time.perf_counter() - t0
            except requests.RequestException:
                if self.proc.poll() is not None:
                    raise RuntimeError("agent exited") from None
                time.sleep(0.01)

    def session(self) -> requests.Session:
        s = requests.Session()
        r = s.post(self.url + "/api/v1/session", json={"login": "bench", "pin": "1234"})
        s.headers["Authorization"] = "Bearer " + r.json()["token"]
        return s

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_sqlite_tx_rate(path: Path, seconds: float = 1.0) -> float:
    """The physical floor: small write transactions per second with synchronous=FULL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (a, b) VALUES (?, ?)", (n, "x" * 200))
        conn.execute("INSERT INTO t (a, b) VALUES (?, ?)", (n, "y" * 200))
        conn.execute("COMMIT")
        n += 1
    rate = n / (time.perf_counter() - t0)
    conn.close()
    return rate


def save(name: str, figures: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures = {"bench": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": machine(), **figures}
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}"
