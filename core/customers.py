"""``[[customers]]`` tables: validated here, every problem at once, then merged per customer.

A customer table holds a ``name``, a selector (``pollers``, ``hostgroups``, ``servicegroups``,
``bvs``: exact names; ``hosts``: Lua patterns; all given keys must match) and any setting that
makes sense per customer: payloads, event selection, ``format_file``, and the Canopsis
destination (host, port, protocol, authkey, TLS, proxy, routes, downtimes). A customer inherits
every top-level setting it does not set. Its configuration is the top-level one with its own
values on top (:func:`customer_config`); the pipeline runs each customer's events through its
own plugin instances configured with it (``core.customer_scopes``).

Secrets: the authkey comes from the table, ``canopsis_authkey_file`` or the environment variable
``CANOPSIS_AUTHKEY_<NAME>`` (the name in capitals, other characters as ``_``). The top-level key
is inherited only by a customer whose Canopsis is the top-level one: it is never sent elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.secrets import REDACTOR, Secret

SELECTOR_KEYS = ("pollers", "hostgroups", "servicegroups", "hosts", "bvs")
HOST_SELECTORS = ("pollers", "hostgroups", "servicegroups", "hosts")
#: Schema groups whose parameters a customer may set.
CUSTOMER_GROUPS = ("Canopsis connection", "Canopsis routes", "Payloads", "Event selection", "Downtimes")
CUSTOMER_EXTRA = ("max_batch_size", "log_curl_commands", "send_data_test", "amqp", "plugins")
#: What makes a Canopsis destination "the same" as the top-level one (then its secrets are shared).
DESTINATION_IDENTITY = ("canopsis_host", "canopsis_port", "sending_protocol")
PROXY_IDENTITY = ("proxy_address", "proxy_port", "proxy_protocol", "proxy_username")
NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
#: Characters with a meaning in a Lua pattern (what ends the literal prefix of an anchored one).
LUA_MAGIC = set("^$()%.[]*+-?")
_NAMES = {
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string", "minLength": 1}},
    ],
    "x-expected": "a comma list of names or a list of strings",
}
SELECTOR_SCHEMA: dict[str, Any] = {
    "name": {"type": "string", "pattern": NAME_PATTERN, "x-expected": "letters, digits, _ . - (64 at most)"},
    "pollers": _NAMES,
    "hostgroups": _NAMES,
    "servicegroups": _NAMES,
    "bvs": _NAMES,
    "hosts": {**_NAMES, "x-expected": "a Lua pattern or a list of Lua patterns"},
}


def env_name(customer: str, base: str = config_module.AUTHKEY_ENV) -> str:
    """``CANOPSIS_AUTHKEY_ACME_EU`` for customer ``acme-eu``."""
    return f"{base}_{re.sub('[^A-Za-z0-9]', '_', customer).upper()}"


def allowed_keys() -> list[str]:
    properties = config_module.schema()["properties"]
    return [
        name
        for name, prop in properties.items()
        if prop.get("x-group") in CUSTOMER_GROUPS or name in CUSTOMER_EXTRA
    ]


def _table_schema() -> dict[str, Any]:
    full = config_module.schema()
    properties = {name: full["properties"][name] for name in allowed_keys()}
    properties.update(SELECTOR_SCHEMA)
    return {
        "type": "object",
        "properties": properties,
        "required": ["name"],
        "additionalProperties": False,
        "$defs": full["$defs"],
    }


def names(value: Any) -> list[str]:
    """A selector value as a list: ``"a, b"`` or ``["a", "b"]``."""
    if isinstance(value, str):
        return config_module.split_list(value)
    return [str(item).strip() for item in value if str(item).strip()]


def check_customers(
    values: dict[str, Any],
    data: Mapping[str, Any],
    env: Mapping[str, str],
    base_dir: Path | None,
    errors: list[str],
    warnings: list[str],
) -> None:
    """Validates ``data["customers"]``; ``values["customers"]`` becomes the validated list.

    Each entry: ``{"name", "selector": {key: [names]}, "settings": {parameter: value}}``, the
    settings coerced like top-level ones, secrets as :class:`Secret`. Appends to ``errors`` and
    ``warnings`` (selectors that may overlap).
    """
    tables = data.get("customers") or []
    validated: list[dict[str, Any]] = []
    comparable: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    validator = jsonschema.Draft202012Validator(_table_schema())
    top_properties = config_module.schema()["properties"]
    for index, table in enumerate(tables):
        label = f"customers[{index}]"
        name = table.get("name")
        if isinstance(name, str) and name:
            label += f" ({name})"
        problems: list[str] = []
        table = dict(table)
        for key in list(table):
            if key in top_properties and key not in SELECTOR_SCHEMA and key not in allowed_keys():
                problems.append(f"{key} cannot be set per customer (it concerns the whole connector)")
                del table[key]
        plugins = table.get("plugins")
        if isinstance(plugins, dict):
            for key in ("load", "disable"):
                if key in plugins:
                    problems.append(
                        f"plugins.{key} cannot be set per customer (plugins are loaded once, for all); "
                        "a customer may set their [plugins.<name>] settings"
                    )
            table["plugins"] = {
                key: value for key, value in plugins.items() if key not in ("load", "disable")
            }
        for error in sorted(validator.iter_errors(table), key=lambda e: list(map(str, e.absolute_path))):
            if error.validator == "required":
                problems.append("name is missing: every customer needs one (it labels its metrics and lanes)")
                continue
            problems += config_module._describe(error)
            if error.absolute_path:
                table.pop(str(error.absolute_path[0]), None)
        if isinstance(table.get("name"), str):
            if table["name"] in seen:
                problems.append(f"name {table['name']!r} is already used by customers[{seen[table['name']]}]")
            seen.setdefault(table["name"], index)
        entry = _entry(values, table, env, base_dir, problems, errors)
        errors += [f"{label}: {problem}" for problem in problems]
        if entry is not None and seen[entry["name"]] == index:
            # Kept even with problems (never run: the configuration is refused), so that the
            # later stages (patterns, format file, plugin settings) report theirs too.
            validated.append(entry)
        # Overlaps are judged on every selector that can match, whatever else is wrong.
        if (
            entry is not None
            and seen[entry["name"]] == index
            and not any(p.startswith("bvs cannot") for p in problems)
        ):
            comparable.append(entry)
    overlap_errors, overlap_warnings = overlaps(comparable)
    errors += overlap_errors
    warnings += overlap_warnings
    values["customers"] = validated


def _entry(
    values: dict[str, Any],
    table: dict[str, Any],
    env: Mapping[str, str],
    base_dir: Path | None,
    problems: list[str],
    top_errors: list[str],
) -> dict[str, Any] | None:
    name = table.get("name")
    if not isinstance(name, str):
        return None
    selector = {key: names(table[key]) for key in SELECTOR_KEYS if key in table}
    if "bvs" in selector and any(key in selector for key in HOST_SELECTORS):
        problems.append(
            "bvs cannot be combined with pollers, hostgroups, servicegroups or hosts: "
            "BA events have no host and host events no business view, so nothing would match"
        )
    given = {key: value for key, value in table.items() if key not in SELECTOR_SCHEMA}
    merged = merge(values, given)
    config_module._coerce(merged)
    # Checks of the merged values, minus what the top level already reported.
    data = {**given, "canopsis_host": merged["canopsis_host"]}
    problems += [
        problem
        for problem in config_module._cross_checks(merged, data)
        if problem not in top_errors and "custom_code_file" not in problem
    ]
    _secrets(name, values, merged, given, env, base_dir, problems)
    if base_dir is not None:
        for key in ("format_file", "ca_file"):
            if given.get(key):
                merged[key] = str(base_dir / merged[key])
    file_errors = getattr(config_module, "_file_errors", None)  # files the customer names itself
    if file_errors is not None and given.get("ca_file"):
        problems += file_errors({"ca_file": merged["ca_file"], "source": {}})
    settings = {key: merged[key] for key in given}
    for key in ("canopsis_authkey", "proxy_password", "verify_certificate"):
        settings[key] = merged[key]
    for kind in config_module.PAIRED_FILTERS:
        if f"accepted_{kind}" in given or f"rejected_{kind}" in given:
            settings[f"accepted_{kind}"] = merged[f"accepted_{kind}"]
            settings[f"rejected_{kind}"] = merged[f"rejected_{kind}"]
    settings.pop("allow_insecure_connection", None)
    settings.pop("canopsis_authkey_file", None)
    settings.pop("proxy_password_file", None)
    return {"name": name, "selector": selector, "settings": settings}


def merge(values: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level values with a customer's on top. Setting one side of an ``accepted_x`` /
    ``rejected_x`` pair replaces both; a sub-table (``amqp``) is merged key by key, so a
    customer's ``[plugins.<name>]`` table replaces the top-level one of that plugin."""
    merged = dict(values)
    for kind in config_module.PAIRED_FILTERS:
        if f"accepted_{kind}" in given or f"rejected_{kind}" in given:
            merged[f"accepted_{kind}"] = merged[f"rejected_{kind}"] = ""
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    merged["customers"] = []
    return merged


