"""A newcomer knows what to scan: ``store-agent demo`` prints the barcodes, its sign-in
screen shows them, and a product search answers each product's barcode (never null)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import requests

from agent.demo import scans


def test_the_demo_prints_the_barcodes_shows_them_and_search_answers_them(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "pos_ui.cli", "demo", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out = []
    try:
        for line in proc.stdout:
            out.append(line)
            if "Ctrl+C" in line:
                break
        text = "".join(out)
        url = re.search(r"POS screen:\s+(\S+)", text).group(1).rstrip("/")
        for item in scans():
            assert re.search(rf"^\s+{item['barcode']}\s+{re.escape(item['name'])}", text, re.M), text
        assert "2000001000007  Сыр Российский весовой  (weighed" in text
        page = requests.get(url + "/", timeout=30).text
        assert 'id="demo-scans"' in page and 'data-barcode="4607001234562"' in page
        assert "<code>maria</code></td><td><code>9999</code>" in page
        token = requests.post(url + "/api/v1/session", json={"login": "anna", "pin": "1111"},
                              timeout=30).json()["token"]
        found = requests.get(url + "/api/v1/products", params={"q": "вода"}, timeout=30,
                             headers={"Authorization": f"Bearer {token}"}).json()["items"]
        assert [(p["sku"], p["barcode"]) for p in found] == [("WATER-15", "4607001234623")]
        grid = requests.get(url + "/api/v1/quick-keys", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}).json()
        assert [p["sku"] for p in grid["items"]][:3] == ["BREAD-BOR", "BAG-T", "APPLE-GALA"]
        assert grid["missing"] == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


def test_search_answers_the_first_barcode_and_a_plain_store_shows_no_demo_help(cashier, anon):
    items = cashier.get("/api/v1/products?q=").get_json()["items"]
    assert all(p["barcode"] for p in items)
    water = next(p for p in items if p["sku"] == "WATER")
    assert water["barcode"] == "4607001234623"  # the first of its two
    assert 'id="demo-help"' not in anon.client.get("/").get_data(as_text=True)


def test_the_readme_lists_every_demo_barcode():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The demo: what to scan", 1)[1].split("\n#", 1)[0]
    for item in scans():
        assert f"| `{item['barcode']}` | {item['name']} |" in section
