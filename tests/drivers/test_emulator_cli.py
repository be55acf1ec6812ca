"""``python -m drivers.emulators.printer``: the demo's printer writes real receipts to files."""

import os
import re
import signal
import subprocess
import sys
from datetime import timezone

from drivers.printer_transports import open_printer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_cli_printer_writes_each_receipt_as_text(tmp_path, sale_receipt):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "drivers.emulators.printer", "--port", "0", "--out",
         str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        banner = proc.stdout.readline()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", banner)[1])
        printer = open_printer(f"escpos+tcp://127.0.0.1:{port}?timeout=2", tz=timezone.utc)
        printer.print_receipt(sale_receipt)
        assert "receipt-0001.txt" in proc.stdout.readline()  # written before it is reported
        text = (tmp_path / "receipt-0001.txt").read_text(encoding="utf-8")
        assert "Магазин №1" in text and "330,05" in text and "[cut]" in text
        assert (tmp_path / "receipt-0001.escpos").read_bytes() == printer.render(sale_receipt)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "Warning" not in err and "Traceback" not in err, err


def test_demo_devices_configure_the_store_and_save_receipts(tmp_path, sale_receipt):
    from drivers.display import open_display
    from drivers.emulators.demo import start_demo_devices
    from drivers.scale import open_scale

    config: dict = {}
    demo = start_demo_devices(tmp_path, config)
    try:
        urls = config["devices"]
        assert urls["drawer"] == "printer:" and len(demo.describe()) == 4  # printer, display, scale, fiscal
        open_printer(urls["printer"], tz=timezone.utc).print_receipt(sale_receipt)
        demo.printer.wait_for_jobs(1)
        text = (tmp_path / "receipts" / "receipt-0001.txt").read_text(encoding="utf-8")
        assert "Магазин №1" in text
        scale = open_scale(urls["scale"])
        assert str(scale.read_weight(timeout=2)) == "0.755"
        scale.close()
        display = open_display(urls["display"])
        display.show_total(33005)
        demo.display.wait_for_screen("К ОПЛАТЕ")
        display.close()
    finally:
        demo.stop()
