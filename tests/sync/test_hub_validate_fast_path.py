"""The hub's cheap checks of a pushed batch (issue 22) skip nothing: ``event_schema._fits``
proves the common payload without field paths, and ``text.json_is_plain`` on the payload's
canonical text proves its strings plain at once; anything they do not prove goes through
the full walk, so a hostile character anywhere (deep in a key or a value, sent raw or as a
JSON ``\\u`` escape) is refused with the same field and message, and the text and digest
of an accepted event are the bytes earlier versions stored."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent import event_schema, text
from sync.hub import validate


def sale(seq: int) -> dict:
    return {"event_id": f"e-{seq}", "store_id": "S1", "seq": seq, "type": "sale.completed",
            "schema": 1, "occurred_at": "2026-03-01T10:00:00Z",
            "payload": {"sale_id": seq, "total": 200, "client_ref": f"c{seq}", "lines": [
                {"sku": "MILK", "qty": "1.000", "name": "Молоко", "price": 100},
                {"sku": "BREAD", "qty": "1.000", "name": "Хлеб", "price": 100}]}}


def delivery(seq: int) -> dict:
    return {**sale(seq), "type": "delivery.received", "payload": {
        "delivery_id": 1, "act_number": 1, "ref": "upd:1", "number": "УПД@17",
        "act": [{"line_no": 1, "sku": "MILK", "expected": "1.000", "received": "1.000"}],
        "lines": [{"sku": "MILK", "qty": "1.000"}]}}


def _deep_key(p):
    p["lines"][1]["meta"] = {"a": [{"k@ey": 1}]}


def _deep_value(p):
    p["lines"][1]["meta"] = {"a": [{"note": "x@y"}]}


def _line_name(p):
    p["lines"][0]["name"] = "Мол@ко"


def _top_key(p):
    p["k@"] = 1


def _note(p):
    p["note"] = "a@"


def _quote_elsewhere(p):  # the canonical text is not plain anyway: every string is looked at
    p["lines"][0]["name"] = 'Сыр "Р"'
    p["note"] = "x@"


def _sku(p):
    p["lines"][0]["sku"] = "MI@LK"


HIDDEN = [  # (where "@" goes, the character, the field, the reason)
    (_deep_key, "\u0001", "lines[1].meta.a[0]", "has a key that is not a short plain text"),
    (_deep_key, "\u202e", "lines[1].meta.a[0]", "has a key that is not a short plain text"),
    (_deep_key, "\udc00", "lines[1].meta.a[0]", "has a key that is not a short plain text"),
    (_deep_value, "\u0007", "lines[1].meta.a[0].note",
     "must not contain control characters (found U+0007)"),
    (_deep_value, "\u0085", "lines[1].meta.a[0].note",
     "must not contain control characters (found U+0085)"),
    (_line_name, "\u202e", "lines[0].name",
     "must not contain bidirectional overrides (found U+202E)"),
    (_line_name, "\u2066", "lines[0].name",
     "must not contain bidirectional overrides (found U+2066)"),
    # a key of the payload itself: the walk names the payload "payload" (as it always did)
    (_top_key, "\u0085", "payload", "has a key that is not a short plain text"),
    (_top_key, "\u0000", "payload", "has a key that is not a short plain text"),
    (_note, "\ud800", "note", "is not valid Unicode (a lone surrogate U+D800)"),
    (_quote_elsewhere, "\u2069", "note",
     "must not contain bidirectional overrides (found U+2069)"),
    (_sku, "\u007f", "lines[0].sku", "must not contain control characters (found U+007F)"),
]


def _body(events, char: str, escaped: bool) -> bytes:
    raw = json.dumps({"store_id": "S1", "events": events}, ensure_ascii=False)
    return raw.replace("@", json.dumps(char)[1:-1] if escaped else char).encode()


def _refusal(raw: bytes):
    body = validate.parse_json(raw, check_text=False)
    with pytest.raises(validate.EventRefused) as e:
        validate.batch(body, "S1", {})
    return e.value


@pytest.mark.parametrize("escaped", [True, False], ids=["json-escape", "raw"])
@pytest.mark.parametrize("put, char, field, reason", HIDDEN)
def test_a_hostile_character_hidden_anywhere_is_refused_with_its_field(put, char, field,
                                                                       reason, escaped):
    if not escaped and "\ud800" <= char <= "\udfff":
        pytest.skip("a lone surrogate arrives only as a JSON escape (it is not UTF-8)")
    events = [sale(s) for s in range(1, 41)]
    put(events[30]["payload"])
    raw = _body(events, char, escaped)
    if not escaped and char < " ":  # JSON has no raw control characters in strings
        with pytest.raises(validate.BadRequest) as bad:
            validate.parse_json(raw, check_text=False)
        assert bad.value.code == "malformed_json"
        return
    e = _refusal(raw)
    f = f"events[30].payload.{field}"
    assert (e.index, e.field, e.message) == (30, f, f"{f} {reason}")


@pytest.mark.parametrize("escaped", [True, False], ids=["json-escape", "raw"])
def test_a_control_character_in_a_text_number_is_refused(escaped):
    events = [sale(1), delivery(2)]  # a delivery's "number" is text (TYPE_TEXT_KEYS)
    raw = _body(events, "\u0000" if escaped else "\u0085", escaped)
    e = _refusal(raw)
    code = 0 if escaped else 0x85
    assert (e.index, e.field) == (1, "events[1].payload.number")
    assert e.message == ("events[1].payload.number must not contain control characters "
                         f"(found U+{code:04X})")


def test_json_is_plain_sees_every_character_text_problem_refuses():
    for code in [*range(0x20), *range(0x7F, 0xA0), 0xD800, 0xDBFF, 0xDC00, 0xDFFF,
                 *range(0x202A, 0x202F), *range(0x2066, 0x206A)]:
        s = f"a{chr(code)}b"
        assert text.problem(s)
        for doc in ({"k": s}, {s: 1}, [[{"x": [s]}]]):
            assert not text.json_is_plain(validate.canonical(doc)), hex(code)
    assert text.json_is_plain(validate.canonical({"name": "Сыр «Р» 💳\u2028\u00a0", "n": 1}))


def _old_digest(raw: dict, store_id: str) -> tuple[str, str]:
    """The text and digest exactly as earlier versions of the hub wrote them."""
    def dumps(obj):
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          default=str)
    body = dumps(raw["payload"])
    head = dumps({k: raw.get(k, 1 if k == "schema" else None) for k in
                  ("event_id", "store_id", "seq", "type", "schema", "occurred_at")})
    return body, hashlib.sha256(f"{head}\n{body}".encode()).hexdigest()


def test_the_text_and_digest_are_the_bytes_earlier_versions_stored():
    plain = {"event_id": "0b8f1d6e-1c1e-4b1a-9d1e-3c2b1a0f9e8d", "store_id": "S001", "seq": 12,
             "type": "sale.completed", "schema": 1, "occurred_at": "2026-03-01T10:00:00Z",
             "payload": {"sale_id": 5, "total": 15000, "client_ref": "c5", "lines": [
                 {"line_id": 50, "sku": "SKU0001", "name": "Товар", "qty": "1.000",
                  "price": 15000, "vat": "20"}],
                 "payments": [{"method": "card", "amount": 15000}]}}
    quoted = {"event_id": "e-1", "store_id": 'S"1', "seq": 7, "type": "sale.completed",
              "schema": 1, "occurred_at": "2026-03-01T10:00:00+03:00",
              "payload": {"sale_id": 1, "total": 100, "client_ref": 'q"b\\s/é💳\u2028',
                          "lines": [{"sku": "A", "qty": "1.000", "name": "Сыр «Р»",
                                     'x"y': [None, True, 1]}]}}
    # the digests the hub stored before issue 22 (computed with that code)
    pinned = {"S001": "f21258884c912ae1e595e5024a430d7a5e1f873338a1ae11edc594454dfd7f43",
              'S"1': "174a9e7a3ab24a742adda4692d9b65090dd7310c369723bcd491adc1eba142a3"}
    for raw in (plain, quoted):
        ev = validate.event(raw, 0, raw["store_id"])
        assert (ev.text, ev.digest) == _old_digest(raw, raw["store_id"])
        assert ev.digest == pinned[raw["store_id"]]


def test_a_quantity_read_before_is_still_checked_for_sign_and_range():
    assert event_schema.qty_milli("-1.000", "qty") == -1000  # now remembered
    with pytest.raises(event_schema.SchemaError) as e:
        event_schema.check("sale.completed", {"sale_id": 1, "total": 1, "lines": [
            {"sku": "A", "qty": "1.000"}, {"sku": "B", "qty": "-1.000"}]})
    assert (e.value.field, e.value.reason) == ("lines[1].qty", "must be greater than zero")


# ---- property: the fast paths agree with the full walk on anything

HOSTILE = "\x00\x01\n\x1f\x7f\x85\x9f\ud800\udfff\u202a\u202e\u2066\u2069\"\\é💳 a1"
KEYS = st.sampled_from(["sku", "qty", "name", "total", "number", "line_no", "phone", "lines",
                        "created_at", "amount", "shift_id", "note", "sale_id", "vat", "kind",
                        "x" * 64, "x" * 65, ""]) | st.text(HOSTILE, max_size=4)
SCALARS = (st.none() | st.booleans() | st.text(HOSTILE, max_size=6)
           | st.sampled_from([0, -1, 2**31 - 1, 2**31, 10**12, 10**12 + 1, 10**15, 10**15 + 1,
                              2**63, "1.000", "-1.000", "x" * 256, Decimal("1.5")])
           | st.integers())
VALUES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=3)
                      | st.dictionaries(KEYS, kids, max_size=4), max_leaves=12)
TYPES = st.sampled_from([*event_schema.TYPES, "other.type"])


def _outcome(call):
    try:
        return "ok", call()
    except event_schema.SchemaError as e:
        return "refused", e.field, e.reason


def _reference(etype, payload):
    """The full walk (what check() did before issue 22) and the type's own checks."""
    event_schema._walk(payload, "", 0, "",
                       event_schema.TYPE_TEXT_KEYS.get(etype, frozenset()))
    specific = event_schema.CHECKS.get(etype)
    return specific(payload) if specific else []


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(etype=TYPES, base=st.sampled_from([{}, sale(1)["payload"], delivery(1)["payload"]]),
       extra=st.dictionaries(KEYS, VALUES, max_size=4), escaped=st.booleans())
