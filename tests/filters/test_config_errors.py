"""Invalid event-selection values stop start-up, naming the parameter and the value."""

from __future__ import annotations

import pytest

from centreon_canopsis.core.cli import main
from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.pipeline import build_context
from tests.support.config import make_config


def problems(tmp_path, **settings) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build_context(make_config(tmp_path, **settings))
    return caught.value.errors


PATTERNS = [
    ({"accepted_hosts": "web["}, "accepted_hosts: 'web[' is not a valid Lua pattern: missing ']'"),
    ({"accepted_hosts": "%bxy"}, "accepted_hosts: '%bxy' is not a valid Lua pattern: the balanced match %b"),
    ({"accepted_hosts": "%f[%a]x"}, "accepted_hosts: '%f[%a]x' is not a valid Lua pattern: the frontier %f"),
    ({"accepted_services": "(Ping"}, "accepted_services: '(Ping' is not a valid Lua pattern"),
    (
        {"accepted_services": "Disk%"},
        "accepted_services: 'Disk%' is not a valid Lua pattern: the pattern ends with '%'",
    ),
    (
        {"accepted_hosts": "^db,^srv[", "accepted_hosts_enable_split_pattern": 1},
        "accepted_hosts: '^srv[' is not a valid Lua pattern",
    ),
    (
        {"accepted_services": " , ", "accepted_services_enable_split_pattern": 1},
        "accepted_services = ' , ' holds no pattern once split on accepted_services_split_character = ','",
    ),
]


@pytest.mark.parametrize(("settings", "message"), PATTERNS)
def test_invalid_patterns_stop_start_up(tmp_path, settings, message):
    assert message in problems(tmp_path, **settings)[0]


def test_both_patterns_are_reported_at_once(tmp_path):
    found = problems(tmp_path, accepted_hosts="a[", accepted_services="b)")
    assert [error.split(":")[0] for error in found] == ["accepted_hosts", "accepted_services"]


SCHEMA_VALUES = [
    ("hard_only", 2),
    ("hard_only", "yes"),
    ("acknowledged", "2"),
    ("in_downtime", -1),
    ("flapping", "true"),
    ("enable_bam_host", 3),
    ("skip_anon_events", "no"),
    ("enable_service_status_dedup", 2),
    ("delta_host_status_change_allow", "twenty"),
    ("delta_host_status_change_allow", -5),
    ("host_severity_threshold", "high"),
    ("service_severity_threshold", -1),
    ("host_severity_operator", "=>"),
    ("service_severity_operator", "="),
    ("accepted_hosts_enable_split_pattern", 2),
    ("accepted_services_split_character", ""),
]


@pytest.mark.parametrize(("name", "value"), SCHEMA_VALUES)
def test_invalid_values_name_the_parameter_and_the_value(tmp_path, name, value):
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, **{name: value})
    shown = repr(value) if isinstance(value, str) else str(value)
    assert any(error.startswith(f"{name} = {shown}") for error in caught.value.errors), caught.value.errors


@pytest.mark.parametrize("kind", ["hostgroups", "servicegroups", "pollers", "authors", "bvs"])
def test_both_lists_of_a_pair_is_an_error(tmp_path, kind):
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, **{f"accepted_{kind}": "a", f"rejected_{kind}": "b"})
    assert any(f"accepted_{kind} and rejected_{kind} are both set" in e for e in caught.value.errors)


@pytest.mark.parametrize("kind", ["hostgroups", "servicegroups", "pollers", "authors", "bvs"])
def test_one_list_of_a_pair_is_fine(tmp_path, kind):
    build_context(make_config(tmp_path, **{f"rejected_{kind}": "a"}))
    build_context(make_config(tmp_path, **{f"accepted_{kind}": "a"}))


def test_numbers_given_as_strings_are_read_as_numbers(tmp_path):
    # Defect B18: the Centreon UI stores parameters as strings; the Lua connector misread them.
    config = make_config(
        tmp_path,
        hard_only="0",
        acknowledged="1",
        in_downtime="1",
        flapping="1",
        skip_anon_events="0",
        skip_nil_id="0",
        enable_bam_host="1",
        enable_host_status_dedup="0",
        enable_service_status_dedup="0",
        delta_host_status_change_allow="30",
        host_severity_threshold="2",
        service_severity_threshold="3",
        accepted_hosts_enable_split_pattern="1",
    )
    assert (config.hard_only, config.acknowledged, config.in_downtime, config.flapping) == (0, 1, 1, 1)
    assert (config.skip_anon_events, config.skip_nil_id, config.enable_bam_host) == (0, 0, 1)
    assert (config.enable_host_status_dedup, config.enable_service_status_dedup) == (0, 0)
    assert config.delta_host_status_change_allow == 30
    assert (config.host_severity_threshold, config.service_severity_threshold) == (2, 3)
    build_context(config)


def test_validate_reports_a_bad_pattern(tmp_path, capsys):
    path = tmp_path / "connector.toml"
    path.write_text(
        'canopsis_host = "canopsis.example"\ncanopsis_authkey = "k"\n'
        f'state_dir = "{tmp_path / "state"}"\naccepted_hosts = "srv[0-9"\n'
    )
    assert main(["validate", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "accepted_hosts: 'srv[0-9' is not a valid Lua pattern: missing ']'" in err
