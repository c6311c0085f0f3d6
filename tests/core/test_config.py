"""The configuration file: every parameter's validation, defaults, secrets, errors all at once."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.config import ConfigError, from_mapping, load
from centreon_canopsis.core.secrets import Secret

BASE = {"canopsis_host": "canopsis.example", "canopsis_authkey": "k3y-for-tests"}
SCHEMA = json.loads(files("centreon_canopsis.schemas").joinpath("config.schema.json").read_text())
PROPS = SCHEMA["properties"]


def errors_of(raw, env=None):
    with pytest.raises(ConfigError) as caught:
        from_mapping(raw, env=env or {})
    return caught.value.errors


def valid(raw, env=None):
    return from_mapping(raw, env=env or {})


def test_a_file_of_lua_parameters_only_is_valid_with_documented_defaults(tmp_path):
    # Parameter names and values as an admin copies them from the Centreon UI (strings included).
    path = tmp_path / "lua.toml"
    path.write_text(
        'canopsis_host = "canopsis.example"\ncanopsis_authkey = "k3y"\ncanopsis_port = "8443"\n'
        'accepted_hostgroups = "Europe"\nlog_level = 2\nuse_severity_as_state = "0"\n'
        "max_buffer_age = 10\nverify_certificate = 1\n"
    )
    config = load(path, env={})
    assert config.canopsis_port == 8443
    assert config.max_all_queues_age == 10
    assert config.use_severity_as_state == 0
    assert config.accepted_categories == "neb"
    assert config.accepted_elements == "host_status,service_status,acknowledgement,downtime"
    assert config.canopsis_event_route == "/api/v4/event"
    assert config.connector == "centreon-stream" and config.connector_name_type == "poller"
    assert config.hard_only == 1 and config.enable_host_status_dedup == 1
    assert config.delta_host_status_change_allow == 20
    assert config.warnings == ["max_buffer_age is deprecated: use max_all_queues_age"]


def test_every_schema_default_passes_its_own_schema():
    explicit = {
        name: prop["default"]
        for name, prop in PROPS.items()
        if prop.get("default") is not None and name not in ("canopsis_authkey", "proxy_password")
    }
    for table in ("source", "delivery", "metrics"):
        explicit[table] = {
            key: sub["default"] for key, sub in PROPS[table]["properties"].items() if "default" in sub
        }
    config = valid({**BASE, **explicit})
    assert config.as_dict() == {**valid(BASE).as_dict(), "allow_insecure_connection": None}


# One invalid value per kind of parameter: every parameter of the schema is covered.
INVALID_BY_KIND = {
    "#/$defs/flag": [2, "yes", -1],
    "#/$defs/port": [0, 70000, "https"],
    "#/$defs/positive_number": [0, -5, "soon"],
    "#/$defs/non_negative_number": [-1, "later"],
    "#/$defs/non_negative_integer": [-1, 1.5, "ten"],
    "#/$defs/log_level": [0, 4, "debug"],
    "#/$defs/csv": [3, ["a", "b"]],
}


def invalid_values(name, prop):
    if "$ref" in prop:
        return INVALID_BY_KIND[prop["$ref"]]
    if "enum" in prop:
        return ["not-a-choice"]
    if "anyOf" in prop:
        return [-3, "x y", True] if name != "local_time_diff_from_utc" else [True]
    kind = prop.get("type")
    if kind == "string":
        return [42] + ([""] if prop.get("minLength") else []) + (["no-slash"] if prop.get("pattern") else [])
    if kind == "integer":
        return ["many", prop.get("minimum", 0) - 1]
    if kind == "object":
        return ["not a table"]
    if kind == "array":
        return ["not a list", 3]
    if isinstance(kind, list):
        return [[1, 2]]
    raise AssertionError(f"no invalid sample for {name}: {prop}")


CASES = [(name, bad) for name, prop in PROPS.items() for bad in invalid_values(name, prop)]


@pytest.mark.parametrize(("name", "bad"), CASES, ids=[f"{n}={b!r}" for n, b in CASES])
def test_invalid_value_names_the_parameter_and_the_value(name, bad):
    problems = errors_of({**BASE, name: bad})
    mine = [
        p
        for p in problems
        if p.startswith(f"{name} =") or p.startswith(f"{name}:") or p.startswith(f"{name}.")
    ]
    if name == "max_buffer_age":  # renamed before validation: named as the user wrote it
        mine = [p for p in problems if p.startswith("max_buffer_age (now max_all_queues_age) =")]
    assert mine, f"no error about {name}: {problems}"
    shown = {True: "true", False: "false"}.get(bad, repr(bad)) if isinstance(bad, bool) else repr(bad)
    assert shown in mine[0] or str(bad) in mine[0] or name in ("source", "delivery", "metrics", "plugins")


@pytest.mark.parametrize(
    ("table", "key", "bad"),
    [
        ("source", "type", "kafka"),
        ("source", "port", 70000),
        ("source", "ack_events", 0),
        ("source", "bbdo_version", "4.0.0"),
        ("delivery", "retry_statuses", ["4xx0"]),
        ("delivery", "max_outbox_events", 0),
        ("delivery", "sqlite_synchronous", "off"),
        ("metrics", "port", -1),
        ("plugins", "disable", "host_status"),
    ],
)
def test_invalid_values_in_tables(table, key, bad):
    problems = errors_of({**BASE, table: {key: bad}})
    assert any(
        p.startswith(f"{table}.{key}") and repr(bad if not isinstance(bad, list) else bad[0]) in p
        for p in problems
    ), problems


@pytest.mark.parametrize(("bad", "shown"), [(-1, "-1"), (1.5, "1.5"), ("many", "'many'"), (True, "true")])
def test_the_dead_letter_bounds_say_what_they_take(bad, shown):
    problems = errors_of({**BASE, "delivery": {"max_dead_letters": bad, "max_dead_letters_mib": bad}})
    assert problems == [
        f"delivery.max_dead_letters = {shown} is not valid; "
        "expected a whole number of dead letters, 0 (no limit) or more",
        f"delivery.max_dead_letters_mib = {shown} is not valid; "
        "expected a whole number of MiB, 0 (no limit) or more",
    ]


def test_the_dead_letter_bounds_default_and_zero_means_none():
    defaults = valid(BASE).delivery
    assert (defaults["max_dead_letters"], defaults["max_dead_letters_mib"]) == (100_000, 1024)
    config = valid({**BASE, "delivery": {"max_dead_letters": 0, "max_dead_letters_mib": 0}})
    assert (config.delivery["max_dead_letters"], config.delivery["max_dead_letters_mib"]) == (0, 0)


def test_unknown_keys_get_a_did_you_mean():
    problems = errors_of({**BASE, "accepted_hostgroup": "Europe", "source": {"pth": "x"}})
    assert "unknown parameter 'accepted_hostgroup'; did you mean 'accepted_hostgroups'?" in problems
    assert "unknown parameter 'source.pth'; did you mean 'source.path'?" in problems


def test_every_problem_is_reported_at_once():
    problems = errors_of(
        {
            "canopsis_authkey": "k3y",
            "hard_only": 3,
            "accepted_pollers": "a",
            "rejected_pollers": "b",
            "accepted_elements": "host_status,servce_status",
            "custom_code_file": "/etc/x.lua",
            "foo": 1,
        }
    )
    assert len(problems) == 6, problems
    assert any("canopsis_host is missing" in p for p in problems)
    assert any(p.startswith("hard_only = 3") for p in problems)
    assert any("accepted_pollers and rejected_pollers are both set" in p for p in problems)
    assert any("unknown element 'servce_status'" in p and "service_status" in p for p in problems)
    assert any("custom_code_file" in p and "cannot run Lua" in p for p in problems)
    assert any("unknown parameter 'foo'" in p for p in problems)


@pytest.mark.parametrize("kind", ["hostgroups", "servicegroups", "pollers", "authors", "bvs"])
def test_accepted_and_rejected_of_one_pair_is_an_error(kind):
    problems = errors_of({**BASE, f"accepted_{kind}": "a", f"rejected_{kind}": "b"})
    assert problems == [
        f"accepted_{kind} and rejected_{kind} are both set; use one of them "
        "(the Lua connector silently ignored both)"
    ]


@pytest.mark.parametrize("kind", ["hostgroups", "pollers"])
def test_a_rejected_list_alone_is_fine(kind):
    assert valid({**BASE, f"rejected_{kind}": "a"})[f"rejected_{kind}"] == "a"


@pytest.mark.parametrize(("insecure", "verify"), [(1, 0), ("1", 0), (0, 1), (True, 0)])
def test_allow_insecure_connection_keeps_its_meaning(insecure, verify):
    # Defect B10: the Lua connector copied the value unchanged, inverting it.
    config = valid({**BASE, "allow_insecure_connection": insecure})
    assert config.verify_certificate == verify
    assert "allow_insecure_connection is deprecated: use verify_certificate" in config.warnings


def test_contradicting_insecure_and_verify_is_an_error():
    problems = errors_of({**BASE, "allow_insecure_connection": 1, "verify_certificate": 1})
    assert any("contradicts verify_certificate" in p for p in problems)


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (1, 1), ("0", 0), ("1", 1), (True, 1), (False, 0)])
def test_flags_accept_numbers_strings_and_booleans(value, expected):
    # Defect B18: the Lua connector misread "0"/"1" given as strings by the Centreon UI.
    config = valid({**BASE, "canopsis_downtime_send_pbh": value, "canopsis_sort_list_hostgroups": value})
    assert config.canopsis_downtime_send_pbh == expected
    assert config.canopsis_sort_list_hostgroups == expected


def test_severity_thresholds_are_settable():
    # Defect B11: parameters with a nil default could not be set.
    config = valid(
        {
            **BASE,
            "host_severity_threshold": 3,
            "service_severity_threshold": "2",
            "delta_host_status_change_allow": 5,
        }
    )
    assert (config.host_severity_threshold, config.service_severity_threshold) == (3, 2)
    assert config.delta_host_status_change_allow == 5
    assert valid(BASE).host_severity_threshold is None


def test_documentation_misspellings_are_accepted_with_a_warning():
    config = valid({**BASE, "accepted_hosts_enable_split": 1, "accepted_services_split_characters": ";"})
    assert config.accepted_hosts_enable_split_pattern == 1
    assert config.accepted_services_split_character == ";"
    assert len(config.warnings) == 2


def test_retry_status_error_says_what_is_expected():
    assert errors_of({**BASE, "delivery": {"retry_statuses": ["5xx", "4xx0"]}}) == [
        "delivery.retry_statuses.1 = '4xx0' is not valid; expected an HTTP status from 100 to 599, "
        'or a class such as "5xx"'
    ]


def test_old_and_new_name_together_is_an_error():
    assert errors_of({**BASE, "max_buffer_age": 3, "max_all_queues_age": 4}) == [
        "max_buffer_age is the deprecated name of max_all_queues_age; set only max_all_queues_age"
    ]


def test_authkey_from_the_environment():
    config = valid({"canopsis_host": "c"}, env={"CANOPSIS_AUTHKEY": "from-env-key"})
    assert config.canopsis_authkey.reveal() == "from-env-key"


def test_authkey_from_a_file_relative_to_the_config(tmp_path):
    (tmp_path / "key").write_text("  from-file-key\n")
    path = tmp_path / "c.toml"
    path.write_text('canopsis_host = "c"\ncanopsis_authkey_file = "key"\n')
    assert load(path, env={}).canopsis_authkey.reveal() == "from-file-key"


def test_missing_authkey_says_where_to_put_it():
    problems = errors_of({"canopsis_host": "c"})
    assert problems == [
        "canopsis_authkey is missing: set it in the file, in the CANOPSIS_AUTHKEY environment "
        "variable, or name a file holding it with canopsis_authkey_file"
    ]


def test_authkey_given_twice_is_an_error_that_does_not_show_it():
    problems = errors_of(BASE, env={"CANOPSIS_AUTHKEY": "other-key-value"})
    assert problems == ["canopsis_authkey is given in the file and the environment; give it once"]
    assert "k3y-for-tests" not in " ".join(problems) and "other-key-value" not in " ".join(problems)


def test_unreadable_key_file(tmp_path):
    problems = errors_of({"canopsis_host": "c", "canopsis_authkey_file": str(tmp_path / "nope")})
    assert problems == [
        f"canopsis_authkey_file = {str(tmp_path / 'nope')!r} cannot be read: No such file or directory"
    ]


def test_proxy_needs_a_port():
    assert errors_of({**BASE, "proxy_address": "proxy.example"}) == [
        "proxy_address is set but proxy_port is not; both are needed for a proxy"
    ]


def test_secrets_are_masked_in_the_config_object():
    config = valid({**BASE, "proxy_address": "p", "proxy_port": 3128, "proxy_password": "pr0xy-pass"})
    assert isinstance(config.canopsis_authkey, Secret)
    shown = repr(config.as_dict()) + repr(config) + str(config.canopsis_authkey) + f"{config.proxy_password}"
    assert "k3y-for-tests" not in shown and "pr0xy-pass" not in shown


def test_toml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("canopsis_host = \n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.path == str(path)
    assert caught.value.errors[0].startswith("not valid TOML")


def test_missing_file():
    with pytest.raises(ConfigError) as caught:
        load("/nonexistent/connector.toml")
    assert caught.value.errors == ["file not found"]


def test_relative_paths_are_relative_to_the_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        'canopsis_host = "c"\ncanopsis_authkey = "k3y"\nstate_dir = "state"\n'
        '[source]\npath = "events.jsonl"\n'
    )
    config = load(path, env={})
    assert config.state_dir == str(tmp_path / "state")
    assert config.source["path"] == str(tmp_path / "events.jsonl")


def test_schema_is_a_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(config_module.schema())
