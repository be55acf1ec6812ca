"""CommerceML import at chain scale: rows/s and peak memory against the floors of this run.

    python -m bench.bench_commerceml               # ~500 MB of import.xml + offers.xml
    python -m bench.bench_commerceml --quick       # ~5 MB
    python -m bench.bench_commerceml --mb 50

Generates a 1C-like exchange (nested groups, products with requisites and properties,
one in five with size/colour variants, EAN-13 barcodes, weighed goods with a ПЛУ, two price
types, three warehouses), imports it with ``store-agent import-catalog`` in a child process
(peak RSS from ``os.wait4``), and sets it against two floors measured in the same run:
reading the same files with the bare streaming parser, and a raw SQLite bulk insert
(``executemany``, one transaction, the same schema with its indexes and the full-text
index) of the very rows the import wrote.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
NS = 'xmlns="urn:1C.ru:commerceml_2" xmlns:xs="http://www.w3.org/2001/XMLSchema"'
WORDS = ["Кольцо", "Серьги", "Молоко", "Сыр", "Кофе", "Чай", "Шоколад", "Йогурт", "Ёлка",
         "Коврик", "Ботинки", "Футболка", "Пальто", "Колбаса", "Творог", "Мёд"]
ADJ = ["золотое", "серебряное", "классический", "детский", "фермерский", "отборный", "зимний"]
SIZES, COLOURS = ["16", "17", "18"], ["фианит", "изумруд", "рубин"]
PRICE_RETAIL, PRICE_WHOLESALE = "pt-retail-0001", "pt-wholesale-0002"
WAREHOUSES = ["wh-store-0001", "wh-central-0002", "wh-online-0003"]


def ean13(n: int, prefix: str = "46") -> str:
    from agent.barcodes import check_digit
    body = f"{prefix}{n:0{12 - len(prefix)}d}"
    return body + str(check_digit(body))


def _uid(kind: str, i: int) -> str:
    return f"{kind}{i:08x}-0000-4000-8000-{i:012x}"


def groups(n_top: int = 10, n_sub: int = 5) -> list[tuple[str, str, list]]:
    return [(_uid("a", t), f"Отдел {t}", [(_uid("b", t * 100 + s), f"Группа {t}.{s}")
                                           for s in range(n_sub)]) for t in range(n_top)]


def product(i: int, rng: random.Random) -> dict:
    weighed = i % 50 == 7
    leafs = groups()
    top = leafs[i % len(leafs)]
    return {"id": _uid("c", i), "sku": f"ART-{i:07d}", "weighed": weighed,
            "name": f"{WORDS[i % len(WORDS)]} {rng.choice(ADJ)} {i}",
            "group": top[2][i % len(top[2])][0], "barcode": ean13(i),
            "plu": 10000 + i if weighed else None, "variants": i % 5 == 0 and not weighed,
            "price": 1000 + (i * 37) % 500000}


def product_xml(p: dict) -> str:
    unit = ('<БазоваяЕдиница Код="166" НаименованиеПолное="Килограмм" МеждународноеСокращение="KGM">кг'
            if p["weighed"] else
            '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт')
    reqs = [("ВидНоменклатуры", "Товар"), ("ТипНоменклатуры", "Товар"),
            ("Полное наименование", p["name"])]
    if p["plu"]:
        reqs.append(("ПЛУ", str(p["plu"])))
    return (
        f"<Товар><Ид>{p['id']}</Ид><Штрихкод>{p['barcode']}</Штрихкод>"
        f"<Артикул>{p['sku']}</Артикул><Наименование>{escape(p['name'])}</Наименование>"
        f"{unit}</БазоваяЕдиница><Группы><Ид>{p['group']}</Ид></Группы><Описание/>"
        "<ЗначенияСвойств>"
        + "".join(f"<ЗначенияСвойства><Ид>{_uid('d', k)}</Ид><Значение>значение {k}</Значение>"
                  "</ЗначенияСвойства>" for k in range(3))
        + "</ЗначенияСвойств><СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование>"
        f"<Ставка>{'10' if p['weighed'] else '20'}</Ставка></СтавкаНалога></СтавкиНалогов>"
        "<ЗначенияРеквизитов>"
        + "".join(f"<ЗначениеРеквизита><Наименование>{k}</Наименование><Значение>{escape(v)}"
                  "</Значение></ЗначениеРеквизита>" for k, v in reqs)
        + "</ЗначенияРеквизитов></Товар>\n")


def _offer(oid: str, sku: str, name: str, price: int, qtys: list[int], extra: str = "") -> str:
    total = sum(qtys)
    return (
        f"<Предложение><Ид>{oid}</Ид><Артикул>{sku}</Артикул>"
        f"<Наименование>{escape(name)}</Наименование>{extra}<Цены>"
        f"<Цена><Представление>{price // 100} RUB</Представление><ИдТипаЦены>{PRICE_WHOLESALE}"
        f"</ИдТипаЦены><ЦенаЗаЕдиницу>{price * 8 // 1000}.{price * 8 // 10 % 100:02d}"
        "</ЦенаЗаЕдиницу><Валюта>RUB</Валюта><Коэффициент>1</Коэффициент></Цена>"
        f"<Цена><Представление>{price // 100} RUB</Представление><ИдТипаЦены>{PRICE_RETAIL}"
        f"</ИдТипаЦены><ЦенаЗаЕдиницу>{price // 100},{price % 100:02d}</ЦенаЗаЕдиницу>"
        "<Валюта>RUB</Валюта><Коэффициент>1</Коэффициент></Цена></Цены>"
        f"<Количество>{total}</Количество>"
        + "".join(f'<Склад ИдСклада="{w}" КоличествоНаСкладе="{q}"/>'
                  for w, q in zip(WAREHOUSES, qtys, strict=True))
        + "</Предложение>\n")


def offers_xml(p: dict, i: int) -> str:
    qtys = [i % 7, i % 11, i % 3]
    if not p["variants"]:
        return _offer(p["id"], p["sku"], p["name"], p["price"], qtys)
    out = []
    for k, (size, stone) in enumerate(zip(SIZES, COLOURS, strict=True)):
        chars = ("<ХарактеристикиТовара>"
                 f"<ХарактеристикаТовара><Наименование>Размер</Наименование><Значение>{size}"
                 "</Значение></ХарактеристикаТовара>"
                 f"<ХарактеристикаТовара><Наименование>Камень</Наименование><Значение>{stone}"
                 "</Значение></ХарактеристикаТовара></ХарактеристикиТовара>"
                 f"<Штрихкод>{ean13(i * 3 + k, '47')}</Штрихкод>")
        out.append(_offer(f"{p['id']}#{_uid('e', i * 3 + k)}", p["sku"],
                          f"{p['name']} ({size}, {stone})", p["price"] + k * 500,
                          [q + k for q in qtys], chars))
    return "".join(out)


def _head(kind: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация {NS} '
            f'ВерсияСхемы="2.07" ДатаФормирования="2026-01-01T00:00:00">\n'
            f"<!-- generated by bench_commerceml: {kind} -->\n")


def write_exchange(folder: Path, mb: float, seed: int = 42) -> dict:
    """import.xml + offers.xml of about ``mb`` megabytes together -> counts."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sample = sum(len(product_xml(product(i, rng)).encode()) +
                 len(offers_xml(product(i, rng), i).encode()) for i in range(200)) / 200
    n = max(10, int(mb * 1_000_000 / sample))
    catalog = "cat-0000-bench"
    rng = random.Random(seed)
    with open(folder / "import.xml", "w", encoding="utf-8") as f:
        f.write(_head("import") + f"<Классификатор><Ид>{catalog}</Ид><Наименование>Классификатор"
                "</Наименование><Группы>")
        for gid, name, subs in groups():
            f.write(f"<Группа><Ид>{gid}</Ид><Наименование>{name}</Наименование><Группы>"
                    + "".join(f"<Группа><Ид>{s}</Ид><Наименование>{sn}</Наименование></Группа>"
                              for s, sn in subs) + "</Группы></Группа>")
        f.write(f"</Группы></Классификатор>\n<Каталог СодержитТолькоИзменения=\"false\"><Ид>{catalog}"
                f"</Ид><ИдКлассификатора>{catalog}</ИдКлассификатора><Наименование>Каталог"
                "</Наименование><Товары>\n")
        for i in range(n):
            f.write(product_xml(product(i, rng)))
        f.write("</Товары></Каталог></КоммерческаяИнформация>\n")
    rng = random.Random(seed)
    offers = 0
    with open(folder / "offers.xml", "w", encoding="utf-8") as f:
        f.write(_head("offers") + f'<ПакетПредложений СодержитТолькоИзменения="false"><Ид>{catalog}#'
                f"</Ид><ИдКаталога>{catalog}</ИдКаталога><ТипыЦен>"
                f"<ТипЦены><Ид>{PRICE_WHOLESALE}</Ид><Наименование>Оптовая</Наименование></ТипЦены>"
                f"<ТипЦены><Ид>{PRICE_RETAIL}</Ид><Наименование>Розничная</Наименование></ТипЦены>"
                "</ТипыЦен><Склады>"
                + "".join(f"<Склад><Ид>{w}</Ид><Наименование>Склад {k}</Наименование></Склад>"
                          for k, w in enumerate(WAREHOUSES))
                + "</Склады><Предложения>\n")
        for i in range(n):
            p = product(i, rng)
            f.write(offers_xml(p, i))
            offers += 3 if p["variants"] else 1
        f.write("</Предложения></ПакетПредложений></КоммерческаяИнформация>\n")
    size = sum((folder / x).stat().st_size for x in ("import.xml", "offers.xml"))
    variants = sum(1 for i in range(n) if i % 5 == 0 and i % 50 != 7) * 3
    return {"products": n, "offers": offers, "variants": variants, "records": n + offers,
            "bytes": size}


