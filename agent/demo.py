"""``store-agent demo``: a whole store on embedded defaults, with nothing to configure.

A demo catalog with Russian product names and three demo cashiers; the running demo (a
temporary data dir, the embedded hub, the emulated devices) is put together by the store
process's composition root, ``pos_ui.demo_parts.run_demo``.
"""

from __future__ import annotations

import io
import socket
from pathlib import Path

DEMO_CATALOG = """sku,name,barcodes,price,unit,vat,stock
MILK-32,Молоко 3.2% 1 л,4607001234562,89.90,pcs,10,120
BREAD-BOR,Хлеб Бородинский 400 г,4607001234579,54.50,pcs,10,40
KEFIR-1,Кефир 1% 900 г,4607001234586,79.00,pcs,10,60
CHEESE-RU,Сыр Российский весовой,2000001000007,899.00,kg,10,15.500
APPLE-GALA,Яблоки Гала,2000002000006,149.90,kg,10,80
COFFEE-250,Кофе молотый «Арабика» 250 г,4607001234593,459.00,pcs,20,25
TEA-100,Чай чёрный «Цейлон» 100 пак.,4607001234609,329.00,pcs,20,30
CHOC-90,Шоколад горький 70% 90 г,4607001234616,119.99,pcs,20,100
WATER-15,Вода питьевая 1.5 л,4607001234623|4607001234630,45.00,pcs,20,200
SOAP-LQ,Мыло жидкое «Алоэ» 300 мл,4607001234647,139.00,pcs,20,35
RING-585-17,Кольцо золотое 585 размер 17,4607001234654,18990.00,pcs,20,2
BAG-T,Пакет-майка,4607001234661,5.00,pcs,20,1000
"""

DEMO_QUICK_KEYS = ["BREAD-BOR", "BAG-T", "APPLE-GALA", "CHEESE-RU", "WATER-15"]

DEMO_CASHIERS = [
    ("anna", "Анна Иванова", "cashier", "1111"),
    ("boris", "Борис Петров", "senior", "2222"),
    ("maria", "Мария Сидорова", "manager", "9999"),
]


def scans() -> list[dict]:
    """What to scan in the demo: each demo product's first barcode, its name and unit (a
    ``kg`` product asks for its weight, read from the emulated scale)."""
    import csv
    rows = csv.DictReader(io.StringIO(DEMO_CATALOG))
    return [{"barcode": r["barcodes"].split("|")[0], "name": r["name"], "sku": r["sku"],
             "unit": r["unit"], "price": r["price"]} for r in rows]


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port")


def prepare(data_dir: Path, store_id: str = "DEMO-1", extra_config: dict | None = None):
    from . import cashiers
    from .config import write_new
    from .csv_import import import_csv
    from .store import Store

    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "config.toml").exists():
        values = {"store": {"id": store_id, "name": "Демо-магазин «У дома»",
                            "address": "Москва, ул. Примерная, 1", "inn": "7700000000"},
                  "ui": {"demo": True}, "quick_keys": {"skus": DEMO_QUICK_KEYS}}
        for section, keys in (extra_config or {}).items():
            values.setdefault(section, {}).update(keys)
        write_new(data_dir, values)
    store = Store.open(data_dir)
    from .models import Cashier
    if not Cashier.select().exists():
        import_csv(store, io.StringIO(DEMO_CATALOG))
        for login, name, role, pin in DEMO_CASHIERS:
            cashiers.add(store, login, name, role, pin)
    return store
