"""Run every benchmark and print one table (and bench/results/*.json).

    python -m bench.run_all            # full sizes (tens of minutes)
    python -m bench.run_all --quick    # small sizes: the CI smoke run
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback

from bench.common import RESULTS, machine

BENCHES = ["bench_api", "bench_import", "bench_agent", "bench_sync", "bench_hub", "bench_commerceml",
           "bench_orders", "bench_catalog", "bench_store_scale"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args(argv)
    failed = []
    print(f"machine: {machine()}\n")
    for name in args.only or BENCHES:
        try:
            mod = importlib.import_module(f"bench.{name}")
        except ImportError as e:
            print(f"[{name}] not available: {e}")
            continue
        print(f"== {name}")
        try:
            mod.main(["--quick"] if args.quick else [])
        except SystemExit as e:
            if e.code:
                failed.append(name)
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print()
    summary = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))
               if p.stem != "all"}
    (RESULTS / "all.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"results: {RESULTS}/all.json")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
