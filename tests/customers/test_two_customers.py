"""Two customers, two Canopsis sandboxes: each customer's events, with its own mapping, reach its
own Canopsis; one Canopsis down (or refusing the authkey) does not hold up the other's events."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from centreon_canopsis.core.config import from_mapping
from centreon_canopsis.core.pipeline import Pipeline
from centreon_canopsis.core.sources.base import Batch
from centreon_canopsis.standins.canopsis import Sandbox
from tests.customers.helpers import central_check, configuration, remote_check


@pytest.fixture
def sandboxes() -> Iterator[dict[str, Sandbox]]:
    started = {
        "top": Sandbox(resolve_delay=0, seed=0).start(),
        "acme": Sandbox(resolve_delay=0, seed=1).start(),
        "beta": Sandbox(resolve_delay=0, seed=2).start(),
    }
    yield started
    for sandbox in started.values():
        sandbox.stop()


def destination(sandbox: Sandbox) -> dict[str, Any]:
    settings = sandbox.connector_settings()
    return {key: settings[key] for key in ("canopsis_host", "canopsis_port", "sending_protocol")}


def make_pipeline(tmp_path: Path, sandboxes: dict[str, Sandbox], **top: Any) -> Pipeline:
    format_file = tmp_path / "beta-format.json"
    format_file.write_text(
        json.dumps({"neb_service_status": {"$extends": "builtin", "output": "beta: {short_output}"}})
    )
    raw = {
        **sandboxes["top"].connector_settings(),
        "state_dir": str(tmp_path / "state"),
        "canopsis_downtime_send_pbh": 0,
        "delivery": {"retry_initial_delay": 0.05, "retry_max_delay": 0.3},
        "metrics": {"enabled": False},
        "customers": [
            {
                "name": "acme",
                "pollers": "Central",
                **destination(sandboxes["acme"]),
                "connector": "acme-monitoring",
                "connector_name_type": "custom",
                "connector_name": "acme-central",
            },
            {
                "name": "beta",
                "pollers": "Remote",
                "hostgroups": ["Databases"],
                **destination(sandboxes["beta"]),
                "format_file": str(format_file),
            },
        ],
        **top,
    }
    env = {
        "CANOPSIS_AUTHKEY_ACME": sandboxes["acme"].authkey,
        "CANOPSIS_AUTHKEY_BETA": sandboxes["beta"].authkey,
    }
    pipeline = Pipeline(from_mapping(raw, env=env))
    pipeline.start()
    return pipeline


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def checks(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [event for event in sandbox.received_events() if event.get("event_type") == "check"]


def test_each_customer_gets_its_events_with_its_mapping(
    tmp_path: Path, sandboxes: dict[str, Sandbox]
) -> None:
    pipeline = make_pipeline(tmp_path, sandboxes)
    try:
        pipeline.process_batch(Batch([*configuration(), central_check(), remote_check()], origin="test"))
        assert pipeline.drain(20)
    finally:
        pipeline.close(5)
    (acme,) = checks(sandboxes["acme"])
    (beta,) = checks(sandboxes["beta"])
    assert checks(sandboxes["top"]) == []
    assert (acme["component"], acme["resource"]) == ("srv-web-01", "Ping")
    assert (acme["connector"], acme["connector_name"]) == ("acme-monitoring", "acme-central")
    assert acme["output"] == "CRITICAL - loss 100%"
    assert (beta["component"], beta["resource"]) == ("db-remote-01", "Disk")
    assert (beta["connector"], beta["connector_name"]) == ("centreon-stream", "Remote")
    assert beta["output"] == "beta: DISK CRITICAL"
    assert beta["state"] == 3  # $extends kept the builtin state mapping
    metrics = pipeline.context.metrics
    assert metrics.value("customer_events_total", customer="acme", outcome="queued") == 1
    assert metrics.value("customer_events_total", customer="beta", outcome="queued") == 1
    assert metrics.value("payloads_delivered_total", route="acme/event") == 1
    assert metrics.value("payloads_delivered_total", route="beta/event") == 1
    assert metrics.value("canopsis_responses_total", route="beta/event", status="200") == 1


def test_unmatched_events_use_the_top_level_or_are_dropped(
    tmp_path: Path, sandboxes: dict[str, Sandbox]
) -> None:
    # Only acme is declared: the Remote poller's host matches no customer.
    state = tmp_path / "drop-run"
    state.mkdir()
    pipeline = _only_acme(state, sandboxes, "drop")
    try:
        pipeline.process_batch(Batch([*configuration(), central_check(), remote_check()], origin="test"))
        assert pipeline.drain(20)
    finally:
        pipeline.close(5)
    assert checks(sandboxes["top"]) == []
    assert pipeline.context.metrics.value("events_dropped_total", reason="no_customer") == 1
    state = tmp_path / "send-run"
    state.mkdir()
    pipeline = _only_acme(state, sandboxes, "send")
    try:
        pipeline.process_batch(Batch([*configuration(), central_check(), remote_check()], origin="test"))
        assert pipeline.drain(20)
    finally:
        pipeline.close(5)
    (top,) = checks(sandboxes["top"])
    assert top["component"] == "db-remote-01" and top["connector"] == "centreon-stream"
    assert pipeline.context.metrics.value("customer_events_total", customer="-", outcome="queued") == 1


def _only_acme(work: Path, sandboxes: dict[str, Sandbox], unmatched: str) -> Pipeline:
    raw = {
        **sandboxes["top"].connector_settings(),
        "state_dir": str(work / "state"),
        "canopsis_downtime_send_pbh": 0,
        "metrics": {"enabled": False},
        "unmatched": unmatched,
        "customers": [{"name": "acme", "pollers": "Central", **destination(sandboxes["acme"])}],
    }
    pipeline = Pipeline(from_mapping(raw, env={"CANOPSIS_AUTHKEY_ACME": sandboxes["acme"].authkey}))
    pipeline.start()
    return pipeline


def test_one_canopsis_down_does_not_delay_the_other_customer(
    tmp_path: Path, sandboxes: dict[str, Sandbox]
) -> None:
    acme = sandboxes["acme"]
    port, authkey = acme.port, acme.authkey
    pipeline = make_pipeline(tmp_path, sandboxes)
    try:
        acme.stop()
        pipeline.process_batch(Batch([*configuration(), central_check(), remote_check()], origin="test"))
        # beta's event arrives while acme's Canopsis is down and its payload waits in its lane.
        assert wait_for(lambda: len(checks(sandboxes["beta"])) == 1)
        assert pipeline.outbox.depth("acme/events") == 1
        assert pipeline.context.metrics.value("payloads_retried_total", route="acme/event") >= 1
        # More beta events keep flowing, in order, while acme is still down.
        pipeline.process_batch(Batch([remote_check(state=0, last_check=1_700_000_300)], origin="test"))
        assert wait_for(lambda: len(checks(sandboxes["beta"])) == 2)
        assert [event["state"] for event in checks(sandboxes["beta"])] == [3, 0]
        assert pipeline.outbox.depth("acme/events") == 1
        # acme's Canopsis comes back on the same address: its payload is delivered.
        sandboxes["acme"] = Sandbox(port=port, authkey=authkey, resolve_delay=0, seed=1).start()
        assert pipeline.drain(30)
        (delivered,) = checks(sandboxes["acme"])
        assert delivered["connector"] == "acme-monitoring"
    finally:
        pipeline.close(5)


def test_a_wrong_authkey_of_one_customer_does_not_delay_the_other(
    tmp_path: Path, sandboxes: dict[str, Sandbox], caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = make_pipeline(tmp_path, sandboxes)
    wrong = "wrong-key-7d1e9b"
    try:
        config = pipeline.config.replace(
            customers=[
                {**customer, "settings": {**customer["settings"], "canopsis_authkey": _secret(wrong)}}
                if customer["name"] == "acme"
                else customer
                for customer in pipeline.config.customers
            ]
        )
    finally:
        pipeline.close(5)
    pipeline = Pipeline(config)
    pipeline.start()
    try:
        pipeline.process_batch(Batch([*configuration(), central_check(), remote_check()], origin="test"))
        assert wait_for(lambda: len(checks(sandboxes["beta"])) == 1)
        assert wait_for(
            lambda: (
                pipeline.context.metrics.value("canopsis_responses_total", route="acme/event", status="401")
                >= 1
            )
        )
        assert pipeline.outbox.depth("acme/events") == 1
        assert checks(sandboxes["acme"]) == []
    finally:
        pipeline.close(5)
    assert wrong not in caplog.text
    assert sandboxes["acme"].authkey not in caplog.text


def _secret(value: str) -> Any:
    from centreon_canopsis.core.secrets import REDACTOR, Secret

    secret = Secret(value)
    REDACTOR.add(secret)
    return secret


def test_replay_delivers_each_customer_to_its_canopsis(
    tmp_path: Path, sandboxes: dict[str, Sandbox], capsys, monkeypatch
) -> None:
    from centreon_canopsis.core.cli import main

    events = tmp_path / "events.jsonl"
    events.write_text(
        "\n".join(json.dumps(event) for event in [*configuration(), central_check(), remote_check()]) + "\n"
    )
    acme, beta = destination(sandboxes["acme"]), destination(sandboxes["beta"])
    path = tmp_path / "connector.toml"
    path.write_text(
        f"""
canopsis_host = "127.0.0.1"
canopsis_port = {sandboxes["top"].port}
sending_protocol = "http"
canopsis_authkey = "{sandboxes["top"].authkey}"
state_dir = "{tmp_path / "state"}"
canopsis_downtime_send_pbh = 0
unmatched = "drop"

[metrics]
enabled = false

[[customers]]
name = "acme"
pollers = "Central"
canopsis_port = {acme["canopsis_port"]}
connector = "acme-monitoring"

[[customers]]
name = "beta"
pollers = "Remote"
canopsis_port = {beta["canopsis_port"]}
"""
    )
    monkeypatch.setenv("CANOPSIS_AUTHKEY_ACME", sandboxes["acme"].authkey)
    monkeypatch.setenv("CANOPSIS_AUTHKEY_BETA", sandboxes["beta"].authkey)
    assert main(["replay", "-c", str(path), str(events), "--timeout", "30"]) == 0
    assert [e["connector"] for e in checks(sandboxes["acme"])] == ["acme-monitoring"]
    assert [e["component"] for e in checks(sandboxes["beta"])] == ["db-remote-01"]
    assert checks(sandboxes["top"]) == []
