"""A state database with random damage: the commands answer with exit codes scripts can rely on,
never a traceback, and ``statedb repair`` always gets the connector running again.

Random bytes of a real state database (outbox, dead letters, name cache, positions) are
overwritten, or the file is cut short; then ``run``, ``status``, ``statedb check``, ``statedb
repair`` and ``run`` again.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sqlite3
from pathlib import Path

import orjson
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from centreon_canopsis.core.cli import main
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.core.store import DB_NAME
from tests.delivery.helpers import configuration, statuses, write_config
from tests.support.config import make_config
from tests.support.recorder import Recorder


def build(state: Path) -> None:
    config = make_config(
        state, 1, hard_only=0, enable_service_status_dedup=0, delivery={"retry_initial_delay": 60}
    )
    pipeline = Pipeline(config)
    garbage = [{"category": 1, "element": 29, "host_id": "abc"}] * 20  # input dead letters
    pipeline.process_batch(Batch([*configuration(), *statuses(500), *garbage], origin="fuzz"))
    pipeline.close(1)
    connection = sqlite3.connect(state / DB_NAME)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def command(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue() + err.getvalue()


def test_random_damage(tmp_path):
    pristine = tmp_path / "pristine"
    build(pristine)
    size = (pristine / DB_NAME).stat().st_size
    events = tmp_path / "events.jsonl"
    events.touch()
    canopsis = Recorder().__enter__()
    config = str(
        write_config(
            tmp_path,
            canopsis.port,
            events,
            source={"type": "jsonl", "follow": False},
            delivery={"drain_timeout": 2},  # run drains what waits before it exits
        )
    )
    state = tmp_path / "state"
    seen: set[int] = set()

    @settings(
        max_examples=12,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a failure shows as drawn
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    # Found by this test: bytes of the schema text (a column type that is not UTF-8, a column
    # renamed), and of page 1's header.
    @example(writes=[(2950, b"\x80")], cut=None)
    @example(writes=[(2941, b"\x80")], cut=None)
    @example(writes=[(2939, b"\x80")], cut=None)
    @example(writes=[(137, b"\x80")], cut=None)
    @example(writes=[(262143, b"\x00")], cut=None)
    @given(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.binary(min_size=1, max_size=64)), min_size=1, max_size=20
        ),
        st.one_of(st.none(), st.integers(0, size)),
    )
    def damage(writes: list[tuple[int, bytes]], cut: int | None) -> None:
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(pristine, state)
        with open(state / DB_NAME, "r+b") as handle:
            for offset, data in writes:
                handle.seek(offset)
                handle.write(data)
            if cut is not None:
                handle.truncate(cut)
        code, output = command("run", "-c", config)
        # 1: it started, but a damaged outbox page could not be delivered within drain_timeout.
        assert code in (0, 1, 3) and "Traceback" not in output, output[-3000:]
        seen.add(code)
        code, output = command("status", "-c", config)
        assert code in (0, 3) and "Traceback" not in output, output[-3000:]
        code, output = command("statedb", "check", "-c", config)
        assert code in (0, 1) and "Traceback" not in output, output[-3000:]
        code, output = command("statedb", "repair", "-c", config)
        assert code == 0 and "Traceback" not in output, output[-3000:]
        assert command("statedb", "check", "-c", config)[0] == 0, "repaired"
        # Running again, and everything readable goes: delivered, or dead-lettered when the damage
        # changed a payload into one Canopsis refuses (then run says so with exit 1).
        code, output = command("run", "-c", config)
        assert code in (0, 1) and "Traceback" not in output, output[-3000:]
        code, output = command("status", "-c", config, "--json")
        assert code == 0 and orjson.loads(output)["outbox"]["items"] == 0, output[-3000:]

    try:
        damage()
    finally:
        canopsis.__exit__(None, None, None)
    assert 3 in seen, "some damage was found at start and refused with exit 3"
