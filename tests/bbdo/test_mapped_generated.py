"""The generated BBDO 2 decoders (core/bbdo/mapped.py, ``_compile``) give exactly what the reference
``MappedEventType.decode_generic`` gives, for every mapped event type: the same dict (keys, order,
values and their types) or the same exception (type, message, type of its cause), on events the
encoder wrote, on payloads built field by field with any bytes in the text fields, and on
truncated or mutated payloads."""

from __future__ import annotations

import linecache
import math
import re
import struct
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.bbdo import DecodeError, mapped
from centreon_canopsis.core.bbdo.mapped import MAPPED_TYPES, MappedEventType, parse_spec

EVENT_TYPES = list(MAPPED_TYPES.values())
IDS = [t.name for t in EVENT_TYPES]
Decoder = Callable[[bytes], dict[str, Any]]


def compiled_as(t: MappedEventType, template_from: int) -> Decoder:
    """The decoder of ``t`` compiled with one way of building the dict, whatever its size: a dict
    display (huge threshold) or a template copy (threshold 0)."""
    saved = mapped._TEMPLATE_FROM
    mapped._TEMPLATE_FROM = template_from
    try:
        decode = mapped._compile(t)
    finally:
        mapped._TEMPLATE_FROM = saved
    assert decode is not None
    assert ("_template" in decode.__globals__) == (template_from == 0)
    return decode


STYLES = {"display": 10**9, "template": 0}
#: both code shapes of every type's decoder, whichever one the type uses
FORCED = {id(t): [compiled_as(t, threshold) for threshold in STYLES.values()] for t in EVENT_TYPES}


_FIXED = {"bool": "?", "short": "h", "int": "i", "uint": "I", "time": "q", "ulong": "Q"}
_RANGES = {
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "uint": (0, 2**32 - 1),
    "time": (-(2**63), 2**63 - 1),
    "ulong": (0, 2**64 - 1),
}
# the invalid values (0, -1) and the ends of each range, often
_EDGES = {kind: [0, 1, -1, low, high] for kind, (low, high) in _RANGES.items()}


def _integers(kind: str) -> st.SearchStrategy[int]:
    low, high = _RANGES[kind]
    edges = [v for v in _EDGES[kind] if low <= v <= high]
    return st.one_of(
        st.sampled_from(edges), st.integers(low, high), st.integers(-3, 3).filter(lambda v: low <= v)
    )


# Texts Broker's %f writes, and what a lenient strtod must still read (or read as 0.0): junk after
# a number, no number at all, spaces, signs alone, exponents, nan/inf spellings, Python-only forms
# (underscores, "infinity") that float() takes, more than 31 characters, non-ASCII digits.
_DOUBLE_TEXTS = [
    b"0.000000",
    b"99.500000",
    b"-0.000000",
    b"nan",
    b"-nan",
    b"inf",
    b"-inf",
    b"infinity",
    b"NaN",
    b"12abc",
    b"junk",
    b"",
    b" ",
    b" 1.5",
    b"1.5 ",
    b"+",
    b"-",
    b".",
    b".5",
    b"5.",
    b"1e5",
    b"1e",
    b"1e+",
    b"-1.5e-3x",
    b"1_000",
    b"0x1p3",
    b"1" * 40,
    b"10000000000000000000000000000000000000000.000000"[:31],
    "\u0661\u0662".encode(),
    b"\xff1.0",
]
_STRING_TEXTS = [b"", b"caf\xe9", b"\xff\xfe", b"\xed\xa0\x80", "caf\xe9 \u65e5\U0001f600".encode(), b"\xc3"]


def _text_bytes(wire_type: str) -> st.SearchStrategy[bytes]:
    """Any bytes but NUL (which ends the field), with the interesting ones often."""
    special = _DOUBLE_TEXTS if wire_type == "double" else _STRING_TEXTS
    return st.one_of(st.sampled_from(special), st.binary(max_size=40).map(lambda b: b.replace(b"\0", b"")))


def raw_payloads(t: MappedEventType) -> st.SearchStrategy[bytes]:
    """Payloads written field by field from the table, hidden fields included, with any value:
    bool bytes other than 0 and 1, text that is no number or no UTF-8; sometimes bytes after the
    last field (which Broker's decoder, and ours, ignore)."""
    parts: list[st.SearchStrategy[bytes]] = []
    for f in t.fields:
        if f.wire_type == "bool":
            parts.append(st.integers(0, 255).map(lambda v: bytes([v])))
        elif f.wire_type in _FIXED:
            parts.append(_integers(f.wire_type).map(struct.Struct(">" + _FIXED[f.wire_type]).pack))
        else:
            parts.append(_text_bytes(f.wire_type).map(lambda b: b + b"\0"))
    parts.append(st.one_of(st.just(b""), st.binary(max_size=8)))
    return st.tuples(*parts).map(b"".join)


def _double_values() -> st.SearchStrategy[float]:
    # large values: "%f" writes more than 31 characters, which Broker (and our encoder) truncate
    return st.one_of(st.floats(), st.floats(min_value=1e25, max_value=1e300), st.sampled_from([-0.0, 0.5]))


