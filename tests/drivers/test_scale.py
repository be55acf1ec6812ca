"""CAS scale over a real pty, against the virtual scale; plus the frame format itself."""

import time
from decimal import Decimal

import pytest

from drivers.scale import (
    CasScale,
    DummyScale,
    ScaleError,
    ScaleTimeout,
    open_scale,
    parse_cas_frame,
)

# The example documented in drivers/scale.py (a stable 1.234 kg), byte for byte.
DOC_FRAME = bytes.fromhex("01 02 53 20 30 31 2E 32 33 34 6B 67 65 03 04")


def frame(body: bytes, soh: int = 0x01) -> bytes:
    bcc = 0
    for b in body:
        bcc ^= b
    return bytes([soh, 0x02]) + body + bytes([bcc, 0x03, 0x04])


@pytest.fixture
def scale(scale_emu):
    s = open_scale(f"{scale_emu.port}?baudrate=9600")
    yield s
    s.close()


def test_documented_frame_parses():
    assert parse_cas_frame(DOC_FRAME) == Decimal("1.234")


@pytest.mark.parametrize("body, soh, weight", [
    (b"S 00.500kg", 0x01, "0.500"),
    (b"S   2.5kg", 0x01, None),  # 5 characters: malformed length
    (b"S  750.0 g", 0x01, "0.750"),
    (b"S 12.345kg", 0x81, "12.345"),
    (b"S-00.000kg", 0x01, "0.000"),  # minus zero is zero
])
def test_frame_variants(body, soh, weight):
    if weight is None:
        with pytest.raises(ScaleError, match="malformed"):
            parse_cas_frame(frame(body, soh))
    else:
        assert parse_cas_frame(frame(body, soh)) == Decimal(weight)


def test_bad_checksum_and_pounds_are_refused():
    broken = bytearray(DOC_FRAME)
    broken[12] ^= 0xFF
    with pytest.raises(ScaleError, match="checksum"):
        parse_cas_frame(bytes(broken))
    with pytest.raises(ScaleError, match="kilograms"):
        parse_cas_frame(frame(b"S 02.000lb"))


def test_stable_weight(scale, scale_emu):
    scale_emu.weight = Decimal("1.234")
    weight = scale.read_weight(timeout=2)
    assert weight == Decimal("1.234") and str(weight) == "1.234"
    scale_emu.weight = Decimal("0.5")
    assert str(scale.read_weight(timeout=2)) == "0.500"  # the port is reused
    assert scale_emu.enquiries == 2


def test_unstable_weight_is_refused(scale, scale_emu):
    scale_emu.weight, scale_emu.stable = Decimal("0.755"), False
    with pytest.raises(ScaleError, match="^Weight is not stable"):
        scale.read_weight(timeout=2)


def test_overload_is_refused(scale, scale_emu):
    scale_emu.overload = True
    with pytest.raises(ScaleError, match="overloaded"):
        scale.read_weight(timeout=2)


def test_negative_weight_is_refused(scale, scale_emu):
    scale_emu.weight = Decimal("-0.020")
    with pytest.raises(ScaleError, match="negative"):
        scale.read_weight(timeout=2)


def test_silent_scale_times_out_quickly(scale, scale_emu):
    scale_emu.silent = True
    started = time.monotonic()
    with pytest.raises(ScaleTimeout, match="did not answer within 0.5 s"):
        scale.read_weight(timeout=0.5)
    assert time.monotonic() - started < 1.5
    scale_emu.silent = False
    scale_emu.weight = Decimal("2.000")
    assert scale.read_weight(timeout=2) == Decimal("2.000")  # recovers on the next reading


def test_busy_scale_is_asked_again_until_the_deadline(scale, scale_emu):
    scale_emu.busy = True
    with pytest.raises(ScaleTimeout):
        scale.read_weight(timeout=0.4)
    assert scale_emu.enquiries > 1


def test_missing_port_is_a_scale_error():
    with pytest.raises(ScaleError, match="nonexistent-scale-tty"):
        CasScale("/dev/nonexistent-scale-tty").read_weight(timeout=0.2)


def test_dummy_and_empty_urls():
    assert open_scale("") is None
    scale = open_scale("dummy:")
    assert isinstance(scale, DummyScale) and scale.read_weight() == Decimal("0.000")