def make_store(data_dir: Path, **catalog) -> None:
    from agent.config import write_new
    from agent.store import Store
    data_dir.mkdir(parents=True, exist_ok=True)
    write_new(data_dir, {"store": {"id": "BENCH"}, "catalog": {"price_type": "Розничная",
                                                               **catalog}})
    Store.open(data_dir).close()


# Linux carries a process's memory high-water mark over exec, and subprocess starts children
# with vfork, so a child's ru_maxrss is at least its parent's peak (a big test runner's, say).
# The import is therefore started by a small launcher process whose only child it is: the
# launcher's resource.getrusage(RUSAGE_CHILDREN).ru_maxrss is the importer's own peak.
_LAUNCHER = """
import json, resource, subprocess, sys, time
with open(sys.argv[1], "w") as out:
    t0 = time.perf_counter()
    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
print(json.dumps({"seconds": time.perf_counter() - t0, "rc": rc,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def import_in_child(data_dir: Path, folder: Path) -> dict:
    """``store-agent import-catalog`` in its own process -> wall time, peak RSS, exit code."""
    import json
    out = data_dir / "import.out"
    cmd = [sys.executable, "-m", "pos_ui.cli", "import-catalog", "--data-dir", str(data_dir),
           "--format", "commerceml", str(folder)]
    launched = subprocess.run([sys.executable, "-c", _LAUNCHER, str(out), *cmd], cwd=ROOT,
                              capture_output=True, text=True, check=True)
    result = json.loads(launched.stdout.strip().splitlines()[-1])
    return {"seconds": result["seconds"], "peak_rss_mb": result["maxrss_kb"] / 1024,
            "rc": result["rc"], "output": out.read_text(encoding="utf-8")}


def parse_only(folder: Path) -> tuple[float, int]:
    from agent.commerceml import parser
    t0, n = time.perf_counter(), 0
    for name in ("import.xml", "offers.xml"):
        for kind, _ in parser.read(str(folder / name)):
            n += kind in ("product", "offer")
    return time.perf_counter() - t0, n


def raw_bulk_insert(source_db: Path, path: Path) -> tuple[float, int]:
    """The floor: the rows the import wrote, inserted with executemany in one transaction
    into a fresh database of the same schema, indexes and search index included."""
    from agent import migrations
    src = sqlite3.connect(source_db)
    cols = ("id, sku, name, search_name, unit, vat, price, external_id, parent_sku, variant,"
            " group_name, plu, hidden, updated_at")
    products = src.execute(f"SELECT {cols} FROM product").fetchall()
    codes = src.execute("SELECT code, product_id FROM barcode").fetchall()
    levels = src.execute("SELECT product_id, on_hand_milli FROM stock_level").fetchall()
    src.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=FULL")
    for step in migrations.STEPS:
        for stmt in step:
            conn.execute(stmt)
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO product ({cols}) VALUES ({', '.join('?' * 14)})", products)
    conn.executemany("INSERT INTO barcode (code, product_id) VALUES (?, ?)", codes)
    conn.executemany("INSERT INTO stock_level (product_id, on_hand_milli) VALUES (?, ?)", levels)
    conn.execute("INSERT INTO product_fts (rowid, search_name) SELECT id, search_name FROM product")
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed, len(products)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=500.0, help="size of the generated exchange")
    ap.add_argument("--quick", action="store_true", help="about 5 MB")
    ap.add_argument("--keep", help="generate into (and keep) this folder")
    args = ap.parse_args(argv)
    mb = 5.0 if args.quick else args.mb
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = Path(args.keep) if args.keep else tmp / "exchange"
        t0 = time.perf_counter()
        counts = write_exchange(folder, mb)
        gen_s = time.perf_counter() - t0
        parse_s, records = parse_only(folder)
        make_store(tmp / "store")
        run = import_in_child(tmp / "store", folder)
        if run["rc"] != 0:
            print(run["output"], file=sys.stderr)
            raise SystemExit("the import failed")
        raw_s, rows = raw_bulk_insert(tmp / "store" / "store.db", tmp / "raw.db")
        again = import_in_child(tmp / "store", folder)  # a re-import: all unchanged
    file_mb = counts["bytes"] / 1e6
    figures = {
        "file_mb": round(file_mb, 1), "products": counts["products"],
        "variants": counts["variants"], "records": records, "rows_written": rows,
        "generate_s": gen_s, "import_s": run["seconds"],
        "import_records_per_s": records / run["seconds"],
        "import_rows_per_s": rows / run["seconds"], "import_mb_per_s": file_mb / run["seconds"],
        "peak_rss_mb": run["peak_rss_mb"], "parse_only_s": parse_s,
        "parse_records_per_s": records / parse_s, "raw_insert_s": raw_s,
        "raw_rows_per_s": rows / raw_s, "ratio_vs_raw_insert": run["seconds"] / raw_s,
        "ratio_vs_parse": run["seconds"] / parse_s, "reimport_s": again["seconds"],
        "reimport_peak_rss_mb": again["peak_rss_mb"]}
    print(f"CommerceML import of {file_mb:.0f} MB ({counts['products']} products, "
          f"{counts['variants']} variants, {records} records -> {rows} product rows): "
          f"{run['seconds']:.1f} s = {figures['import_rows_per_s']:.0f} rows/s, "
          f"{figures['import_mb_per_s']:.1f} MB/s, peak RSS {run['peak_rss_mb']:.0f} MB\n"
          f"  floors in this run: parsing alone {parse_s:.1f} s "
          f"({figures['parse_records_per_s']:.0f} records/s) -> import is "
          f"{figures['ratio_vs_parse']:.2f}x; raw SQLite bulk insert of the same rows "
          f"{raw_s:.2f} s ({figures['raw_rows_per_s']:.0f} rows/s) -> import is "
          f"{figures['ratio_vs_raw_insert']:.1f}x\n"
          f"  re-import (nothing changes): {again['seconds']:.1f} s, "
          f"peak RSS {again['peak_rss_mb']:.0f} MB")
    try:
        from bench.common import save
        save("commerceml", figures)
    except ImportError:
        pass
    return figures


if __name__ == "__main__":
    main()