def _string_values() -> st.SearchStrategy[str]:
    # surrogateescape text: the encoder writes its bytes as they are, invalid UTF-8 included
    return st.one_of(
        st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=16),
        st.binary(max_size=12).map(lambda b: b.replace(b"\0", b"").decode("utf-8", "surrogateescape")),
    )


def events(t: MappedEventType) -> st.SearchStrategy[dict[str, Any]]:
    """Event dicts of ``t``, each visible field absent (the encoder writes its default) or set."""
    values: dict[str, st.SearchStrategy[Any]] = {}
    for f in t.fields:
        if f.visibility == "hidden":
            continue
        if f.wire_type == "bool":
            value: st.SearchStrategy[Any] = st.booleans()
        elif f.wire_type == "double":
            value = _double_values()
        elif f.wire_type == "string":
            value = _string_values()
        else:
            value = _integers(f.wire_type)
        values[f.name] = st.one_of(st.none(), value)
    base = {"category": t.category, "element": t.element}
    return st.fixed_dictionaries(values).map(
        lambda v: {**base, **{k: x for k, x in v.items() if x is not None}}
    )


def _shape(value: Any) -> Any:
    """``value`` with its types spelled out, so that True vs 1, 0.0 vs -0.0 or nan differ or match
    as they should; dict keys in order."""
    if isinstance(value, dict):
        return ("dict", [(k, _shape(v)) for k, v in value.items()])
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    return (type(value).__name__, value)


def outcome(decode: Decoder, payload: bytes) -> tuple[Any, ...]:
    try:
        return ("decoded", _shape(decode(payload)))
    except Exception as exc:
        return ("raised", type(exc), str(exc), type(exc.__cause__))


def check_payload(t: MappedEventType, payload: bytes) -> tuple[Any, ...]:
    """Every decoder of ``t`` (the one in use, both forced code shapes) against the reference, on
    the payload as bytes and as a bytearray; the reference's outcome."""
    expected = outcome(t.decode_generic, payload)
    forced = FORCED.get(id(t)) or [compiled_as(t, threshold) for threshold in STYLES.values()]
    decoders = [t.decode, *forced]
    for decode in decoders:
        assert outcome(decode, payload) == expected
        assert outcome(decode, bytearray(payload)) == outcome(t.decode_generic, bytearray(payload))
    if expected[0] == "decoded":  # a new dict per event: nothing shared between two decodes
        assert t.decode(payload) is not t.decode(payload)
    return expected


def test_every_type_has_a_generated_decoder() -> None:
    styles = set()
    for t in EVENT_TYPES:
        assert t.decode.__name__ == f"decode_{t.name}", t.name
        assert linecache.getlines(t.decode.__code__.co_filename), t.name
        styles.add("_template" in t.decode.__globals__)
    assert styles == {True, False}, "both ways of building the dict are in use"


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_encoded_events_decode_alike(t: MappedEventType, data: st.DataObject) -> None:
    assert check_payload(t, t.encode(data.draw(events(t))))[0] == "decoded"


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_raw_payloads_decode_alike(t: MappedEventType, data: st.DataObject) -> None:
    check_payload(t, data.draw(raw_payloads(t)))


_MUTATIONS = ("truncate", "flip", "delete", "insert_nul", "drop_nul", "garbage")


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_payloads_decode_or_fail_alike(t: MappedEventType, data: st.DataObject) -> None:
    payload = bytearray(data.draw(raw_payloads(t)))
    for _ in range(data.draw(st.integers(1, 3))):
        how = data.draw(st.sampled_from(_MUTATIONS))
        at = data.draw(st.integers(0, len(payload)))
        if how == "truncate":
            del payload[at:]
        elif how == "flip" and at < len(payload):
            payload[at] = data.draw(st.integers(0, 255))
        elif how == "delete" and at < len(payload):
            del payload[at]
        elif how == "insert_nul":
            payload.insert(at, 0)
        elif how == "drop_nul" and 0 in payload:
            del payload[payload.index(0, min(at, payload.rindex(0)))]
        elif how == "garbage":
            payload[at:at] = data.draw(st.binary(max_size=6))
    check_payload(t, bytes(payload))


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
@settings(max_examples=30, deadline=None)
@given(payload=st.binary(max_size=80))
@example(payload=b"")
@example(payload=b"\0" * 200)
@example(payload=b"\xff" * 200)
def test_random_bytes_decode_or_fail_alike(t: MappedEventType, payload: bytes) -> None:
    check_payload(t, payload)


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
def test_every_truncation_of_a_full_event(t: MappedEventType) -> None:
    """Cut anywhere: in a fixed-size run (payload too short), in a text field or on its NUL
    (unterminated text): same error, same offset in the message, raised from the same cause."""
    event = {f.name: _full_value(f.wire_type) for f in t.fields if f.visibility != "hidden"}
    payload = t.encode({"category": t.category, "element": t.element, **event})
    messages = set()
    for cut in range(len(payload)):
        result = check_payload(t, payload[:cut])
        assert result[:2] == ("raised", DecodeError)
        messages.add(re.sub(r"\d+", "N", result[2]))
    # a cut at the start of each field meets that field's error
    expected = set()
    if any(f.wire_type in _FIXED for f in t.fields):
        expected.add(f"{t.name}: payload too short (N bytes)")
    if any(f.wire_type not in _FIXED for f in t.fields):
        expected.add(f"{t.name}: unterminated text field at payload offset N")
    assert messages == expected
    assert check_payload(t, payload)[0] == "decoded"


