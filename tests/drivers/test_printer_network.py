"""Receipt printers over real sockets, against the virtual network printer."""

import threading
import time
from datetime import timezone

import pytest

from drivers.drawer import open_drawer_device
from drivers.escpos_job import kick_bytes
from drivers.printer import PrinterError, PrinterState
from drivers.printer_transports import open_printer

UTC = timezone.utc
FAST = "timeout=2&status_timeout=0.3"


def tcp(emu, query=""):
    url = f"escpos+tcp://127.0.0.1:{emu.port}?{FAST}" + (f"&{query}" if query else "")
    return open_printer(url, tz=UTC)


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_receipt_prints_and_decodes_back(printer_emu, full_receipt, columns):
    printer = tcp(printer_emu, f"columns={columns}")
    printer.print_receipt(full_receipt)
    [job] = printer_emu.wait_for_jobs(1)
    text = printer_emu.text()
    for expected in ("Магазин №1", "Молоко 3,2% 1 л", "Яблоки Гала", "0,755 кг x 199,00",
                     "ИТОГ", "735,05", "Сдача", "64,95", "[cut]"):
        assert expected in text, expected
    assert max(len(row) for row in text.splitlines() if not row.startswith("[")) <= columns
    assert job.startswith(b"\x1b@\x1bt\x11")  # init, then CP866 re-selected
    assert "Молоко".encode("cp866") in job
    assert job == printer.render(full_receipt)  # status requests are not part of the job


def test_printer_down_then_up(printer_emu, sale_receipt):
    printer = tcp(printer_emu)
    printer_emu.stop()
    with pytest.raises(PrinterError) as err:
        printer.print_receipt(sale_receipt)
    assert str(err.value) == (f"Network printer 127.0.0.1:{printer_emu.port} is offline: "
                              f"connection refused (is it switched on and connected?)")
    assert err.value.retryable
    printer_emu.start()  # same port: the printer came back
    printer.print_receipt(sale_receipt)
    assert "Магазин №1" in printer_emu.text(printer_emu.wait_for_jobs(1) and 0)


def test_printer_vanishing_mid_job_is_an_error_not_a_hang(printer_emu, full_receipt):
    printer = tcp(printer_emu)
    printer_emu.drop_after = 200
    started = time.monotonic()
    with pytest.raises(PrinterError, match="dropped the connection during the job"):
        printer.print_receipt(full_receipt)
    assert time.monotonic() - started < 3
    assert 200 <= len(printer_emu.wait_for_drop()) < len(printer.render(full_receipt))
    assert printer_emu.jobs == []
    printer.print_receipt(full_receipt)  # safe to call again: the retry prints it whole
    assert printer_emu.wait_for_jobs(1)[0] == printer.render(full_receipt)


def test_a_printer_that_stops_answering_gets_nothing_and_no_hang(printer_emu, sale_receipt):
    printer = tcp(printer_emu)
    printer.print_receipt(sale_receipt)  # it answers status: the driver now relies on that
    printer_emu.wait_for_jobs(1)
    printer_emu.hung = True
    started = time.monotonic()
    with pytest.raises(PrinterError, match="accepts the connection but does not answer"):
        printer.print_receipt(sale_receipt)
    status = printer.status()
    assert status.state is PrinterState.OFFLINE and "does not answer" in status.message
    assert time.monotonic() - started < 3
    printer_emu.hung = False
    printer.print_receipt(sale_receipt)
    assert len(printer_emu.wait_for_jobs(2)) == 2


def test_paper_out_refuses_the_job_before_sending_it(printer_emu, sale_receipt):
    printer = tcp(printer_emu)
    printer_emu.paper_out = True
    with pytest.raises(PrinterError, match="out of paper: load a new roll"):
        printer.print_receipt(sale_receipt)
    printer_emu.paper_out = False
    printer.print_receipt(sale_receipt)
    assert len(printer_emu.wait_for_jobs(1)) == 1  # the refused job was never sent


def test_status_online_paper_out_cover_open_paper_low_offline(printer_emu):
    printer = tcp(printer_emu)
    status = printer.status()
    assert status.state is PrinterState.ONLINE and status.message.endswith("is ready")
    printer_emu.paper_low = True
    assert "paper is running low" in printer.status().message
    printer_emu.paper_out = True
    assert printer.status().state is PrinterState.PAPER_OUT
    printer_emu.paper_out, printer_emu.cover_open = False, True
    status = printer.status()
    assert status.state is PrinterState.OFFLINE and "cover is open" in status.message
    printer_emu.stop()
    status = printer.status()
    assert status.state is PrinterState.OFFLINE and "connection refused" in status.message
    assert printer_emu.jobs == []  # status checks print nothing