def test_the_fast_paths_agree_with_the_full_walk(etype, base, extra, escaped):
    payload = {**json.loads(json.dumps(base)), **extra}
    want = _outcome(lambda: _reference(etype, payload))
    assert _outcome(lambda: event_schema.check(etype, payload)) == want  # the store's call
    plain = text.json_is_plain(validate.canonical(payload))
    assert _outcome(lambda: event_schema.check(etype, payload, text_checked=plain)) == want
    # and the hub from the wire: the same refusal with its path, or the same bytes
    raw = {**sale(1), "type": etype, "payload": payload}
    try:
        wire = json.dumps({"store_id": "S1", "events": [raw]}, ensure_ascii=escaped,
                          default=str).encode("utf-8", "surrogatepass")
        body = validate.parse_json(wire, check_text=False)
    except validate.BadRequest:
        return  # not JSON the hub reads (a raw surrogate is not UTF-8)
    got_payload = body["events"][0]["payload"]
    want = _outcome(lambda: _reference(etype, got_payload))
    try:
        [ev] = validate.batch(body, "S1", {})
    except validate.EventRefused as e:
        assert want[0] == "refused" or etype.startswith("transfer."), (e.message, want)
        if want[0] == "refused":
            f = f"events[0].payload.{want[1]}"
            assert (e.field, e.message) == (f, f"{f} {want[2]}")
        return
    assert want[0] == "ok" and ev.lines == want[1]
    assert (ev.text, ev.digest) == _old_digest(body["events"][0], "S1")


