"""The benchmarks still run (small sizes). Figures are printed, never asserted: timing
belongs to `bench/`, run by hand, not to tests on a shared machine."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_benchmark_runs_at_small_sizes(tmp_path):
    r = subprocess.run([sys.executable, "-m", "bench.run_all", "--quick"], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for name in ("bench_api", "bench_import", "bench_agent", "bench_sync", "bench_commerceml",
                 "bench_orders", "bench_catalog", "bench_store_scale"):
        assert f"== {name}" in r.stdout, f"{name} did not run:\n{r.stdout[-2000:]}"
    assert "x the floor" in r.stdout or "floor" in r.stdout
