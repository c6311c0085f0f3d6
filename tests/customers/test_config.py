"""[[customers]] validation: unknown keys, invalid values, whole-connector keys, missing names,
secrets and overlapping selectors, every problem at once; what a customer inherits."""

from __future__ import annotations

import pytest

from centreon_canopsis.core.config import ConfigError, from_mapping
from centreon_canopsis.core.customers import customer_config, env_name
from centreon_canopsis.core.secrets import REDACTOR

BASE = {"canopsis_host": "canopsis.example.com", "canopsis_authkey": "top-key-1a2b3c", "state_dir": "/tmp/x"}


def errors_of(customers, env=None, **top) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        from_mapping({**BASE, **top, "customers": customers}, env=env or {})
    return raised.value.errors


def test_every_problem_at_once() -> None:
    errors = errors_of(
        [
            {
                "name": "acme",
                "pollers": "Paris",
                "canopsis_hots": "x",
                "state_dir": "/var/lib/other",
                "use_severity_as_state": "2",
                "accepted_pollers": "a",
                "rejected_pollers": "b",
            },
            {"pollers": "Lyon"},
            {"name": "acme", "pollers": "Nice"},
            {"name": "bad name!", "pollers": "Lille"},
            {"name": "views", "bvs": "Sales", "hostgroups": "x"},
            {"name": "beta", "hostgroups": "Paris-hosts"},
            {"name": "hidden", "pollers": "Paris", "hostgroups": "Paris-hosts"},
        ]
    )
    assert errors == [
        "customers[0] (acme): state_dir cannot be set per customer (it concerns the whole connector)",
        "customers[0] (acme): unknown parameter 'canopsis_hots'; did you mean 'canopsis_host'?",
        "customers[0] (acme): use_severity_as_state = '2' is not allowed; expected one of 0, 1, '0', '1', "
        "true, false",
        "customers[0] (acme): accepted_pollers and rejected_pollers are both set; use one of them (the Lua "
        "connector silently ignored both)",
        "customers[1]: name is missing: every customer needs one (it labels its metrics and lanes)",
        "customers[2] (acme): name 'acme' is already used by customers[0]",
        "customers[3] (bad name!): name = 'bad name!' is not valid; expected letters, digits, _ . - (64 at "
        "most)",
        "customers[4] (views): bvs cannot be combined with pollers, hostgroups, servicegroups or hosts: BA "
        "events have no host and host events no business view, so nothing would match",
        "customer hidden is never chosen: every event its selector matches is matched by acme's, earlier "
        "in the file",
        "customer hidden is never chosen: every event its selector matches is matched by beta's, earlier "
        "in the file",
    ]


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ({"pollers": "A"}, {"pollers": "B"}, False),
        ({"pollers": "A"}, {"pollers": "A,B"}, True),
        ({"pollers": "A"}, {"hostgroups": "G"}, True),
        ({"pollers": "A", "hostgroups": "G"}, {"pollers": "B", "hostgroups": "G"}, False),
        ({"hostgroups": ["G1"]}, {"hostgroups": ["G2"]}, False),
        ({"hosts": "^par%-"}, {"hosts": "^lyo%-"}, False),
        ({"hosts": "^par"}, {"hosts": "^pa"}, True),
        ({"hosts": "^pa?r"}, {"hosts": "^pb"}, True),
        ({"hosts": "web"}, {"hosts": "^db"}, True),
        ({"bvs": "Sales"}, {"pollers": "A"}, False),
        ({"bvs": "Sales"}, {"bvs": "Sales,HR"}, True),
        ({}, {"pollers": "A"}, False),
    ],
)
def test_selectors_that_may_overlap_are_a_warning(first, second, overlap: bool) -> None:
    customers = [
        {"name": "one", **first, "canopsis_authkey": "k1"},
        {"name": "two", **second, "canopsis_authkey": "k2"},
    ]
    config = from_mapping({**BASE, "customers": customers}, env={})
    found = [warning for warning in config.warnings if "may overlap" in warning]
    assert found == (
        ["customers one and two may overlap: an event can match both selectors, and then one, first in "
         "the file, takes it (see docs/customers.md)"] if overlap else []
    )  # fmt: skip


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"pollers": "A,B"}, {"pollers": "A"}),
        ({"pollers": "A"}, {"pollers": "A", "hostgroups": "G"}),
        ({"hosts": "^web"}, {"hosts": "^web", "servicegroups": "S"}),
        ({"bvs": "Sales"}, {"bvs": "Sales"}),
    ],
)
def test_a_customer_hidden_by_an_earlier_one_is_an_error(first, second) -> None:
    (message,) = errors_of([{"name": "one", **first}, {"name": "two", **second}])
    assert message.startswith("customer two is never chosen")


def test_a_customer_inherits_what_it_does_not_set() -> None:
    config = from_mapping(
        {
            **BASE,
            "connector": "top-connector",
            "rejected_hostgroups": "Lab",
            "hard_only": 0,
            "customers": [
                {"name": "acme", "pollers": "Paris", "accepted_hostgroups": "Prod", "connector_name": "acme"}
            ],
        },
        env={},
    )
    acme = customer_config(config, config.customers[0])
    assert acme.canopsis_host == "canopsis.example.com"
    assert acme.canopsis_authkey.reveal() == "top-key-1a2b3c"  # same Canopsis: the key is shared
    assert (acme.connector, acme.connector_name, acme.hard_only) == ("top-connector", "acme", 0)
    # One side of a pair set by the customer replaces both sides.
    assert (acme.accepted_hostgroups, acme.rejected_hostgroups) == ("Prod", "")
    assert acme.customers == []


