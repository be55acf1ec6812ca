"""pyshtrih, an independent client, drives our emulator: proof that it speaks the protocol.

Every pyshtrih call runs under a timeout (its paper-out wait loop never ends by itself).
"""

from __future__ import annotations

import threading

import pyshtrih
import pytest
import serial

from drivers.fiscal.emulator import ShtrihEmulator

from .test_fiscal_support import emulated, run_with_timeout

pytestmark = pytest.mark.timeout(30)


def _call(fn, timeout: float = 5.0):
    done, result, error = run_with_timeout(fn, timeout)
    assert done, "pyshtrih call did not return in time"
    if error is not None:
        raise error
    return result.params if hasattr(result, "params") else result


@pytest.fixture
def emu():
    with ShtrihEmulator("pty") as e:
        yield e


def _connect(emu: ShtrihEmulator):
    devices = _call(lambda: pyshtrih.discovery(port=emu.path, baudrate=115200))
    assert len(devices) == 1
    dev = devices[0]
    dev.timeout = 1
    _call(dev.connect)
    return dev


def test_pyshtrih_picks_model_and_runs_a_full_shift(emu: ShtrihEmulator) -> None:
    dev = _connect(emu)
    assert type(dev).__name__ == "ShtrihM01F"  # chosen from the 0xFC model name
    assert dev.name == "ШТРИХ-М-01Ф"

    full = _call(dev.full_state)
    assert full["Код ошибки"] == 0 and full["Режим ФР"].num == 4  # shift closed
    assert _call(dev.state)["Подрежим ФР"].num == 0  # paper present

    _call(dev.open_shift)
    assert _call(dev.state)["Режим ФР"].num == 2
    _call(lambda: dev.open_check(0))
    assert _call(dev.state)["Режим ФР"].num == 8
    _call(lambda: dev.sale(("Хлеб", 1000, 4500), tax1=1))      # 1.000 x 45.00, VAT group 1
    _call(lambda: dev.sale(("Кефир 1%", 2000, 7000), tax1=2))  # 2.000 x 70.00, VAT 10%
    closed = _call(lambda: dev.close_check(cash=20000))
    assert closed["Сдача"] == 1500
    fs = _call(dev.fs_state)
    assert fs["Номер последнего ФД"] == 2 and fs["Состояние смены"] == "смена открыта"
    _call(dev.x_report)
    _call(dev.z_report)
    assert _call(dev.state)["Режим ФР"].num == 4
    dev.disconnect()

    docs = emu.journal
    assert [d["type"] for d in docs] == ["shift_open", "receipt", "shift_close"]
    sale = docs[1]
    assert sale["total"] == 18500 and sale["change"] == 1500
    assert sale["vat"] == {"20": 4500, "10": 14000}
    assert sale["payments"] == {"cash": 20000}
    assert [ln["name"] for ln in sale["lines"]] == ["Хлеб", "Кефир 1%"]
    assert [e["type"] for e in emu.events] == ["x_report"]


def test_pyshtrih_return_receipt_and_wrong_password(emu: ShtrihEmulator) -> None:
    dev = _connect(emu)
    _call(dev.open_shift)
    _call(lambda: dev.income(10000))  # cash in the drawer to pay the refund from
    _call(lambda: dev.open_check(2))  # sale return
    _call(lambda: dev.return_sale(("Хлеб", 1000, 4500), tax1=1))
    _call(lambda: dev.close_check(cash=4500))
    assert emu.receipts()[0]["kind"] == "return"

    dev.password = 99
    with pytest.raises(pyshtrih.Error) as info:
        _call(dev.state)
    assert info.value.code == 0x4F
    dev.disconnect()


def test_pyshtrih_hangs_on_paper_out_until_paper_is_back(emu: ShtrihEmulator) -> None:
    """The known pyshtrih trap: on paper out its wait loop spins; we bound it by a thread."""
    dev = _connect(emu)
    _call(dev.open_shift)
    emu.paper_out()
    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", dev.x_report()), daemon=True)
    worker.start()
    worker.join(0.8)
    assert worker.is_alive()  # still spinning on status, as FIELD-NOTES warn
    assert emu.events == []
    emu.paper_in()
    worker.join(5)
    assert not worker.is_alive() and "r" in box
    assert [e["type"] for e in emu.events] == ["x_report"]
    dev.disconnect()


def test_pyshtrih_executes_twice_when_an_ack_is_lost_our_driver_once() -> None:
    """The hazard our driver exists to avoid: pyshtrih resends a frame whose ACK it did not
    see, so the register executes it again. Our link takes the answer instead."""
    with ShtrihEmulator("pty", shift_open=True) as emu:
        dev = _connect(emu)
        emu.lose_ack(1, on=0x50)
        run_with_timeout(lambda: dev.income(1000), 5)  # result is garbage; the count matters
        assert emu.executed(0x50) >= 2
        dev.disconnect()

    with emulated("pty", shift_open=True) as (emu, reg):
        emu.lose_ack(1, on=0x50)
        reg.cash_in(1000)
        assert emu.executed(0x50) == 1
        assert reg.link.stats["ack_lost"] == 1


def test_pyshtrih_over_tcp_with_a_swapped_serial_object() -> None:
    """FIELD-NOTES recipe: pyshtrih opens serial.Serial; swap in serial_for_url for TCP."""
    with ShtrihEmulator("tcp") as emu:
        host, port = emu.address
        url = f"socket://{host}:{port}"
        dev = pyshtrih.ShtrihM01F(port=url, baudrate=115200, timeout=1)
        dev.protocol.serial = serial.serial_for_url(url, do_not_open=True, timeout=1,
                                                    write_timeout=1)
        _call(dev.connect)
        assert dev.name == "ШТРИХ-М-01Ф"
        _call(dev.open_shift)
        _call(lambda: dev.sale(("Вода", 3000, 5000), tax1=4))  # opens the receipt itself
        _call(lambda: dev.close_check(cash=15000))
        dev.disconnect()
        assert emu.receipts()[0]["vat"] == {"none": 15000}
