"""Compiling format-file templates into functions, once, at start-up.

A template is a JSON value. Strings may hold ``{macro}`` tokens (the Lua connector's syntax);
``{"$expr": "<jmespath>"}`` computes a value. Compilation turns each node into a function of a
:class:`Resolver` (the event and its look-ups), so nothing is parsed per event, and reports every
problem with its place in the file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jmespath
import jmespath.exceptions

from centreon_canopsis.plugins.builtin.filters.lua_patterns import LuaPatternError, compile_patterns
from centreon_canopsis.plugins.builtin.format_file.catalogue import CACHE_FIELDS, did_you_mean
from centreon_canopsis.plugins.builtin.format_file.lua_text import lua_text
from centreon_canopsis.plugins.builtin.mapping import (
    HOST_STATE_NAMES,
    SERVICE_STATE_NAMES,
    before_last_line_break,
)

#: The characters the Lua connector accepts inside a macro.
TOKEN = re.compile(r"\{([A-Za-z0-9_.(),%+\-*?\[\]^$ ]+)\}")
GROUPS = re.compile(r"^groups\(\s*(hg|sg|bv)\s*,\s*(table|inline)\s*,\s*(.*?)\s*\)$")
FLAGS = ("_scdate", "_sctype", "_scstate", "_scshort", "_scnumber", "_scstring")
CACHE_TYPES = tuple(CACHE_FIELDS)
MISSING = object()

STATE_TYPES = {0: "SOFT", 1: "HARD"}
# A never-checked host is PENDING (4) too; state lists cannot name it, templates may show it.
HOST_STATES = {**HOST_STATE_NAMES, 4: "PENDING"}
SERVICE_STATES = SERVICE_STATE_NAMES

Node = Callable[["Resolver"], Any]


class TemplateError(ValueError):
    pass


class Resolver:
    """What a template may read about one event. Look-ups are done at most once per event."""

    __slots__ = ("_builtin", "_view", "element", "event", "source")

    def __init__(self, event: dict[str, Any], element: Any, source: Any) -> None:
        self.event = event
        self.element = element
        self.source = source  # the plugin: cache, options, builtin payload
        self._builtin: Any = MISSING
        self._view: Any = MISSING

    def builtin(self) -> dict[str, Any] | None:
        if self._builtin is MISSING:
            self._builtin = self.source.builtin_payload(self.event, self.element)
        return self._builtin

    def view(self) -> dict[str, Any]:
        """The whole data model as one dict, for JMESPath expressions."""
        if self._view is MISSING:
            view = dict(self.event)
            view.update(self.source.derived(self.event))
            view["cache"] = {name: self.source.cache_value(self, name) for name in CACHE_TYPES}
            view["canopsis"] = self.builtin() or {}
            self._view = view
        return self._view

    def field(self, name: str) -> Any:
        derived = self.source.derived_field(self.event, name)
        if derived is not MISSING:
            return derived
        return self.event.get(name, MISSING)


@dataclass
class Template:
    """One compiled template: ``render(resolver)`` -> the Canopsis event."""

    extends_builtin: bool
    node: Node
    uses_builtin: bool = False

    def render(self, resolver: Resolver) -> dict[str, Any] | None:
        body = self.node(resolver)
        if not self.extends_builtin:
            return body
        base = resolver.builtin()
        if base is None:
            return None
        merged = dict(base)
        for key, value in body.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged


@dataclass
class Compiler:
    """Compiles the templates of one file; collects errors instead of stopping at the first."""

    timestamp_format: str = "%Y-%m-%d %X"
    errors: list[str] = field(default_factory=list)
    uses_builtin: bool = False
    #: Field names of the element being compiled (None: not checked).
    fields: frozenset[str] | None = None

    def template(self, key: str, value: dict[str, Any], fields: frozenset[str] | None = None) -> Template:
        self.uses_builtin = False
        self.fields = fields
        body = {k: v for k, v in value.items() if k != "$extends"}
        extends = value.get("$extends") == "builtin"
        node = self._object(body, key, keep_nulls=extends)
        return Template(extends, node, self.uses_builtin or extends)

    # -- nodes -----------------------------------------------------------------------------

    def _node(self, value: Any, where: str) -> Node:
        if isinstance(value, str):
            return self._string(value, where)
        if isinstance(value, list):
            items = [self._node(item, f"{where}[{i}]") for i, item in enumerate(value)]
            return lambda r: [v for v in (item(r) for item in items) if v is not MISSING]
        if isinstance(value, dict):
            if set(value) == {"$expr"}:
                return self._expression(value["$expr"], where)
            return self._object(value, where)
        return lambda r, constant=value: constant

    def _object(self, value: dict[str, Any], where: str, keep_nulls: bool = False) -> Node:
        fields = [(key, self._node(item, f"{where}.{key}")) for key, item in value.items()]

        def render(resolver: Resolver) -> dict[str, Any]:
            result = {}
            for key, node in fields:
                item = node(resolver)
                if item is MISSING or (item is None and not keep_nulls):
                    continue  # a value that is not there: the key is left out, as Lua's nil
                result[key] = item
            return result

        return render

    def _expression(self, text: Any, where: str) -> Node:
        if not isinstance(text, str):
            self.errors.append(f"{where}: $expr must be a JMESPath expression (a string)")
            return lambda r: MISSING
        try:
            compiled = jmespath.compile(text)
        except jmespath.exceptions.ParseError as error:
            self.errors.append(f"{where}: invalid JMESPath expression {text!r}: {error}")
            return lambda r: MISSING
        self.uses_builtin = self.uses_builtin or "canopsis" in text

        def evaluate(resolver: Resolver) -> Any:
            result = compiled.search(resolver.view())
            return MISSING if result is None else result

        return evaluate

    def _string(self, text: str, where: str) -> Node:
        tokens = list(TOKEN.finditer(text))
        if not tokens:
            return lambda r: text
        if len(tokens) == 1 and tokens[0].span() == (0, len(text)):
            return self._macro(tokens[0].group(1), where)  # a whole value keeps its type (B8)
        parts: list[Node] = []
        position = 0
        for token in tokens:
            literal = text[position : token.start()]
            parts.append(lambda r, literal=literal: literal)
            parts.append(self._macro(token.group(1), where))
            position = token.end()
        tail = text[position:]
        parts.append(lambda r: tail)

        def join(resolver: Resolver) -> str:
            out = []
            for part in parts:
                value = part(resolver)
                if value is MISSING or value is None:
                    continue  # inside a text a missing value is empty
                out.append(_text(value))
            return "".join(out)

        return join

    # -- macros ----------------------------------------------------------------------------

    def _macro(self, token: str, where: str) -> Node:
        token = token.strip()
        groups = GROUPS.match(token)
        if groups is not None:
            return self._groups(*groups.groups(), where)
        flag = next((f for f in FLAGS if token.endswith(f)), None)
        name = token[: -len(flag)] if flag else token
        if name == "output" and flag == "_scshort":
            return lambda r: r.source.output_short(r.event)
        getter = self._getter(name, token, where)
        if flag is None:
            return getter
        convert = self._flag(flag)
        return lambda r: _apply(convert, getter(r), r)

    def _getter(self, name: str, token: str, where: str) -> Node:
        parts = name.split(".")
        if parts[0] == "cache":
            if len(parts) < 2 or parts[1] not in CACHE_TYPES:
                self.errors.append(
                    f"{where}: unknown cache macro {{{token}}}; cache types are {', '.join(CACHE_TYPES)}"
                )
                return lambda r: MISSING
            kind, rest = parts[1], parts[2:]
            allowed = CACHE_FIELDS[kind]
            if rest and (allowed is None or rest[0] not in allowed or len(rest) > 1):
                if allowed is None:
                    known = f"{{cache.{kind}}} has no fields"
                else:
                    known = "known: " + ", ".join(sorted(allowed))
                hint = did_you_mean(rest[0], allowed or ())
                self.errors.append(f"{where}: unknown cache macro {{{token}}}{hint} ({known})")
                return lambda r: MISSING
            return lambda r: _dig(r.source.cache_value(r, kind), rest)
        if parts[0] == "canopsis":
            self.uses_builtin = True
            rest = parts[1:]
            return lambda r: _dig(r.builtin(), rest)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", parts[0]):
            self.errors.append(f"{where}: invalid macro {{{token}}}")
            return lambda r: MISSING
        head, rest = parts[0], parts[1:]
        if self.fields is not None and head not in self.fields:
            hint = did_you_mean(head, self.fields)
            self.errors.append(f"{where}: unknown macro {{{token}}}: the event has no field {head!r}{hint}")
            return lambda r: MISSING
        return lambda r: _dig(r.field(head), rest)

    def _groups(self, kind: str, shape: str, pattern: str, where: str) -> Node:
        try:
            matcher = compile_patterns([pattern]) if pattern else None
        except LuaPatternError as error:
            self.errors.append(f"{where}: groups({kind},{shape},...): {error}")
            return lambda r: MISSING
        source = {"hg": "hostgroup_names", "sg": "servicegroup_names", "bv": "bv_names"}[kind]

        def groups(resolver: Resolver) -> Any:
            names = resolver.source.group_names(resolver, source)
            if matcher is not None:
                names = [name for name in names if matcher.matches(name)]
            return names if shape == "table" else ",".join(names)

        return groups

    def _flag(self, flag: str) -> Callable[[Any, Resolver], Any]:
        timestamp_format = self.timestamp_format
        if flag == "_scdate":
            return lambda v, r: time.strftime(timestamp_format, time.localtime(int(v)))
        if flag == "_sctype":
            return lambda v, r: STATE_TYPES.get(int(v), MISSING)
        if flag == "_scstate":
            return lambda v, r: r.source.state_text(r, int(v))
        if flag == "_scshort":
            return lambda v, r: before_last_line_break(_text(v))
        if flag == "_scnumber":
            return lambda v, r: _number(v)
        return lambda v, r: _text(v)


def _apply(convert: Callable[[Any, Resolver], Any], value: Any, resolver: Resolver) -> Any:
    if value is MISSING or value is None:
        return MISSING
    try:
        return convert(value, resolver)
    except (TypeError, ValueError, OverflowError, OSError):
        return MISSING


def _dig(value: Any, path: list[str]) -> Any:
    for part in path:
        if isinstance(value, dict):
            value = value.get(part, MISSING)
        else:
            return MISSING
    return MISSING if value is None else value


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() and not isinstance(value, float) else number


_text = lua_text