def test_another_canopsis_needs_its_own_authkey(tmp_path) -> None:
    customer = {"name": "acme-eu", "pollers": "Paris", "canopsis_host": "canopsis.acme.eu"}
    (message,) = errors_of([customer])
    assert "CANOPSIS_AUTHKEY_ACME_EU" in message and "own authkey" in message
    assert env_name("acme-eu") == "CANOPSIS_AUTHKEY_ACME_EU"
    config = from_mapping({**BASE, "customers": [customer]}, env={"CANOPSIS_AUTHKEY_ACME_EU": "eu-key-9z8y"})
    assert customer_config(config, config.customers[0]).canopsis_authkey.reveal() == "eu-key-9z8y"
    key_file = tmp_path / "acme.key"
    key_file.write_text("file-key-7x6w\n")
    config = from_mapping(
        {**BASE, "customers": [{**customer, "canopsis_authkey_file": "acme.key"}]}, env={}, base_dir=tmp_path
    )
    assert customer_config(config, config.customers[0]).canopsis_authkey.reveal() == "file-key-7x6w"


def test_customer_secrets_are_masked() -> None:
    config = from_mapping(
        {
            **BASE,
            "customers": [
                {
                    "name": "acme",
                    "pollers": "Paris",
                    "canopsis_host": "c.acme",
                    "canopsis_authkey": "acme-key-5e4d3c",
                    "proxy_address": "proxy.acme",
                    "proxy_port": 3128,
                    "proxy_username": "u",
                    "proxy_password": "acme-proxy-pw-2b1a",
                }
            ],
        },
        env={},
    )
    shown = str(config.as_dict())
    assert "acme-key-5e4d3c" not in shown and "acme-proxy-pw-2b1a" not in shown
    assert "top-key-1a2b3c" not in shown
    # Registered with the redactor every log handler applies (core/secrets.py).
    masked = REDACTOR.redact("key acme-key-5e4d3c and acme-proxy-pw-2b1a")
    assert "acme-key-5e4d3c" not in masked and "acme-proxy-pw-2b1a" not in masked


def test_a_bad_host_pattern_is_reported_by_validate(tmp_path) -> None:
    from centreon_canopsis.core.pipeline import build_context

    config = from_mapping(
        {**BASE, "state_dir": str(tmp_path), "customers": [{"name": "acme", "hosts": "^par%"}]}, env={}
    )
    with pytest.raises(ConfigError) as raised:
        build_context(config)
    assert any("customers[0] (acme): hosts:" in message for message in raised.value.errors)


def test_validate_reports_every_stage_of_every_customer(tmp_path, monkeypatch) -> None:
    from centreon_canopsis.core import validation

    monkeypatch.delenv("CANOPSIS_AUTHKEY_GLOBEX", raising=False)
    path = tmp_path / "connector.toml"
    path.write_text(
        """
canopsis_host = "canopsis.msp.example"
canopsis_authkey = "top-key-0a0b"
state_dir = "state"

[[customers]]
name = "acme"
pollers = "Poller-Acme"
format_file = "missing.json"
ca_file = "missing-ca.pem"
[customers.plugins.enrich]
into = "tags"

[[customers]]
name = "globex"
hosts = "^gbx%"
canopsis_host = "canopsis.globex.example"
"""
    )
    checked = validation.check_file(str(path))
    assert checked.errors == [
        f"customers[0] (acme): ca_file = '{tmp_path / 'missing-ca.pem'}' cannot be read: No such file or "
        "directory",
        "customers[1] (globex): its Canopsis is not the top-level one, so it needs its own authkey (the "
        "top-level one is never sent elsewhere): canopsis_authkey_file, or the CANOPSIS_AUTHKEY_GLOBEX "
        "environment variable",
        "customers[1] (globex): hosts: '^gbx%' is not a valid Lua pattern: the pattern ends with '%'",
        "customers[0] (acme): [plugins.enrich]: no loaded plugin declares settings named 'enrich'",
        f"customers[0] (acme): format_file {tmp_path / 'missing.json'} cannot be read: No such file or "
        "directory",
    ]


def test_validate_names_where_each_customer_delivers(tmp_path, capsys, monkeypatch) -> None:
    from centreon_canopsis.core.cli import main

    path = tmp_path / "connector.toml"
    path.write_text(
        f"""
canopsis_host = "canopsis.msp.example"
canopsis_authkey = "top-key-0a0b"
state_dir = "{tmp_path / "state"}"

[[customers]]
name = "acme"
pollers = "Poller-Acme"
canopsis_host = "canopsis.acme.example"
"""
    )
    monkeypatch.setenv("CANOPSIS_AUTHKEY_ACME", "acme-key-1c2d")
    assert main(["validate", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  customer acme: https://canopsis.acme.example:443" in out
    assert "acme-key-1c2d" not in out
