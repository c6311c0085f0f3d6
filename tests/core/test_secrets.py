"""The authkey and the proxy password never appear in a log line, an error or a repr, at any level."""

from __future__ import annotations

import base64
import json
import socket
from urllib.parse import quote

import pytest

from centreon_canopsis.core.cli import main
from centreon_canopsis.core.secrets import MASK, Redactor, Secret
from centreon_canopsis.plugins.builtin.canopsis.client import CanopsisClient
from tests.support import events as ev
from tests.support.config import make_config
from tests.support.recorder import Answer, Recorder

AUTHKEY = "Sup3r-S3cret-Auth/Key+="
PROXY_PASSWORD = "pr0xy:P@ss/word"


def forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), base64.b64encode(f"admin:{secret}".encode()).decode()]


def write_config(tmp_path, port, **extra) -> str:
    lines = [
        'canopsis_host = "127.0.0.1"',
        f"canopsis_port = {port}",
        'sending_protocol = "http"',
        f"canopsis_authkey = {json.dumps(AUTHKEY)}",
        f'state_dir = "{tmp_path / "state"}"',
        f'logfile = "{tmp_path / "connector.log"}"',
        "log_level = 3",
        "log_curl_commands = 1",
        "connection_timeout = 2",
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    lines += [
        "[delivery]",
        "retry_initial_delay = 0.05",
        "retry_max_delay = 0.1",
        "failed_event_attempts = 1",
    ]
    path = tmp_path / "connector.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def events_file(tmp_path) -> str:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in [*ev.v3_configuration(), ev.v3_service_status()]))
    return str(path)


def test_debug_logs_and_curl_commands_mask_the_authkey(tmp_path):
    def echo_key(request):  # a server that puts the key in its error body
        return Answer(400, {"error": f"bad key {request.headers['x-canopsis-authkey']}"})

    with Recorder(echo_key) as recorder:
        code = main(
            ["replay", "-c", write_config(tmp_path, recorder.port), events_file(tmp_path), "--timeout", "5"]
        )
        assert recorder.requests[0].headers["x-canopsis-authkey"] == AUTHKEY, "the real key is sent"
    assert code == 1, "the event was dead-lettered"
    log = (tmp_path / "connector.log").read_text()
    assert "curl" in log and f"x-canopsis-authkey: {MASK}" in log, "curl commands are logged, key masked"
    assert "DEBUG" in log and "bad key ******" in log
    for form in forms(AUTHKEY):
        assert form not in log


def test_proxy_errors_mask_the_proxy_password(tmp_path):
    # Held bound but not listening for the whole test: connections are refused, and no other
    # test's stand-in can take the port in between (one answered 407 here once).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        proxy_port = closed.getsockname()[1]
        config = write_config(
            tmp_path,
            9,
            proxy_address="127.0.0.1",
            proxy_port=proxy_port,
            proxy_username="admin",
            proxy_password=PROXY_PASSWORD,
        )
        assert main(["replay", "-c", config, events_file(tmp_path), "--timeout", "1"]) == 1
    log = (tmp_path / "connector.log").read_text()
    assert "ProxyError" in log or "ConnectionError" in log, "the proxy failure is logged"
    for secret in (AUTHKEY, PROXY_PASSWORD):
        for form in forms(secret):
            assert form not in log


def test_reprs_and_strings_hide_secrets(tmp_path):
    config = make_config(
        tmp_path,
        canopsis_authkey=AUTHKEY,
        proxy_address="p",
        proxy_port=3128,
        proxy_username="admin",
        proxy_password=PROXY_PASSWORD,
    )
    client = CanopsisClient.from_config(config)
    shown = " ".join(
        [
            repr(config),
            repr(config.as_dict()),
            repr(client),
            repr(vars(client)),
            str(config.canopsis_authkey),
            f"{config.proxy_password}",
            repr(config.proxy_password),
        ]
    )
    for secret in (AUTHKEY, PROXY_PASSWORD):
        assert secret not in shown
    curl = client.curl("POST", "http://c/api/v4/event", {"x-canopsis-authkey": AUTHKEY}, b"[]")
    assert AUTHKEY not in curl and PROXY_PASSWORD not in curl and MASK in curl


def test_validate_show_masks_secrets(tmp_path, capsys):
    assert (
        main(
            [
                "validate",
                "-c",
                write_config(tmp_path, 1, proxy_address="p", proxy_port=1, proxy_password=PROXY_PASSWORD),
                "--show",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert AUTHKEY not in out and PROXY_PASSWORD not in out and '"canopsis_authkey": "******"' in out


def test_secret_cannot_be_pickled():
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Secret("x"))


def test_redactor_masks_encoded_forms():
    redactor = Redactor()
    redactor.add(Secret(PROXY_PASSWORD), user="admin")
    text = " ".join(forms(PROXY_PASSWORD))
    assert redactor.redact(text) == " ".join([MASK] * 3)
