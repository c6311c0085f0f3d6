"""amqps:// with a CA and a client certificate; the AMQP password never printed."""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

import pytest

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.logsetup import setup_logging
from tests.amqp.conftest import _missing
from tests.amqp.helpers import amqp_pipeline, amqp_sandbox, process, wait_until
from tests.delivery.helpers import NO_FILTERS, configuration, seqs, statuses
from tests.support.config import make_config


def test_delivery_over_tls_with_a_client_certificate(tmp_path, broker, amqp_url):
    tls_url = os.environ.get("CANOPSIS_TEST_AMQPS_URL")
    if not tls_url:
        _missing("no TLS listener: CANOPSIS_TEST_AMQPS_URL is not set (.ci/rabbitmq configures one)")
    tls = {
        "ca_file": os.environ["CANOPSIS_TEST_AMQP_CA"],
        "cert_file": os.environ["CANOPSIS_TEST_AMQP_CLIENT_CERT"],
        "key_file": os.environ["CANOPSIS_TEST_AMQP_CLIENT_KEY"],
    }
    sandbox = amqp_sandbox(amqp_url, broker.exchange, broker.queue_name("fifo"))
    try:
        pipeline = amqp_pipeline(tmp_path, sandbox, tls_url, broker.exchange, amqp=tls, **NO_FILTERS)
        try:
            publisher = pipeline.context.plugins.get_plugin("amqp_sender").publisher
            assert publisher.parameters.ssl_options is not None
            assert publisher.parameters.port == 5671
            process(pipeline, configuration())
            process(pipeline, statuses(50))
            assert pipeline.drain(30)
        finally:
            pipeline.close(5)
        wait_until(lambda: set(seqs(sandbox.published_events())) >= set(range(50)), 30, "every event")
    finally:
        sandbox.stop()


def test_tls_refuses_a_server_the_ca_does_not_vouch_for(tmp_path, broker, amqp_url):
    tls_url = os.environ.get("CANOPSIS_TEST_AMQPS_URL")
    if not tls_url:
        _missing("no TLS listener: CANOPSIS_TEST_AMQPS_URL is not set (.ci/rabbitmq configures one)")
    import certifi

    from centreon_canopsis.standins.canopsis import Sandbox
    from tests.support.config import AUTHKEY

    with Sandbox(authkey=AUTHKEY, resolve_delay=0) as sandbox:
        config = make_config(
            tmp_path / "state",
            sandbox.port,
            amqp={"url": tls_url, "exchange": broker.exchange, "ca_file": certifi.where()},
        )
        from centreon_canopsis.core.pipeline import Pipeline

        pipeline = Pipeline(config)
        pipeline.start()
        try:
            publisher = pipeline.context.plugins.get_plugin("amqp_sender").publisher
            wait_until(lambda: "CERTIFICATE_VERIFY_FAILED" in publisher.state.last_error, 20, "a TLS error")
            assert not publisher.state.connected
        finally:
            pipeline.close(5)


PASSWORD = "amqp-Pa55word-never-shown"


@pytest.mark.parametrize("where", ["table", "url", "env", "file"])
def test_the_amqp_password_is_a_secret_everywhere(tmp_path, broker, amqp_url, where):
    parts = urlsplit(amqp_url)
    user = parts.username
    # A wrong password on purpose: the connection attempt fails and is logged, at debug level too.
    bare = f"amqp://{user}@{parts.hostname}:{parts.port}{parts.path}"
    amqp: dict = {"url": bare, "exchange": broker.exchange}
    env: dict = {}
    if where == "table":
        amqp["password"] = PASSWORD
    elif where == "url":
        amqp["url"] = f"amqp://{user}:{PASSWORD}@{parts.hostname}:{parts.port}{parts.path}"
    elif where == "env":
        env["CANOPSIS_AMQP_PASSWORD"] = PASSWORD
    else:
        (tmp_path / "amqp-password").write_text(PASSWORD + "\n")
        amqp["password_file"] = str(tmp_path / "amqp-password")
    raw = {
        "canopsis_host": "127.0.0.1",
        "canopsis_authkey": "test-authkey-5f3c2a",
        "state_dir": str(tmp_path / "state"),
        "log_level": 3,
        "logfile": str(tmp_path / "connector.log"),
        "canopsis_downtime_send_pbh": 0,
        "amqp": amqp,
    }
    config = config_module.from_mapping(raw, env=env)
    assert config.amqp["password"].reveal() == PASSWORD
    assert PASSWORD not in config.amqp["url"]
    for text in (repr(config.amqp), str(config.amqp), repr(config.as_dict()), str(config.as_dict())):
        assert PASSWORD not in text
    root = logging.getLogger()
    level = root.level
    handler = setup_logging(3, str(tmp_path / "connector.log"))
    try:
        from centreon_canopsis.core.pipeline import Pipeline

        pipeline = Pipeline(config)
        pipeline.start()
        try:
            sender = pipeline.context.plugins.get_plugin("amqp_sender")
            publisher = sender.publisher
            wait_until(lambda: publisher.state.last_error, 20, "the refused login")
            logging.getLogger("test").debug("settings: %s %r", config.amqp, publisher.parameters)
            logging.getLogger("test").error("leak attempt: %s", PASSWORD)
            assert PASSWORD not in repr(publisher.parameters) + repr(publisher.parameters.credentials)
            assert PASSWORD not in publisher.state.last_error
        finally:
            pipeline.close(5)
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
    log_text = (tmp_path / "connector.log").read_text()
    assert "AMQP" in log_text
    assert PASSWORD not in log_text
    assert "******" in log_text  # the deliberate leak was masked
