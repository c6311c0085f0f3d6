"""Random values for every key of the configuration schema: ``validate`` answers 0 (valid) or 2
(what is wrong), never a traceback.

Each key of schemas/config.schema.json (nested tables included) gets each wrong JSON type in turn,
all keys at once, then hypothesis picks keys and values at random.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.cli import main

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "config.schema.json").read_text(encoding="utf-8")
)
BASE = {"canopsis_host": "canopsis.example.com", "canopsis_authkey": "fuzz-authkey"}
WRONG: tuple[Any, ...] = (
    "",
    "abc",
    "\u0000",
    "x\ny",
    "é" * 3000,
    -1,
    0,
    2**63 - 1,
    1.5,
    math.inf,
    True,
    [],
    ["a", 1],
    {},
    {"a": {"b": 1}},
)


def schema_keys(
    properties: dict[str, Any] | None = None, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = []
    for name, spec in (properties if properties is not None else SCHEMA["properties"]).items():
        found.append((*prefix, name))
        if isinstance(spec, dict) and isinstance(spec.get("properties"), dict):
            found += schema_keys(spec["properties"], (*prefix, name))
    return found


KEYS = schema_keys()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "inf"
            if value == math.inf
            else "-inf"
            if value == -math.inf
            else "nan"
            if value != value
            else repr(value)
        )
    if isinstance(value, str):
        escaped = "".join(
            f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '"\\' or ord(c) == 0x7F else c for c in value
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def write(tmp_path: Path, values: dict[tuple[str, ...], Any]) -> Path:
    """Dotted keys at the top level (a table given a scalar and sub-keys is itself invalid TOML)."""
    lines = [f"{name} = {toml_value(value)}" for name, value in BASE.items()]
    lines.append(f"state_dir = {toml_value(str(tmp_path / 'state'))}")
    for path, value in values.items():
        lines.append(".".join(toml_value(part) for part in path) + f" = {toml_value(value)}")
    target = tmp_path / "fuzz.toml"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def validate(path: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", "-c", str(path)])
    return code, out.getvalue() + err.getvalue()


def assert_answered(path: Path) -> int:
    code, output = validate(path)
    assert code in (0, 2), (code, output[-2000:])
    assert "Traceback" not in output, output[-2000:]
    if code == 2:
        assert output.strip(), "an invalid configuration says what is wrong"
    return code


def test_the_schema_is_walked():
    assert len(KEYS) > 100 and ("source", "port") in KEYS and ("delivery", "max_outbox_events") in KEYS


def test_every_key_with_each_wrong_type_at_once(tmp_path):
    codes = set()
    for value in WRONG:
        leaves = {key: value for key in KEYS if not any(key[: len(k)] == k and k != key for k in KEYS)}
        codes.add(assert_answered(write(tmp_path, leaves)))
    assert codes == {2}


def test_every_key_alone_with_a_wrong_value(tmp_path):
    for index, key in enumerate(KEYS):
        assert_answered(write(tmp_path, {key: WRONG[index % len(WRONG)]}))


JSON = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def test_random_keys_with_random_values(tmp_path):
    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.dictionaries(st.sampled_from(KEYS), JSON, min_size=1, max_size=4))
    def check(values: dict[tuple[str, ...], Any]) -> None:
        assert_answered(write(tmp_path, values))

    check()
