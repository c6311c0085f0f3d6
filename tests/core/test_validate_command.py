"""``validate`` refuses what ``run`` would fail on, and reports every problem of every stage at
once (issue 10 item 11)."""

from __future__ import annotations

import pytest

from centreon_canopsis.core.cli import main
from centreon_canopsis.core.config import ConfigError
from tests.support.config import make_config

BASE = 'canopsis_authkey = "k3y"\nstate_dir = "state"\n'
HOST = 'canopsis_host = "canopsis.example.com"\n'


def validate(tmp_path, capsys, text: str) -> tuple[int, str, str]:
    path = tmp_path / "c.toml"
    path.write_text(BASE + text)
    code = main(["validate", "-c", str(path)])
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, out.out, out.err


def test_files_the_daemon_opens_must_exist(tmp_path, capsys):
    text = (
        HOST + 'ca_file = "ca.pem"\n[source]\ntype = "bbdo"\ntls_cert = "/no/cert.pem"\ntls_key = "key.pem"\n'
    )
    code, _, err = validate(tmp_path, capsys, text)
    assert code == 2
    assert f"ca_file = '{tmp_path}/ca.pem' cannot be read: No such file or directory" in err
    assert "source.tls_cert = '/no/cert.pem' cannot be read: No such file or directory" in err
    assert f"source.tls_key = '{tmp_path}/key.pem' cannot be read" in err


def test_existing_files_pass(tmp_path, capsys):
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    text = HOST + 'ca_file = "ca.pem"\n[source]\ntype = "bbdo"\ntls_cert = "cert.pem"\ntls_key = "key.pem"\n'
    assert validate(tmp_path, capsys, text)[0] == 0


@pytest.mark.parametrize(
    ("host", "message"),
    [
        (
            "http://canopsis.example.com",
            "canopsis_host = 'http://canopsis.example.com' must be a host name without scheme: write "
            "canopsis_host = 'canopsis.example.com', sending_protocol = 'http'",
        ),
        (
            "https://canopsis.example.com:8443/api",
            "write canopsis_host = 'canopsis.example.com', sending_protocol = 'https', canopsis_port = 8443",
        ),
        (
            "canopsis.example.com:8443",
            "write canopsis_host = 'canopsis.example.com' and canopsis_port = 8443",
        ),
        ("canopsis.example.com/api", "must be a host name, without a path"),
        ("", "canopsis_host = '' is not valid"),
    ],
)
def test_canopsis_host_is_a_bare_host_name(tmp_path, capsys, host, message):
    code, _, err = validate(tmp_path, capsys, f'canopsis_host = "{host}"\n')
    assert code == 2
    assert message in err


@pytest.mark.parametrize("host", ["10.0.0.5", "2001:db8::5", "fe80::1", "[::1]", "canopsis"])
def test_addresses_are_host_names(tmp_path, capsys, host):
    assert validate(tmp_path, capsys, f'canopsis_host = "{host}"\n')[0] == 0


def test_a_directory_is_not_a_configuration(tmp_path, capsys):
    assert main(["validate", "-c", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a directory, not a configuration file" in err
    assert "Traceback" not in err


def test_a_misspelt_disabled_plugin_is_refused(tmp_path, capsys):
    code, _, err = validate(tmp_path, capsys, HOST + '[plugins]\ndisable = ["dedupe"]\n')
    assert code == 2
    assert "[plugins] disable: no plugin is named 'dedupe'; did you mean 'dedup'?" in err


def test_disabling_the_sender_is_a_warning(tmp_path, capsys):
    code, out, _ = validate(tmp_path, capsys, HOST + '[plugins]\ndisable = ["canopsis_sender"]\n')
    assert code == 0
    assert "warning: canopsis_sender is disabled and no other plugin implements connector_send" in out


def test_a_plugin_load_error_is_printed_once_naming_what_was_loaded(tmp_path, capsys):
    code, out, err = validate(tmp_path, capsys, HOST + '[plugins]\nload = ["nosuch.module"]\n')
    assert code == 2
    assert (out + err).count("No module named 'nosuch'") == 1
    assert "[plugins] load: 'nosuch.module' failed to load" in err
    assert "'module'" not in err


@pytest.mark.parametrize("port", ["0", '"0"', "65536", '"99999"', "-1"])
def test_a_bad_port_says_the_range(tmp_path, capsys, port):
    code, _, err = validate(tmp_path, capsys, HOST + f"canopsis_port = {port}\n")
    assert code == 2
    assert "expected a port number from 1 to 65535" in err


def test_ports_as_strings_everywhere(tmp_path):
    config = make_config(tmp_path, canopsis_port="443", source={"type": "bbdo", "port": "5670"})
    assert (config.canopsis_port, config.source["port"]) == (443, 5670)
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, source={"type": "bbdo", "port": "70000"})
    assert caught.value.errors == [
        "source.port = '70000' is not valid; expected a port number from 0 to 65535 "
        "(a number, or a string of digits; 0: any free port)"
    ]


def test_every_problem_of_every_stage_at_once(tmp_path, capsys):
    (tmp_path / "format.json").write_text('{"neb_host_status": {"component": "{cache.host.nmae}"}}')
    text = (
        'canopsis_host = "http://canopsis.example.com"\n'
        "canopsis_port = 0\n"  # schema
        'host_status = "0,9"\n'  # a state list (the states filter)
        'accepted_hosts = "[a"\n'  # a Lua pattern (the name patterns filter)
        'format_file = "format.json"\n'  # a format file (its plugin)
        "[plugins]\n"
        'disable = ["dedupe"]\n'  # plugins
        'load = ["nosuch.module"]\n'
    )
    code, _, err = validate(tmp_path, capsys, text)
    assert code == 2
    for expected in (
        "canopsis_port = 0 is not valid",
        "canopsis_host = 'http://canopsis.example.com' must be a host name without scheme",
        "[plugins] load: 'nosuch.module' failed to load",
        "no plugin is named 'dedupe'",
        "accepted_hosts: '[a' is not a valid Lua pattern",
        "host_status = '0,9': '9' is not a state",
        "unknown cache macro {cache.host.nmae}",
    ):
        assert expected in err, expected


def test_run_refuses_with_every_problem_too(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(BASE + HOST + 'canopsis_port = 0\n[plugins]\ndisable = ["dedupe"]\n')
    assert main(["run", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert "canopsis_port = 0 is not valid" in err
    assert "no plugin is named 'dedupe'" in err
