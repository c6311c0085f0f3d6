"""Plugins: a third-party package installed with pip, ordering, errors, the listing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from centreon_canopsis.core.cli import main
from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.pipeline import Pipeline, build_context
from centreon_canopsis.core.plugin_manager import PluginManager
from centreon_canopsis.core.sources.base import Batch
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.pipeline import deliver
from tests.support.recorder import Recorder

PACKAGE = Path(__file__).parent.parent.parent / "examples" / "plugin-package"


@pytest.fixture(scope="session")
def acme_site(tmp_path_factory):
    """The test plugin package, installed by pip into its own directory."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PACKAGE),
        ],
        check=True,
    )
    return target


@pytest.fixture
def acme_installed(acme_site, monkeypatch):
    monkeypatch.syspath_prepend(str(acme_site))
    yield
    sys.modules.pop("acme_comments", None)


def comment(service: bool = True):
    fields = dict(
        author="admin",
        type=1,
        data="disk replaced",
        deletion_time=0,
        entry_time=1_700_000_500,
        entry_type=1,
        expire_time=0,
        expires=False,
        host_id=15,
        internal_id=3,
        persistent=True,
        instance_id=1,
        source=0,
    )
    if service:
        fields["service_id"] = 47
    return ev.event(1, 35, **fields)


def test_installed_plugin_adds_an_event_type(tmp_path, acme_installed):
    with Recorder() as recorder:
        deliver(
            tmp_path,
            [*ev.v3_configuration(), comment()],
            recorder,
            accepted_elements="host_status,service_status,acknowledgement,comment",
            plugins={"acme_comments": {"prefix": "[centreon] "}},
        )
    assert recorder.events() == [
        {
            "event_type": "comment",
            "connector": "centreon-stream",
            "connector_name": "Central",
            "component": "srv-web-01",
            "author": "admin",
            "output": "[centreon] disk replaced",
            "resource": "Ping",
        }
    ]