def _secrets(
    name: str,
    values: Mapping[str, Any],
    merged: dict[str, Any],
    given: Mapping[str, Any],
    env: Mapping[str, str],
    base_dir: Path | None,
    problems: list[str],
) -> None:
    variable = env_name(name)
    authkey = config_module._secret_value(
        "canopsis_authkey",
        given.get("canopsis_authkey"),
        env.get(variable),
        given.get("canopsis_authkey_file"),
        base_dir,
        problems,
    )
    if authkey is not None:
        merged["canopsis_authkey"] = Secret(authkey)
    elif any(merged[key] != values[key] for key in DESTINATION_IDENTITY) and not any(
        "canopsis_authkey" in problem for problem in problems
    ):
        problems.append(
            "its Canopsis is not the top-level one, so it needs its own authkey (the top-level "
            f"one is never sent elsewhere): canopsis_authkey_file, or the {variable} environment "
            "variable"
        )
    password_variable = env_name(name, config_module.PROXY_PASSWORD_ENV)
    password = config_module._secret_value(
        "proxy_password",
        given.get("proxy_password") or None,
        env.get(password_variable),
        given.get("proxy_password_file"),
        base_dir,
        problems,
    )
    if password is not None:
        merged["proxy_password"] = Secret(password)
    elif any(merged[key] != values[key] for key in PROXY_IDENTITY):
        merged["proxy_password"] = Secret("")  # another proxy: the top-level password stays home
    REDACTOR.add(merged["canopsis_authkey"])
    REDACTOR.add(merged["proxy_password"], user=merged["proxy_username"] or None)
    _amqp_secret(name, values, merged, given, env, base_dir, problems)