def test_printer_that_never_reports_status_still_prints(printer_emu, sale_receipt):
    printer_emu.answer_status = False
    printer = tcp(printer_emu)
    status = printer.status()
    assert status.state is PrinterState.ONLINE and "does not report status" in status.message
    printer.print_receipt(sale_receipt)
    assert "Магазин №1" in printer_emu.text(printer_emu.wait_for_jobs(1) and 0)


def test_drawer_kick_through_the_printer(printer_emu):
    printer = tcp(printer_emu)
    printer.open_drawer()
    open_drawer_device("printer:", printer).open()
    assert printer_emu.wait_for_jobs(2) == [kick_bytes(2)] * 2
    tcp(printer_emu, "drawer_pin=5").open_drawer()
    assert printer_emu.wait_for_jobs(3)[-1] == b"\x1bp\x01\x19\xfa"


def test_drawer_urls():
    assert open_drawer_device("") is None
    dummy = open_drawer_device("dummy:")
    dummy.open()
    assert dummy.openings == 1
    with pytest.raises(ValueError, match="needs a receipt printer"):
        open_drawer_device("printer:", None)


def test_a_receipt_that_cannot_be_laid_out_is_not_retryable(printer_emu, sale_receipt):
    del sale_receipt["lines"]
    with pytest.raises(PrinterError) as err:
        tcp(printer_emu).print_receipt(sale_receipt)
    assert not err.value.retryable and "lines" in str(err.value)
    assert printer_emu.status_requests == 0  # failed before connecting


def test_concurrent_jobs_on_one_printer_do_not_interleave(printer_emu, sale_receipt):
    printer = tcp(printer_emu)
    errors = []

    def job():
        try:
            printer.print_receipt(sale_receipt)
        except PrinterError as exc:  # pragma: no cover - shown in the assert
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert printer_emu.wait_for_jobs(4) == [printer.render(sale_receipt)] * 4


def test_serial_printer_over_a_pyserial_socket_url(printer_emu, sale_receipt):
    """escpos+serial: wraps any pyserial URL; socket:// reaches the same emulator."""
    printer = open_printer(f"escpos+serial:socket://127.0.0.1:{printer_emu.port}"
                           f"?baudrate=19200&{FAST}", tz=UTC)
    assert printer.status().state is PrinterState.ONLINE
    printer.print_receipt(sale_receipt)
    assert "Иванова Анна" in printer_emu.text(printer_emu.wait_for_jobs(1) and 0)
    printer_emu.paper_out = True
    assert printer.status().state is PrinterState.PAPER_OUT
    printer_emu.stop()
    with pytest.raises(PrinterError, match="connection refused"):
        printer.print_receipt(sale_receipt)


def test_serial_printer_on_a_missing_port(sale_receipt):
    printer = open_printer("escpos+serial:///dev/nonexistent-tty-store-agent")
    with pytest.raises(PrinterError, match="nonexistent-tty-store-agent not found"):
        printer.print_receipt(sale_receipt)
    assert printer.status().state is PrinterState.OFFLINE


def test_file_printer_writes_the_job(tmp_path, sale_receipt):
    device = tmp_path / "lp0"
    printer = open_printer(f"escpos+file://{device}", tz=UTC)
    printer.print_receipt(sale_receipt)
    assert device.read_bytes() == printer.render(sale_receipt)
    assert printer.status().state is PrinterState.UNKNOWN
    missing = open_printer(f"escpos+file://{tmp_path}/no/such/dir/lp0")
    with pytest.raises(PrinterError, match="not found"):
        missing.print_receipt(sale_receipt)


def test_spool_directory_printer(tmp_path, sale_receipt):
    printer = open_printer(f"file://{tmp_path}/spool", tz=UTC)
    printer.print_receipt(sale_receipt)
    printer.print_receipt(sale_receipt)
    texts = sorted((tmp_path / "spool").glob("*.txt"))
    assert len(texts) == 2 and len(list((tmp_path / "spool").glob("*.escpos"))) == 2
    assert "Магазин №1" in texts[0].read_text(encoding="utf-8")
    assert printer.status().state is PrinterState.ONLINE
    printer.open_drawer()
    assert "drawer kick" in (tmp_path / "spool" / "drawer.log").read_text()


def test_dummy_printer_keeps_jobs_and_previews(sale_receipt):
    printer = open_printer("dummy:?columns=32", lang="en", tz=UTC)
    printer.print_receipt(sale_receipt)
    printer.open_drawer()
    assert printer.jobs == [printer.render(sale_receipt), kick_bytes()]
    assert printer.status().state is PrinterState.ONLINE
    assert "TOTAL" in printer.preview_text(sale_receipt)
    assert printer.preview_html(sale_receipt).startswith('<pre class="receipt" data-columns="32"')


def test_no_printer_configured():
    assert open_printer("") is None
