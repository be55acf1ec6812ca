"""Fixtures for device tests: a sample receipt and real emulators (TCP socket, pty pairs).

Every emulator binds port 0 or opens a fresh pty, so tests can run beside other suites.
"""

from __future__ import annotations

import copy
import os

import pytest

from drivers.emulators.display import VirtualDisplay
from drivers.emulators.printer import VirtualNetworkPrinter
from drivers.emulators.scale import VirtualScale

SAMPLE_RECEIPT = {
    "kind": "sale",
    "sale_id": 123,
    "return_id": None,
    "store": {"id": "S001", "name": "Магазин №1", "address": "Москва, ул. Ленина, 1",
              "inn": "7701234567"},
    "register_id": "1",
    "cashier": "Иванова Анна",
    "shift_number": 3,
    "receipt_number": 17,
    "created_at": "2026-11-23T10:15:00Z",
    "lines": [
        {"name": "Молоко 3,2% 1 л", "sku": "MILK-1", "qty": "2.000", "unit": "pcs",
         "price": 8990, "amount": 17980, "discount": 0, "vat": "20"},
        {"name": "Яблоки Гала", "sku": "APL", "qty": "0.755", "unit": "kg",
         "price": 19900, "amount": 15025, "discount": 0, "vat": "10"},
    ],
    "total": 33005,
    "vat": [{"rate": "20", "amount": 2997}, {"rate": "10", "amount": 1366}],
    "payments": [{"method": "cash", "amount": 40000}],
    "change": 6995,
    "bonus": {"earned": 330, "redeemed": 0, "balance": 1530},
    "customer_phone": "+79161234567",
    "customer_phone_shown": "+7916***4567",
    "qr": None,
    "fiscal": None,
}


def pytest_collection_modifyitems(items):
    """Device tests talk to sockets and ptys: none may hang the suite."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here) and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(20))


@pytest.fixture
def sale_receipt() -> dict:
    """A fresh copy of the receipt from docs/receipt-shape.md."""
    return copy.deepcopy(SAMPLE_RECEIPT)


@pytest.fixture
def full_receipt(sale_receipt) -> dict:
    """The sample plus a discounted line with a long name (amount is qty x price, the
    discount comes off it), two payments, fiscal data and a QR code."""
    sale_receipt["lines"].append(
        {"name": "Сыр Российский 50% весовой, нарезка ломтиками в вакуумной упаковке",
         "sku": "CHS", "qty": "1.000", "unit": "pcs", "price": 45000, "amount": 45000,
         "discount": 4500, "vat": "20"})
    sale_receipt["total"] = 73505
    sale_receipt["payments"] = [{"method": "card", "amount": 30000},
                           {"method": "cash", "amount": 50000}]
    sale_receipt["change"] = 6495
    sale_receipt["fiscal"] = {"document_number": 42, "fiscal_sign": "1234567890",
                         "fn": "9999078900012345"}
    sale_receipt["qr"] = "t=20261123T1015&s=735.05&fn=9999078900012345&i=42&fp=1234567890&n=1"
    return sale_receipt


@pytest.fixture
def printer_emu():
    """A virtual network printer on an ephemeral port."""
    emu = VirtualNetworkPrinter().start()
    yield emu
    emu.close()


@pytest.fixture
def display_emu():
    emu = VirtualDisplay().start()
    yield emu
    emu.close()


@pytest.fixture
def scale_emu():
    emu = VirtualScale().start()
    yield emu
    emu.close()