def _amqp_secret(
    name: str,
    values: Mapping[str, Any],
    merged: dict[str, Any],
    given: Mapping[str, Any],
    env: Mapping[str, str],
    base_dir: Path | None,
    problems: list[str],
) -> None:
    """A customer's ``[customers.amqp]``: its RabbitMQ password from its table, its file, the URL
    or ``CANOPSIS_AMQP_PASSWORD_<NAME>``; the top-level one only for the top-level RabbitMQ."""
    table = given.get("amqp")
    if not isinstance(table, dict):
        return
    amqp = merged["amqp"]
    top = values.get("amqp") or {}
    variable = env_name(name, config_module.AMQP_PASSWORD_ENV)
    own = table.get("password") or table.get("password_file") or env.get(variable)
    if not own and "@" not in str(table.get("url", "")) and amqp.get("url") == top.get("url"):
        return  # the top-level RabbitMQ: its password (already merged) is kept
    # Another RabbitMQ, or its own password: nothing of the top level's secret is used.
    amqp.pop("password", None)
    amqp.pop("password_file", None)
    for key in ("password", "password_file"):
        if key in table:
            amqp[key] = table[key]
    if base_dir is not None:  # (the password file is read relative to it by the reader)
        for key in ("ca_file", "cert_file", "key_file"):
            if table.get(key):
                amqp[key] = str(base_dir / table[key])
    variables = {config_module.AMQP_PASSWORD_ENV: env[variable]} if variable in env else {}
    config_module._read_amqp_password(amqp, variables, base_dir, problems)


# -- overlapping selectors ------------------------------------------------------------------


def _literal_prefix(pattern: str) -> str | None:
    """The text an anchored Lua pattern's matches start with; None when not anchored."""
    if not pattern.startswith("^"):
        return None
    prefix = []
    for char in pattern[1:]:
        if char in LUA_MAGIC:
            if char in "*-?" and prefix:
                prefix.pop()  # the last character was optional
            break
        prefix.append(char)
    return "".join(prefix)


def _patterns_disjoint(first: list[str], second: list[str]) -> bool:
    for one in first:
        for other in second:
            a, b = _literal_prefix(one), _literal_prefix(other)
            if a is None or b is None or a.startswith(b) or b.startswith(a):
                return False
    return True


def disjoint(first: Mapping[str, list[str]], second: Mapping[str, list[str]]) -> bool:
    """True when no event can match both selectors (as far as the selectors alone show)."""
    if not first or not second:
        return True  # an empty selector is chosen only by a plugin (connector_customer)
    if ("bvs" in first) != ("bvs" in second):
        return True  # BA events against host events
    for key in ("pollers", "hostgroups", "servicegroups", "bvs"):
        if key in first and key in second and set(first[key]).isdisjoint(second[key]):
            return True
    return "hosts" in first and "hosts" in second and _patterns_disjoint(first["hosts"], second["hosts"])


def shadows(first: Mapping[str, list[str]], second: Mapping[str, list[str]]) -> bool:
    """True when every event ``second`` matches is matched by ``first`` (so, after it in the
    file, ``second`` is never chosen)."""
    if not first or not second:
        return False
    return all(key in second and set(second[key]) <= set(first[key]) for key in first)


def overlaps(customers: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """``(errors, warnings)``: a customer that an earlier one hides is an error; selectors that
    may match the same event are a warning (the first in the file takes it)."""
    errors, warnings = [], []
    for index, first in enumerate(customers):
        for second in customers[index + 1 :]:
            if shadows(first["selector"], second["selector"]):
                errors.append(
                    f"customer {second['name']} is never chosen: every event its selector matches is "
                    f"matched by {first['name']}'s, earlier in the file"
                )
            elif not disjoint(first["selector"], second["selector"]):
                warnings.append(
                    f"customers {first['name']} and {second['name']} may overlap: an event can match "
                    f"both selectors, and then {first['name']}, first in the file, takes it "
                    "(see docs/customers.md)"
                )
    return errors, warnings


def customer_config(config: Any, customer: Mapping[str, Any]) -> Any:
    """The configuration of one customer: the top-level values with its settings on top."""
    values = merge(config._values, customer["settings"])
    return config_module.Config(values, config.path, [])