@pytest.mark.parametrize("key, value, message", [
    ("seq", True, "events[0].seq must be a whole number"),
    ("seq", 0, "events[0].seq must be at least 1"),
    ("seq", 2**63, "events[0].seq is too large"),
    ("schema", 1001, "events[0].schema is not a schema version"),
    ("schema", True, "events[0].schema must be a whole number"),
    ("type", "", "events[0].type must be a text of 1-64 characters"),
    ("type", "s" * 65, "events[0].type must be a text of 1-64 characters"),
    ("type", "sale.completed\x7f", "events[0].type must not contain control characters "
                                   "(found U+007F)"),
    ("type", "sale.completed\u202e", "events[0].type must not contain bidirectional "
                                     "overrides (found U+202E)"),
    ("occurred_at", "2026-03-01T10:00:00\t", "events[0].occurred_at must not contain "
                                             "control characters (found U+0009)"),
    ("occurred_at", "2" * 41, "events[0].occurred_at must be a text of 1-40 characters"),
    ("occurred_at", "yesterday", "events[0].occurred_at must be an ISO 8601 time"),
])
def test_the_envelope_is_refused_as_before(key, value, message):
    raw = {**sale(1), key: value}
    body = validate.parse_json(json.dumps({"store_id": "S1", "events": [raw]}).encode(),
                               check_text=False)
    e = _refusal(json.dumps(body).encode())
    assert (e.field, e.message) == (message.split(" ")[0], message)