def test_installed_plugin_is_listed_with_its_distribution(acme_installed, capsys):
    assert main(["plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    acme = next(line for line in lines if line.startswith("acme_comments"))
    assert "acme-canopsis-comments 0.1.0" in acme
    assert "connector_config_schema, connector_configure, connector_transform" in acme
    builtin = next(line for line in lines if line.startswith("host_status"))
    assert "builtin" in builtin


def test_plugin_settings_are_validated(tmp_path, acme_installed):
    with pytest.raises(ConfigError) as caught:
        build_context(make_config(tmp_path, plugins={"acme_comments": {"prefx": "x"}}))
    assert any("plugins.acme_comments" in e and "prefx" in e for e in caught.value.errors)


def test_settings_for_a_plugin_nobody_declares_are_an_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        build_context(make_config(tmp_path, plugins={"nobody": {"x": 1}}))
    assert caught.value.errors == ["[plugins.nobody]: no loaded plugin declares settings named 'nobody'"]


def test_a_builtin_plugin_can_be_disabled(tmp_path):
    with Recorder() as recorder:
        pipeline = deliver(
            tmp_path,
            [*ev.v3_configuration(), ev.v3_ack()],
            recorder,
            plugins={"disable": ["acknowledgement"]},
        )
    assert recorder.requests == []
    assert pipeline.context.metrics.value("events_dropped_total", reason="no_transform") == 1


def test_plugins_from_the_configuration_load_list(tmp_path, acme_site, monkeypatch):
    monkeypatch.syspath_prepend(str(acme_site))
    context = build_context(make_config(tmp_path, plugins={"load": ["acme_comments:CommentsPlugin"]}))
    assert context.plugins.infos["CommentsPlugin"].origin == "[plugins] load"


def test_a_plugin_that_fails_to_import_stops_start_up_with_its_name(tmp_path):
    with pytest.raises(ConfigError) as caught:
        build_context(make_config(tmp_path, plugins={"load": ["no_such_module:Plugin"]}))
    assert caught.value.errors == [
        "[plugins] load: 'no_such_module:Plugin' failed to load: PluginLoadError: cannot import "
        "'no_such_module': No module named 'no_such_module'"
    ]


class Exploding:
    @hookimpl(tryfirst=True)
    def connector_transform(self, event, element, context):
        if event.get("service_id") == 47:
            raise ValueError("boom")


def test_a_plugin_that_raises_is_named_and_the_stream_goes_on(tmp_path, caplog):
    plugins = PluginManager()
    plugins.load()
    plugins.register(Exploding(), name="exploding")
    with Recorder() as recorder:
        config = make_config(tmp_path / "state", recorder.port)
        pipeline = Pipeline(config, build_context(config, plugins))
        pipeline.start()
        pipeline.process_batch(Batch([*ev.v3_configuration(), ev.v3_service_status(), ev.v3_host_status()]))
        assert pipeline.drain(5)
        pipeline.close(2)
        assert [e["source_type"] for e in recorder.events()] == ["component"], "the host event still goes"
    assert (
        "plugin exploding raised in connector_transform: ValueError: boom, event pb_service_status "
        "host_id=15 service_id=47"
    ) in caplog.text
    connection = pipeline.store.connect()
    stage, reason, key = connection.execute("SELECT stage, reason, key FROM dead_letters").fetchone()
    assert (stage, key) == ("pipeline", "pb_service_status host_id=15 service_id=47")
    assert reason == "plugin exploding raised in connector_transform: ValueError: boom"


class ForceAccept:
    @hookimpl(tryfirst=True)
    def connector_accept(self, event, element, context):
        return True if event.get("host_id") == 15 else None


def test_accept_true_bypasses_later_filters(tmp_path):
    plugins = PluginManager()
    plugins.load()
    plugins.register(ForceAccept(), name="force")
    config = make_config(tmp_path)
    with Recorder() as recorder:
        config = make_config(tmp_path / "state", recorder.port)
        pipeline = Pipeline(config, build_context(config, plugins))
        pipeline.start()
        pipeline.process_batch(
            Batch([ev.v3_service_status()])
        )  # unknown host: skip_anon_events would drop it
        assert pipeline.drain(5)
        pipeline.close(2)
        assert len(recorder.events()) == 1


def test_builtin_filters_are_asked_in_the_documented_order():
    plugins = PluginManager()
    plugins.load()
    from centreon_canopsis.core.plugin_manager import BUILTIN_ORDER

    rows = plugins.implementations("connector_accept")
    first = [name for name, flags in rows if "tryfirst" in flags]
    plain = [name for name, flags in rows if not flags]
    assert rows[: len(first)] == [(name, "tryfirst") for name in first], "tryfirst ones are asked first"
    assert plain == [name for name in BUILTIN_ORDER if name in plain]
    assert plain[0] == "anonymous_events" and len(plain) >= 8


class TwoPayloadsOneBad:
    @hookimpl(tryfirst=True)
    def connector_transform(self, event, element, context):
        from centreon_canopsis.core.model import Payload

        if element.kind != "service_status":
            return None
        return [Payload("event", {"event_type": "check", "ok": True}), Payload("event", {"bad": object()})]


def test_an_event_whose_payload_cannot_be_encoded_queues_none_of_its_payloads(tmp_path):
    plugins = PluginManager()
    plugins.load()
    plugins.register(TwoPayloadsOneBad(), name="two")
    with Recorder() as recorder:
        config = make_config(tmp_path / "state", recorder.port)
        pipeline = Pipeline(config, build_context(config, plugins))
        pipeline.start()
        pipeline.process_batch(Batch([*ev.v3_configuration(), ev.v3_service_status(), ev.v3_host_status()]))
        assert pipeline.drain(5)
        pipeline.close(2)
        assert [e["source_type"] for e in recorder.events()] == ["component"], "only the host event"
    connection = pipeline.store.connect()
    (reason,) = connection.execute("SELECT reason FROM dead_letters").fetchone()
    assert reason.startswith("a payload cannot be encoded as JSON: TypeError")
