"""The generated BBDO 3 decoders (core/bbdo/pb.py, ``_compile``) give exactly what the reference
``MessageCodec.to_dict_slow`` gives, for every message type, on random messages and random bytes."""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.descriptor import FieldDescriptor as FD
from google.protobuf.message import Message
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.bbdo import DecodeError, pb
from centreon_canopsis.core.bbdo.pb import BA_STATUS_V23, PROTOBUF_TYPES, ProtobufEventType

EVENT_TYPES = [*PROTOBUF_TYPES.values(), BA_STATUS_V23]
IDS = [f"{t.name}-{t.message_cls.DESCRIPTOR.name}" for t in EVENT_TYPES]


def _forced(template_from: int) -> dict[int, tuple[Any, Any]]:
    """(decode, fields_of) of every type compiled with one way of building the dict, whatever
    its size: a dict display (huge threshold) or a template copy (threshold 0)."""
    saved = pb._TEMPLATE_FROM
    pb._TEMPLATE_FROM = template_from
    try:
        return {id(t): (pb._compile(t.codec, t), pb._compile(t.codec)) for t in EVENT_TYPES}
    finally:
        pb._TEMPLATE_FROM = saved


FORCED = {"display": _forced(10**9), "template": _forced(0)}

_U64_EDGES = [0, 1, 2**63 - 1, 2**63, 2**64 - 2, 2**64 - 1]
_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    FD.TYPE_BOOL: st.booleans(),
    FD.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FD.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FD.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    # above 2**63-1 often: those are the values read as negative numbers
    FD.TYPE_UINT64: st.one_of(
        st.sampled_from(_U64_EDGES), st.integers(0, 2**64 - 1), st.integers(2**63, 2**64 - 1)
    ),
    FD.TYPE_DOUBLE: st.floats(allow_nan=True, allow_infinity=True),
    FD.TYPE_ENUM: st.one_of(st.integers(0, 5), st.integers(-(2**31), 2**31 - 1)),  # open enums
    # not UTF-8 at all, or UTF-8 with multi-byte characters
    FD.TYPE_BYTES: st.one_of(
        st.binary(max_size=24),
        st.text(max_size=12).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.sampled_from([b"", b"caf\xe9", b"\xff\xfe\x00", b"\xed\xa0\x80"]),
    ),
}


