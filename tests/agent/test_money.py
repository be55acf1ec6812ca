from decimal import Decimal

import pytest

from agent.errors import Invalid
from agent.money import (
    format_major,
    line_amount,
    parse_major,
    parse_qty,
    qty_str,
    share,
    vat_included,
)


def test_parse_major_accepts_dot_and_comma_and_refuses_the_rest():
    assert parse_major("149.99") == 14999
    assert parse_major("149,9") == 14990
    assert parse_major("0") == 0
    for bad in ("-1", "1.999", "1e3", "", "abc", "1.2.3"):
        with pytest.raises(Invalid):
            parse_major(bad)


def test_format_major_round_trips():
    for amount in (0, 1, 99, 100, 14999, 123456789):
        assert parse_major(format_major(amount)) == amount


def test_qty_parsing_limits():
    assert parse_qty("0.755") == 755
    assert parse_qty(Decimal("2")) == 2000
    assert parse_qty(3) == 3000
    for bad in (0, -1, "0.0001", "abc", 10001, None, True, "NaN", "Infinity"):
        with pytest.raises(Invalid):
            parse_qty(bad)
    assert qty_str(755) == "0.755" and qty_str(-1500) == "-1.500"


def test_weighed_line_rounding_is_half_up_once_per_line():
    assert line_amount(89900, 755) == 67875  # 678.745 -> 678.75
    assert line_amount(14990, 333) == 4992  # 49.9167 -> 49.92
    assert line_amount(1, 500) == 1  # 0.5 kopeck rounds up
    assert line_amount(1, 499) == 0


def test_vat_included():
    assert vat_included(12000, "20") == 2000
    assert vat_included(11000, "10") == 1000
    assert vat_included(12200, "22") == 2200
    assert vat_included(5000, "0") == 0 and vat_included(5000, "none") == 0


def test_cumulative_shares_add_up_exactly():
    total, whole = 10001, 3000
    parts, done = [], 0
    for q in (1000, 1000, 1000):
        parts.append(share(total, done + q, whole) - share(total, done, whole))
        done += q
    assert sum(parts) == total
