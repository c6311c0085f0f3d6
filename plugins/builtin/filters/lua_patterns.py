"""Lua patterns (the syntax of ``accepted_hosts`` and ``accepted_services``) as Python regexes.

The Lua connector tests a name with ``string.match(name, pattern)``: unanchored, a match anywhere
in the name counts. :func:`compile_patterns` translates the patterns once, at start-up, into one
compiled regular expression used with ``search``. The translation follows Lua 5.3's matcher
(``lstrlib.c``) rule by rule, including its surprises, so that patterns users already have keep
selecting the same names:

- ``^`` anchors only as the first character and ``$`` only as the last; elsewhere they are
  ordinary characters;
- ``*``, ``+``, ``-`` (lazy ``*``) and ``?`` repeat only the single character class before them;
  anywhere else they are ordinary characters, so ``web-01`` means "``we``, as few ``b`` as
  possible, ``01``" and does not match the name ``web-01`` (write ``web%-01``);
- a ``]`` right after ``[`` or ``[^`` belongs to the set;
- classes are those of the C locale: only ASCII characters are letters, digits, spaces...

One difference: Lua works on bytes and Python on characters, so ``.`` matches one whole
non-ASCII character instead of one byte of it. ``%b`` and ``%f`` are refused.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

MAX_CODE = 0x10FFFF

Ranges = list[tuple[int, int]]


def _ranges_of(codes: Iterable[int]) -> Ranges:
    ranges: Ranges = []
    for code in sorted(set(codes)):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def _complement(ranges: Ranges) -> Ranges:
    result: Ranges = []
    start = 0
    for low, high in _merge(ranges):
        if low > start:
            result.append((start, low - 1))
        start = high + 1
    if start <= MAX_CODE:
        result.append((start, MAX_CODE))
    return result


def _merge(ranges: Ranges) -> Ranges:
    merged: Ranges = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


# The C locale's ctype classes (Lua's %a, %c, ...): ASCII only.
_CLASS_CHARS = {
    "a": string.ascii_letters,
    "c": "".join(map(chr, [*range(32), 127])),
    "d": string.digits,
    "g": "".join(map(chr, range(33, 127))),
    "l": string.ascii_lowercase,
    "p": string.punctuation,
    "s": " \t\n\v\f\r",
    "u": string.ascii_uppercase,
    "w": string.ascii_letters + string.digits,
    "x": string.hexdigits,
}
CLASSES: dict[str, Ranges] = {}
for _letter, _chars in _CLASS_CHARS.items():
    CLASSES[_letter] = _ranges_of(map(ord, _chars))
    CLASSES[_letter.upper()] = _complement(CLASSES[_letter])

QUANTIFIERS = {"*": "*", "+": "+", "-": "*?", "?": "?"}


class LuaPatternError(ValueError):
    """A pattern Lua would refuse, or one using syntax this translator does not support."""


@dataclass(frozen=True)
class Translation:
    regex: str
    captures: int
    #: Hyphens that Lua reads as "lazy repetition" between two letters or digits (``web-01``).
    suspicious_hyphens: tuple[str, ...] = ()


def _char(code: int) -> str:
    """One code point written safely inside a regex character set."""
    if code < 128 and chr(code).isalnum():
        return chr(code)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _set(ranges: Ranges, negate: bool = False) -> str:
    ranges = _merge(ranges)
    if not ranges:
        return "." if negate else "(?!)"  # [^] matches any character, [] none
    if ranges == [(0, MAX_CODE)]:
        return "(?!)" if negate else "."
    body = "".join(
        _char(low) if low == high else f"{_char(low)}{'' if high == low + 1 else '-'}{_char(high)}"
        for low, high in ranges
    )
    return f"[{'^' if negate else ''}{body}]"


def _class(letter: str, pattern: str, at: int) -> Ranges | None:
    """The ranges of ``%<letter>``: a class, None for an escaped punctuation character."""
    ranges = CLASSES.get(letter)
    if ranges is not None:
        return ranges
    if letter in "bf":
        name = "balanced match %b" if letter == "b" else "frontier %f"
        raise LuaPatternError(f"the {name} (at character {at + 1}) is not supported")
    if letter.isalnum():
        raise LuaPatternError(
            f"'%{letter}' (at character {at + 1}) is not a Lua character class "
            f"(classes: %a %c %d %g %l %p %s %u %w %x and their upper-case complements)"
        )
    return None


def _bracket(pattern: str, start: int) -> tuple[str, int]:
    """Translates the set ``[...]`` opening at ``start``; returns it and the index after it."""
    end_of = len(pattern)
    # Find the closing bracket as Lua's classEnd does: the first character is always part of
    # the set, and % escapes the next one.
    p = start + 1
    if p < end_of and pattern[p] == "^":
        p += 1
    while True:
        if p >= end_of:
            raise LuaPatternError(f"missing ']' for the set opened at character {start + 1}")
        char = pattern[p]
        p += 1
        if char == "%":
            if p >= end_of:
                raise LuaPatternError(f"missing ']' for the set opened at character {start + 1}")
            p += 1
        if p < end_of and pattern[p] == "]":
            break
    closing = p
    # Read the members as Lua's matchbracketclass does.
    ranges: Ranges = []
    p = start
    negate = pattern[p + 1] == "^"
    if negate:
        p += 1
    while True:
        p += 1
        if p >= closing:
            break
        char = pattern[p]
        if char == "%":
            p += 1
            members = _class(pattern[p], pattern, p - 1)
            ranges += members if members is not None else [(ord(pattern[p]), ord(pattern[p]))]
        elif pattern[p + 1] == "-" and p + 2 < closing:
            p += 2
            low, high = ord(pattern[p - 2]), ord(pattern[p])
            if low <= high:  # a reversed range matches nothing in Lua either
                ranges.append((low, high))
        else:
            ranges.append((ord(char), ord(char)))
    return _set(ranges, negate), closing + 1


def _single(pattern: str, at: int) -> tuple[str, int]:
    """One single-character class at ``at``: its regex and the index after it."""
    char = pattern[at]
    if char == ".":
        return ".", at + 1  # compiled with DOTALL: any character, line breaks included
    if char == "%":
        if at + 1 >= len(pattern):
            raise LuaPatternError("the pattern ends with '%'")
        letter = pattern[at + 1]
        members = _class(letter, pattern, at)
        if members is not None:
            return _set(members), at + 2
        return re.escape(letter), at + 2
    if char == "[":
        return _bracket(pattern, at)
    return re.escape(char), at + 1


def translate(pattern: str, group_offset: int = 0) -> Translation:
    """The Python regex for one Lua pattern; its back-references are shifted by ``group_offset``.

    Raises :class:`LuaPatternError` naming the problem and where it is.
    """
    out: list[str] = []
    size = len(pattern)
    at = 0
    if pattern.startswith("^"):
        out.append(r"\A")
        at = 1
    open_captures: list[int] = []  # capture numbers not closed yet
    closed: set[int] = set()
    positions: set[int] = set()
    count = 0
    suspicious: list[str] = []
    while at < size:
        char = pattern[at]
        if char == "(":
            count += 1
            if pattern[at + 1 : at + 2] == ")":  # a position capture: always matches
                positions.add(count)
                closed.add(count)
                out.append("()")
                at += 2
            else:
                open_captures.append(count)
                out.append("(")
                at += 1
            continue
        if char == ")":
            if not open_captures:
                raise LuaPatternError(f"')' at character {at + 1} closes no capture")
            closed.add(open_captures.pop())
            out.append(")")
            at += 1
            continue
        if char == "$" and at == size - 1:
            out.append(r"\Z")
            at += 1
            continue
        if char == "%" and at + 1 < size and pattern[at + 1].isdigit():
            number = int(pattern[at + 1])
            if number == 0 or number not in closed:
                raise LuaPatternError(f"'%{number}' at character {at + 1} refers to no closed capture")
            if number in positions:
                raise LuaPatternError(f"'%{number}' at character {at + 1} refers to a position capture")
            out.append(f"(?:\\{number + group_offset})")
            at += 2
            continue
        item, after = _single(pattern, at)
        if after < size and pattern[after] in QUANTIFIERS:
            if (
                pattern[after] == "-"
                and after - at == 1
                and char.isalnum()
                and after + 1 < size
                and pattern[after + 1].isalnum()
            ):
                suspicious.append(pattern[at : after + 2])
            out.append(item + QUANTIFIERS[pattern[after]])
            after += 1
        else:
            out.append(item)
        at = after
    if open_captures:
        raise LuaPatternError(f"the capture opened by '(' number {open_captures[-1]} is not closed")
    return Translation("".join(out), count, tuple(suspicious))


@dataclass(frozen=True)
class CompiledPatterns:
    """Several Lua patterns as one regex: a name is accepted when any of them matches it."""

    patterns: tuple[str, ...]
    regex: re.Pattern[str]
    warnings: tuple[str, ...] = ()

    def matches(self, name: str) -> bool:
        return self.regex.search(name) is not None


def compile_patterns(patterns: Iterable[str]) -> CompiledPatterns:
    """Translates and compiles patterns; raises :class:`LuaPatternError` naming the bad one."""
    parts: list[str] = []
    warnings: list[str] = []
    kept: list[str] = []
    offset = 0
    for pattern in patterns:
        try:
            translation = translate(pattern)
            re.compile(translation.regex, re.DOTALL)
        except LuaPatternError as error:
            raise LuaPatternError(f"{pattern!r} is not a valid Lua pattern: {error}") from None
        except re.error as error:  # a translation bug must still name the pattern
            raise LuaPatternError(f"{pattern!r} could not be translated: {error}") from None
        # In the combined regex, back-references count the groups of the patterns before.
        parts.append(translate(pattern, offset).regex if offset else translation.regex)
        offset += translation.captures
        kept.append(pattern)
        for piece in translation.suspicious_hyphens:
            warnings.append(
                f"in pattern {pattern!r}, {piece!r}: '-' after a character means 'as few of it as "
                f"possible' in Lua patterns, not a hyphen; write '%-' to match a hyphen"
            )
    if not parts:
        raise LuaPatternError("no pattern given")
    regex = parts[0] if len(parts) == 1 else "|".join(f"(?:{part})" for part in parts)
    return CompiledPatterns(tuple(kept), re.compile(regex, re.DOTALL), tuple(warnings))