def messages(desc: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """Messages of ``desc`` with each field unset or set (to any value, defaults included, so
    optional fields can be present with their default); sub-messages absent, empty or filled."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for fd in desc.fields:
        if fd.type == FD.TYPE_MESSAGE:
            sub = messages(fd.message_type, depth + 1) if depth < 3 else st.nothing()
            value = st.lists(sub, max_size=3) if fd.is_repeated else sub
        else:
            value = _SCALARS[fd.type]
        fields[fd.name] = st.one_of(st.none(), value)
    cls = message_factory.GetMessageClass(desc)
    return st.fixed_dictionaries(fields).map(lambda values: _build(cls, desc, values))


def _build(cls: type[Message], desc: Descriptor, values: dict[str, Any]) -> Message:
    msg = cls()
    for fd in desc.fields:
        value = values[fd.name]
        if value is None:
            continue
        if fd.type == FD.TYPE_MESSAGE:
            if fd.is_repeated:
                for item in value:
                    getattr(msg, fd.name).add().MergeFrom(item)
            else:
                getattr(msg, fd.name).SetInParent()  # present even when empty
                getattr(msg, fd.name).MergeFrom(value)
        else:
            setattr(msg, fd.name, value)
    return msg


def _shape(value: Any) -> Any:
    """``value`` with its types spelled out, so that True vs 1, 0.0 vs -0.0 or nan differ or match
    as they should; dict keys in order."""
    if isinstance(value, dict):
        return ("dict", [(k, _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_shape(v) for v in value])
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    return (type(value).__name__, value)


def _containers(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *(c for v in value.values() for c in _containers(v))]
    if isinstance(value, list):
        return [value, *(c for v in value for c in _containers(v))]
    return []


def assert_same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(got) == list(expected), "same keys in the same order"
    assert _shape(got) == _shape(expected)


def check_message(t: ProtobufEventType, msg: Message) -> None:
    codec = t.codec
    payload = msg.SerializeToString()
    parsed = t.message_cls.FromString(payload)
    reference = codec.to_dict_slow(parsed, t._prefix)
    assert_same(t.decode(payload), reference)
    assert_same(t.decode_generic(payload), reference)
    assert_same(codec.to_dict(parsed, t._prefix), reference)
    assert_same(codec.to_dict_generic(parsed, t._prefix), reference)
    assert_same(codec.fields_of(parsed), codec.to_dict_slow(parsed))
    assert_same(codec.to_dict(msg), codec.to_dict_slow(msg))  # the message as built, not parsed
    decoders = [t.decode, t.decode_python]
    assert_same(t.decode_python(payload), reference)
    for style, compiled in FORCED.items():  # both code shapes, for every message type
        decode, fields_of = compiled[id(t)]
        assert ("_template" in decode.__globals__) == (style == "template")
        assert_same(decode(payload), reference)
        assert_same(fields_of(parsed), codec.to_dict_slow(parsed))
        decoders.append(decode)
    for decode in decoders:  # fresh dicts and lists per event: nothing mutable is shared
        first, second = decode(payload), decode(payload)
        assert not {id(c) for c in _containers(first)} & {id(c) for c in _containers(second)}


def test_every_type_has_a_generated_decoder() -> None:
    styles = set()
    for t in EVENT_TYPES:  # decode_python: what the C accelerator falls back to, if it is built
        assert t.decode_python.__name__ == f"decode_{t.name}", t.name
        assert t.codec.fields_of.__name__.startswith("fields_of_"), t.name
        styles.add("_template" in t.decode_python.__globals__)
    assert styles == {True, False}, "both ways of building the dict are tested below"


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_decoder_equals_the_reference(t: ProtobufEventType, data: st.DataObject) -> None:
    check_message(t, data.draw(messages(t.message_cls.DESCRIPTOR)))


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
def test_empty_and_full_messages(t: ProtobufEventType) -> None:
    check_message(t, t.message_cls())  # empty payload: every default, no optional field
    full = _build(
        t.message_cls,
        t.message_cls.DESCRIPTOR,
        {fd.name: _full_value(fd) for fd in t.message_cls.DESCRIPTOR.fields},
    )
    check_message(t, full)
    decoded = t.decode(full.SerializeToString())
    for fd in t.message_cls.DESCRIPTOR.fields:
        if fd.type == FD.TYPE_UINT64:
            assert decoded[fd.name] == -1  # 2**64-1, as Lua shows it
        elif fd.type == FD.TYPE_BYTES:
            assert decoded[fd.name] == "caf\ufffd"
    assert set(decoded) == {
        "_type",
        "category",
        "element",
        *(fd.name for fd in t.message_cls.DESCRIPTOR.fields),
    }


def _full_value(fd: Any) -> Any:
    if fd.type == FD.TYPE_MESSAGE:
        sub = message_factory.GetMessageClass(fd.message_type)
        item = _build(sub, fd.message_type, {f.name: _full_value(f) for f in fd.message_type.fields})
        return [item, item] if fd.is_repeated else item
    return {
        FD.TYPE_BOOL: False,  # a default, so optional bools are present with their default
        FD.TYPE_UINT64: 2**64 - 1,
        FD.TYPE_BYTES: b"caf\xe9",
        FD.TYPE_DOUBLE: -0.0,
    }.get(fd.type, 7)


@pytest.mark.parametrize("t", EVENT_TYPES, ids=IDS)
@settings(max_examples=40, deadline=None)
@given(payload=st.binary(max_size=64))
@example(payload=b"\x0a\xff\xff")
@example(payload=b"\xff")
def test_random_bytes_decode_or_fail_alike(t: ProtobufEventType, payload: bytes) -> None:
    try:
        expected = t.codec.to_dict_slow(t.message_cls.FromString(payload), t._prefix)
    except Exception as exc:  # protobuf's DecodeError: ours must be raised, from it, same text
        with pytest.raises(DecodeError) as raised:
            t.decode(payload)
        assert str(raised.value) == f"{t.name}: {exc}"
        assert type(raised.value.__cause__) is type(exc)
        with pytest.raises(DecodeError) as generic:
            t.decode_generic(payload)
        assert str(generic.value) == str(raised.value)
        return
    assert_same(t.decode(payload), expected)


def _keyword_message() -> type[Message]:
    """A message whose field names are Python keywords: protobuf allows them, ``m.from`` does not
    compile, so its codec keeps the generic path."""
    fdp = descriptor_pb2.FileDescriptorProto(
        name="ccc_test_keywords.proto", package="ccc_test_keywords", syntax="proto3"
    )
    msg = fdp.message_type.add(name="Keywords")
    msg.field.add(name="from", number=1, type=FD.TYPE_UINT64, label=FD.LABEL_OPTIONAL)
    msg.field.add(name="class", number=2, type=FD.TYPE_BYTES, label=FD.LABEL_OPTIONAL)
    msg.oneof_decl.add(name="_lambda")
    msg.field.add(
        name="lambda",
        number=3,
        type=FD.TYPE_INT32,
        label=FD.LABEL_OPTIONAL,
        oneof_index=0,
        proto3_optional=True,
    )
    msg.field.add(name="plain", number=4, type=FD.TYPE_BOOL, label=FD.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("ccc_test_keywords.Keywords"))


def test_keyword_field_names_keep_the_generic_path() -> None:
    cls = _keyword_message()
    t = ProtobufEventType(99, 1, "keywords", cls)
    assert t.codec.fields_of == t.codec.to_dict_generic
    assert t.decode == t.decode_generic
    for values in ({}, {"from": 2**64 - 1, "class": b"caf\xe9", "lambda": 0, "plain": True}, {"lambda": 5}):
        payload = cls(**values).SerializeToString()
        expected = t.codec.to_dict_slow(cls.FromString(payload), t._prefix)
        assert_same(t.decode(payload), expected)
    assert t.decode(cls(**{"from": 2**64 - 1, "lambda": 0}).SerializeToString()) == {
        "_type": 99 << 16 | 1,
        "category": 99,
        "element": 1,
        "from": -1,
        "class": "",
        "plain": False,
        "lambda": 0,
    }
    with pytest.raises(DecodeError, match=r"^keywords: "):
        t.decode(b"\x0a\xff\xff")
