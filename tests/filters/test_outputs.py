"""The output options: the builtin payloads, and the output format-file templates see."""

from __future__ import annotations

import pytest

from centreon_canopsis.core.events import check_event
from centreon_canopsis.plugins.builtin.mapping import OutputOptions, template_output, template_output_short
from tests.support.config import make_config

TWO_LINES = {"output": "CRITICAL - loss 100%", "long_output": "rta nan\nlost 5/5"}  # BBDO 3
JOINED = {"output": "CRITICAL - loss 100%\nrta nan\nlost 5/5"}  # BBDO 2: one text
CRLF = {"output": "WARNING - disk\r\n/ 91%\r\n/var 95%"}
ONE_LINE = {"output": "OK - fine"}
ACCENTS = {"output": "CRITIQUE - mémoire épuisée", "long_output": "détails"}

CASES = [
    # (event, options, expected template output)
    # BBDO 3: the event's output, the first line, as in the Lua connector (issue 14 item 5)
    (TWO_LINES, OutputOptions(), "CRITICAL - loss 100%"),
    (TWO_LINES, OutputOptions(remove_line_break=False), "CRITICAL - loss 100%"),
    (TWO_LINES, OutputOptions(use_long_output=False), "CRITICAL - loss 100%"),
    (TWO_LINES, OutputOptions(size_limit=8), "CRITICAL"),
    # BBDO 2: the whole text, line breaks replaced (the Lua connector kept them: a documented fix)
    (JOINED, OutputOptions(), "CRITICAL - loss 100% rta nan lost 5/5"),
    (CRLF, OutputOptions(), "WARNING - disk / 91% /var 95%"),
    (JOINED, OutputOptions(line_break_replacement=" | "), "CRITICAL - loss 100% | rta nan | lost 5/5"),
    (JOINED, OutputOptions(line_break_replacement=""), "CRITICAL - loss 100%rta nanlost 5/5"),
    (JOINED, OutputOptions(remove_line_break=False), "CRITICAL - loss 100%\nrta nan\nlost 5/5"),
    # the first line, not everything before the last line break as in Lua (B12: never used there)
    (JOINED, OutputOptions(use_long_output=False), "CRITICAL - loss 100%"),
    (CRLF, OutputOptions(use_long_output=False, remove_line_break=False), "WARNING - disk"),
    (ONE_LINE, OutputOptions(), "OK - fine"),
    (ONE_LINE, OutputOptions(size_limit=4), "OK -"),
    (JOINED, OutputOptions(size_limit=22), "CRITICAL - loss 100% r"),  # cut after replacing
    (ACCENTS, OutputOptions(size_limit=16), "CRITIQUE - mémo"),  # 'é' is 2 bytes: kept whole
    (ACCENTS, OutputOptions(size_limit=13), "CRITIQUE - m"),  # never half of "é"
    (ACCENTS, OutputOptions(size_limit=0), ""),
    ({}, OutputOptions(), ""),
    ({"output": None}, OutputOptions(), ""),
]

SHORT_CASES = [
    # {output_scshort}: BBDO 2 the text before the last line break, as in Lua (issue 14 item 6)
    (JOINED, OutputOptions(), "CRITICAL - loss 100%\nrta nan"),
    (CRLF, OutputOptions(), "WARNING - disk\r\n/ 91%\r"),
    (JOINED, OutputOptions(size_limit=25), "CRITICAL - loss 100%"),  # cut first, as Lua
    (JOINED, OutputOptions(use_long_output=False), "CRITICAL - loss 100%"),
    # BBDO 3 (no line break): the output; the Lua connector left "{output_scshort}" in the payload
    (TWO_LINES, OutputOptions(), "CRITICAL - loss 100%"),
    (ONE_LINE, OutputOptions(), "OK - fine"),
]


@pytest.mark.parametrize(("event", "options", "expected"), SHORT_CASES)
def test_template_output_short(event, options, expected):
    assert template_output_short(event, options) == expected


@pytest.mark.parametrize(("event", "options", "expected"), CASES)
def test_template_output(event, options, expected):
    assert template_output(event, options) == expected


def test_options_come_from_the_configuration(tmp_path):
    config = make_config(
        tmp_path,
        use_long_output="0",
        remove_line_break_in_output=0,
        output_line_break_replacement_character="/",
        output_size_limit="10",
    )
    assert OutputOptions.from_config(config) == OutputOptions(False, False, "/", 10)
    assert OutputOptions.from_config(make_config(tmp_path)) == OutputOptions(True, True, " ", None)


def test_builtin_payloads_send_the_first_line_cut_and_the_whole_text(harness):
    h = harness(output_size_limit=16)
    fields = ACCENTS if h.bbdo == 3 else {"output": "CRITIQUE - mémoire épuisée\ndétails"}
    event = h.host_status(state=1, **fields)
    element = h.context.registry.by_type[check_event(event)]
    (payload,) = h.context.hook.connector_transform(event=event, element=element, context=h.context)
    assert payload.body["output"] == "CRITIQUE - mémo"
    assert payload.body["long_output"] == "CRITIQUE - mémoire épuisée\ndétails"
