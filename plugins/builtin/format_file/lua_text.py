"""How Lua 5.3 writes values into text, for macros inside a longer string.

The Lua connector puts a macro's value into the template text with ``string.gsub``, which writes
numbers as Lua's ``tostring`` does: integers unchanged, floats with ``%.14g`` and ``.0`` added when
the result looks like an integer (``100.0``, ``0.0``, ``1e+15``). Python's ``str`` differs on
both counts (``100.0`` but ``0.1`` vs ``1e-06`` vs 17 digits), so it is written out here.
"""

from __future__ import annotations

import math

_INTEGER_CHARS = frozenset("-0123456789")


def lua_number_text(value: float) -> str:
    """``tostring(value)`` of a Lua 5.3 float."""
    if math.isnan(value):
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"  # C's printf, as Lua uses it
    text = f"{value:.14g}"
    if set(text) <= _INTEGER_CHARS:
        text += ".0"
    return text


def lua_text(value: object) -> str:
    """A macro value as the text the Lua connector would write (booleans as ``true``/``false``,
    where the Lua connector crashed: defect B8)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return lua_number_text(value)
    return str(value)
