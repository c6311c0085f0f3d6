"""The mixed fuzz soak (benchmarks/fuzz_soak.py), short: half a minute of hostile BBDO peers and a
JSON-lines feed with malformed lines, both daemons checked for life, memory and delivery.

``python benchmarks/fuzz_soak.py --minutes 10`` is the long form (the issue's acceptance run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_soak.py"


@pytest.mark.soak
@pytest.mark.timeout(240)
def test_half_a_minute_of_mixed_fuzz():
    done = subprocess.run(
        [sys.executable, str(SOAK), "--minutes", "0.5", "--rate", "100"],
        capture_output=True,
        text=True,
        timeout=230,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "OK: both daemons ran throughout" in done.stdout
    assert "hostile connections" in done.stdout
