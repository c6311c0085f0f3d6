"""The Lua pattern translator: Lua's string.match semantics, and the patterns it refuses."""

from __future__ import annotations

import random
import re

import pytest

from centreon_canopsis.plugins.builtin.filters.lua_patterns import (
    LuaPatternError,
    compile_patterns,
    translate,
)


def lua_match(pattern: str, subject: str) -> bool:
    return compile_patterns([pattern]).matches(subject)


MATCHES = [
    # (pattern, subject, string.match(subject, pattern) ~= nil)
    ("web", "srv-web-01", True),  # unanchored
    ("^web", "srv-web-01", False),
    ("^srv", "srv-web-01", True),
    ("01$", "srv-web-01", True),
    ("01$", "srv-web-01\n", False),  # $ is the very end, not before a final line break
    ("^srv%-web%-01$", "srv-web-01", True),
    # '-' after a character is a lazy repetition, not a hyphen: a common surprise, kept as in Lua.
    ("srv-web", "srv-web-01", False),
    ("srv-web", "srvweb", True),
    ("srv-web", "srvvvweb", True),
    ("a.c", "a\nc", True),  # . matches any character, line breaks too
    ("a.c", "ac", False),
    ("^%a+$", "Host", True),
    ("^%a+$", "Host1", False),
    ("^%a+$", "hôte", False),  # C locale: only ASCII letters are letters
    ("^%A+$", "123-é", True),
    ("^%d%d$", "42", True),
    ("^%D", "x42", True),
    ("^%l+$", "abc", True),
    ("^%l+$", "aBc", False),
    ("^%u%U", "Ab", True),
    ("^%s", "\tx", True),
    ("^%S", " x", False),
    ("^%w+$", "abc123", True),
    ("^%W", "_x", True),
    ("^%x+$", "deadBEEF09", True),
    ("^%x+$", "0xg", False),
    ("^%p+$", "!-_.", True),
    ("^%P", "a", True),
    ("^%c", "\x01", True),
    ("^%C", "a", True),
    ("^%g+$", "a!~", True),
    ("^%g", " ", False),
    ("%.", "a.b", True),
    ("%.", "ab", False),
    ("%%", "100%", True),
    ("%[", "[x]", True),
    ("^[abc]+$", "cab", True),
    ("^[^abc]", "dab", True),
    ("^[^abc]", "bad", False),
    ("^[a-c]+$", "abcabc", True),
    ("^[a-c]+$", "abcd", False),
    ("^[%d_]+$", "12_3", True),
    ("^[%a%-]+$", "srv-web", True),
    ("^[%D]+$", "abc", True),
    ("^[^%s]+$", "no-space", True),
    ("^[^%s]+$", "a space", False),
    ("[]]", "a]b", True),  # a ] right after [ belongs to the set
    ("[^]]", "]]]", False),
    ("^[a-]+$", "a-a", True),  # '-' at the end of a set is a plain character
    ("^[z-a]", "m", False),  # a reversed range matches nothing
    ("^[%]]", "]", True),
    ("^ab*c$", "ac", True),
    ("^ab*c$", "abbbc", True),
    ("^ab+c$", "ac", False),
    ("^ab?c$", "abc", True),
    ("^ab?c$", "abbc", False),
    ("^a.-c$", "abcbc", True),
    ("^(ab)*$", "ab*", True),  # a quantifier after ')' is a plain character
    ("^*", "*x", True),  # as is one at the start
    ("a^b", "a^b", True),  # ^ anchors only at the start
    ("a$b", "a$b", True),  # $ anchors only at the end
    ("^(a)(b)%2%1$", "abba", True),
    ("^(a)%1$", "ab", False),
    ("^()a", "a", True),  # position capture
    ("(%d)%1", "x1122", True),
    ("^é+$", "éé", True),  # one non-ASCII character, not one byte of it
    ("", "anything", True),
]


@pytest.mark.parametrize(("pattern", "subject", "expected"), MATCHES)
def test_lua_semantics(pattern, subject, expected):
    assert lua_match(pattern, subject) is expected


ERRORS = [
    ("web[", "missing ']'"),
    ("[^", "missing ']'"),
    ("[]", "missing ']'"),
    ("[a%", "missing ']'"),
    ("abc%", "ends with '%'"),
    ("(abc", "is not closed"),
    ("abc)", "closes no capture"),
    ("%b()", "balanced match %b"),
    ("%f[%w]", "frontier %f"),
    ("[%b]", "balanced match %b"),
    ("%q", "'%q' (at character 1) is not a Lua character class"),
    ("[%y]", "'%y'"),
    ("%1", "refers to no closed capture"),
    ("(a%1)", "refers to no closed capture"),
    ("(a)%0", "refers to no closed capture"),
    ("()%1", "position capture"),
]


@pytest.mark.parametrize(("pattern", "message"), ERRORS)
def test_invalid_patterns(pattern, message):
    with pytest.raises(LuaPatternError) as caught:
        compile_patterns([pattern])
    assert message in str(caught.value)
    assert repr(pattern) in str(caught.value)


def test_several_patterns_are_alternatives_with_their_own_back_references():
    compiled = compile_patterns(["^(x)%1$", "^(a)(b)%2%1$", "^db"])
    assert [compiled.matches(s) for s in ("xx", "abba", "db-01", "abab", "x")] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_suspicious_hyphens_are_reported():
    assert compile_patterns(["srv-web%-01", "^[a-z]+$", "a-"]).warnings == (
        "in pattern 'srv-web%-01', 'v-w': '-' after a character means 'as few of it as possible' in "
        "Lua patterns, not a hyphen; write '%-' to match a hyphen",
    )


def test_translation_is_a_plain_regex():
    assert translate("^srv%-%d+$").regex == r"\Asrv\-[0-9]+\Z"


# -- against real Lua, when the lupa package is installed ------------------------------------


def test_random_patterns_match_like_lua_5_3():
    lua53 = pytest.importorskip("lupa.lua53")
    lua = lua53.LuaRuntime()
    find = lua.eval(
        "function(s, p) local ok, r = pcall(string.find, s, p) "
        "if not ok then return 'error' end return r ~= nil end"
    )
    rng = random.Random(20240517)
    pattern_chars = "ab-01.%[]^$*+?()dDaAsSwWpPxXlLuUgG _:"
    subject_chars = "ab-01._ []^$*+?()%AZz:\n\t"
    compared = 0
    for _ in range(4000):
        pattern = "".join(rng.choice(pattern_chars) for _ in range(rng.randint(1, 7)))
        try:
            regex = re.compile(translate(pattern).regex, re.DOTALL)
        except LuaPatternError:
            continue  # malformed for Lua too (Lua only notices when its matcher gets there)
        for _ in range(4):
            subject = "".join(rng.choice(subject_chars) for _ in range(rng.randint(0, 8)))
            expected = find(subject, pattern)
            assert expected != "error", f"Lua refuses {pattern!r}, the translator accepts it"
            assert (regex.search(subject) is not None) is expected, (pattern, subject)
            compared += 1
    assert compared > 5000