def _full_value(wire_type: str) -> Any:
    return {"bool": True, "double": 1e40, "string": "caf\xe9 \udcff", "time": -1}.get(wire_type, 7)


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
def test_invalid_values_and_defaults(t: MappedEventType) -> None:
    """The event with no field set (every field at its invalid value or default), then with every
    field at 0 and at -1 where the type allows it: the z and m fields come and go alike."""
    base = {"category": t.category, "element": t.element}
    check_payload(t, t.encode(base))
    for value in (0, -1):
        fixed = {
            f.name: value
            for f in t.fields
            if f.visibility != "hidden" and f.wire_type in _RANGES and _RANGES[f.wire_type][0] <= value
        }
        check_payload(t, t.encode({**base, **fixed}))


def _payload(t: MappedEventType, texts: dict[int, bytes]) -> bytes:
    """The payload of ``t`` with every field at its default, but the text fields in ``texts``
    (by table index) holding those bytes."""
    parts = []
    for index, f in enumerate(t.fields):
        if f.wire_type in _FIXED:
            parts.append(struct.pack(">" + _FIXED[f.wire_type], f.default))
        else:
            parts.append(texts.get(index, b"0.000000" if f.wire_type == "double" else b"") + b"\0")
    return b"".join(parts)


_WITH_TEXT = [t for t in EVENT_TYPES if any(f.wire_type in ("string", "double") for f in t.fields)]


@pytest.mark.parametrize("t", _WITH_TEXT, ids=[t.name for t in _WITH_TEXT])
def test_every_special_text_in_every_text_field(t: MappedEventType) -> None:
    """Each of the texts above (both lists: a double field may hold any text, a string field
    may hold a number) in each text field, the others at their default: no luck needed to meet
    the lenient double parsing or the bad UTF-8."""
    for index, f in enumerate(t.fields):
        if f.wire_type in _FIXED:
            continue
        for text in (*_DOUBLE_TEXTS, *_STRING_TEXTS):
            assert check_payload(t, _payload(t, {index: text}))[0] == "decoded"


def test_errors_name_the_type_and_the_offset() -> None:
    t = MAPPED_TYPES[1 << 16 | 24]  # service_status: bool, short, bool, then a double at offset 4
    with pytest.raises(DecodeError, match=r"^service_status: payload too short \(3 bytes\)$") as short:
        t.decode(b"\0\0\0")
    assert isinstance(short.value.__cause__, struct.error)
    with pytest.raises(DecodeError, match=r"^service_status: unterminated text field at payload offset 4$"):
        t.decode(b"\0\0\0\0" + b"1.5")
    # the traceback shows the generated line that raised
    frames = traceback.extract_tb(short.value.__traceback__)
    assert frames[-1].name == "decode_service_status" and "_DecodeError" in (frames[-1].line or "")


def _table(spec: str) -> MappedEventType:
    return MappedEventType(99, 1, "synthetic", parse_spec(spec))


@pytest.mark.parametrize(
    "spec",
    [
        "",  # no field at all (stop)
        "a uint z\n@b string\nc time m\n-d short\n@e uint z",  # flags on a wire-only field
        "category uint z\n@element string\nx double",  # fields named like the prefix keys
        "-h bool\n-g string\na bool",  # hidden fields first
        "\n".join(f"f{i} {'string' if i % 3 else 'int'} {'z' if i % 4 == 0 else ''}" for i in range(25)),
    ],
)
def test_synthetic_tables_decode_alike(spec: str) -> None:
    t = _table(spec)
    assert t.decode.__name__ == "decode_synthetic"
    check_payload(t, t.encode({"category": 99, "element": 1}))
    check_payload(t, t.encode({"category": 0, "element": 0, "a": 3, "b": "x", "f0": 5, "x": 1.5}))
    for payload in (t.encode({}), t.encode({"category": 0, "a": 1}), b"\0" * 3, b""):
        check_payload(t, payload)


def test_tables_the_generator_leaves_to_the_generic_path() -> None:
    # two visible fields of one name: the generic path's zip gives the later value the earlier place
    twice = _table("a uint\n@a string")
    assert twice.decode == twice.decode_generic
    assert twice.decode(b"\0\0\0\x05x\0") == {"_type": 99 << 16 | 1, "category": 99, "element": 1, "a": "x"}
    # a flag on a hidden field: the generic path looks its name up in the dict, and fails
    hidden = _table("a uint\n-b uint z")
    assert hidden.decode == hidden.decode_generic
    with pytest.raises(KeyError):
        hidden.decode(b"\0" * 8)