def _nested(depth: int, leaf, container: str):
    for _ in range(depth):
        leaf = {"n": leaf} if container == "dict" else [leaf]
    return leaf


@pytest.mark.parametrize("etype, extra, refused", [
    ("sale.completed", {"meta": _nested(7, 1, "dict")}, None),
    ("sale.completed", {"meta": _nested(7, {}, "dict")},
     "meta.n.n.n.n.n.n.n is nested more than 8 levels deep"),
    ("sale.completed", {"meta": _nested(7, None, "list")}, None),
    ("sale.completed", {"meta": _nested(7, [], "list")},
     "meta[0][0][0][0][0][0][0] is nested more than 8 levels deep"),
    ("sale.completed", {"meta": [{"a": [{"b": [{"c": [[1]]}]}]}]},
     "meta[0].a[0].b[0].c[0] is nested more than 8 levels deep"),
    ("delivery.received", {"number": ""}, "number must be a text of 1-255 characters"),
    ("delivery.received", {"number": None}, None),
    ("delivery.received", {"number": 17}, "number must be a text of 1-255 characters"),
    ("delivery.received", {"number": "x" * 256}, "number must be a text of 1-255 characters"),
    ("sale.completed", {"number": "17"}, "number must be a whole number"),
    ("sale.completed", {"number": 2**31}, "number is too large"),
    ("sale.completed", {"cashier": True}, "cashier must be a text"),
    ("sale.completed", {"cashier": ["a"]}, "cashier must be a text"),
    ("sale.completed", {"cashier": "c" * 65}, "cashier must be at most 64 characters"),
    ("sale.completed", {"n" * 65: 1}, "payload has a key that is not a short plain text"),
    ("sale.completed", {"meta": [["x" * 256]]}, "meta[0][0] must be at most 255 characters"),
    ("sale.completed", {"meta": [[10**15 + 1]]}, "meta[0][0] is too large"),
    ("sale.completed", {"meta": [[1.5]]}, "meta[0][0] must be a whole number (or a quantity "
                                           "as text like \"1.000\")"),
    ("sale.completed", {"meta": {"price": [1]}}, "meta.price must be a whole number"),
    ("sale.completed", {"meta": [{"price": True}]}, "meta[0].price must be a whole number"),
])
def test_what_the_fast_path_passes_on_is_still_refused(etype, extra, refused):
    base = delivery(1)["payload"] if etype == "delivery.received" else sale(1)["payload"]
    payload = json.loads(json.dumps({**base, **extra}), parse_float=Decimal)
    want = _outcome(lambda: _reference(etype, payload))
    assert _outcome(lambda: event_schema.check(etype, payload)) == want
    assert _outcome(lambda: event_schema.check(etype, payload, text_checked=True)) == want
    if refused is None:
        assert want[0] == "ok"
    else:
        assert f"{want[1]} {want[2]}" == refused


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), inner,
                      max_size=4), max_leaves=20)


@given(st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),
                       _json_values, max_size=6))
@settings(max_examples=300, deadline=None)
def test_the_fast_payload_text_is_the_standard_encoders_byte_for_byte(payload):
    """The digest covers this text: orjson's must be the standard library's, exactly
    (quotes, backslashes, control characters, U+2028, non-BMP, key order by code point)."""
    assert validate._payload_text(payload) == validate.canonical(payload)


def test_what_orjson_refuses_goes_the_standard_way():
    for odd in ({"a": Decimal("1.5")}, {"a": 2**70}, {"a": "\ud800"}):
        assert validate._payload_text(odd) == validate.canonical(odd)
