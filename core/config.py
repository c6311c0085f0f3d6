"""The configuration file: one TOML file, validated against ``schemas/config.schema.json``.

Top-level keys are the Lua connector's parameters (same names, meanings and defaults unless the
schema says otherwise) plus the connector's own keys and tables. Loading reports every problem at
once, each naming the parameter, the value and what is allowed; unknown keys get a did-you-mean.
"""

from __future__ import annotations

import difflib
import importlib.resources
import os
import tomllib
import urllib.parse
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import jsonschema

from centreon_canopsis.core.endpoint_auth import read_endpoint_secrets
from centreon_canopsis.core.secrets import REDACTOR, Secret
from centreon_canopsis.core.source_checks import bbdo_source_errors

AUTHKEY_ENV = "CANOPSIS_AUTHKEY"
PROXY_PASSWORD_ENV = "CANOPSIS_PROXY_PASSWORD"
AMQP_PASSWORD_ENV = "CANOPSIS_AMQP_PASSWORD"

# Old or misspelt names -> (current name, how the value converts).
DEPRECATED = {
    "max_buffer_age": "max_all_queues_age",
    # The Centreon documentation spells these differently from the code (lua-connector.md 2.3).
    "accepted_hosts_enable_split": "accepted_hosts_enable_split_pattern",
    "accepted_services_enable_split": "accepted_services_enable_split_pattern",
    "accepted_hosts_split_characters": "accepted_hosts_split_character",
    "accepted_services_split_characters": "accepted_services_split_character",
}
PAIRED_FILTERS = ("hostgroups", "servicegroups", "pollers", "authors", "bvs")
EXPECTED = {
    "flag": '0 or 1 (also "0"/"1" or true/false)',
    "port": "a port number from 1 to 65535",
    "positive_number": "a number greater than 0",
    "non_negative_number": "a number, 0 or more",
    "non_negative_integer": "a whole number, 0 or more",
    "log_level": "1 (errors), 2 (warnings) or 3 (debug)",
}


class ConfigError(Exception):
    """The configuration cannot be used; ``errors`` lists every problem found."""

    def __init__(self, errors: Iterable[str], path: str | None = None) -> None:
        self.errors = list(errors)
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(where + "; ".join(self.errors))

    def render(self) -> str:
        head = f"invalid configuration {self.path}" if self.path else "invalid configuration"
        return head + ":\n" + "\n".join(f"  - {error}" for error in self.errors)


@cache
def schema() -> dict[str, Any]:
    text = importlib.resources.files("centreon_canopsis.schemas").joinpath("config.schema.json").read_text()
    import json

    return json.loads(text)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


class Config:
    """Validated settings with every default filled in. Read-only attribute and item access.

    ``config.hard_only`` is an int, ``config.source`` a dict; secrets are :class:`Secret`.
    """

    def __init__(self, values: dict[str, Any], path: str | None = None, warnings: list[str] | None = None):
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "warnings", warnings or [])

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no configuration parameter {name!r}") from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the configuration is read-only")

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def as_dict(self) -> dict[str, Any]:
        """A copy of every value, secrets masked: what ``validate --show`` prints."""
        return {key: _masked(value) for key, value in self._values.items()}

    def replace(self, **changes: Any) -> Config:
        """A copy with some values changed (used by tests and the demo)."""
        values = dict(self._values)
        values.update(changes)
        return Config(values, self.path, self.warnings)

    def plugin_settings(self, name: str) -> dict[str, Any]:
        """The ``[plugins.<name>]`` table, or an empty dict."""
        table = self._values["plugins"].get(name)
        return dict(table) if isinstance(table, dict) else {}

    def __repr__(self) -> str:
        return f"Config(path={self.path!r})"


def _masked(value: Any) -> Any:
    """Secrets shown masked, also inside lists and tables (``[[customers]]``)."""
    if isinstance(value, Secret):
        return str(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def load(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Reads, validates and completes a configuration file. Raises :class:`ConfigError`."""
    config, errors = check_file(path, env)
    if errors or config is None:
        raise ConfigError(errors, os.fspath(path))
    return config


def check_file(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None
) -> tuple[Config | None, list[str]]:
    """Like :func:`load`, but returns ``(config, problems)``: the config (None when the file
    cannot be read) has the defaults where the file is wrong, so that later checks can run."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        return None, ["file not found"]
    except PermissionError:
        return None, ["permission denied"]
    except IsADirectoryError:
        return None, ["is a directory, not a configuration file"]
    except OSError as error:
        return None, [f"cannot be read: {error.strerror or error}"]
    except tomllib.TOMLDecodeError as error:
        return None, [f"not valid TOML: {error}"]
    except UnicodeDecodeError as error:
        return None, [f"not valid UTF-8: {error.reason} at byte {error.start}"]
    base = Path(path).resolve().parent
    return check_mapping(raw, env=env, path=path, base_dir=base)


def from_mapping(
    raw: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    path: str | None = None,
    base_dir: Path | None = None,
) -> Config:
    """Validates a configuration given as a mapping (the parsed TOML)."""
    config, errors = check_mapping(raw, env, path, base_dir)
    if errors:
        raise ConfigError(errors, path)
    return config


def check_mapping(
    raw: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    path: str | None = None,
    base_dir: Path | None = None,
) -> tuple[Config, list[str]]:
    """Every problem of a configuration mapping, and the config with defaults where it is wrong."""
    env = os.environ if env is None else env
    errors: list[str] = []
    warnings: list[str] = []
    renamed: dict[str, str] = {}
    data = _apply_deprecated(dict(raw), errors, warnings, renamed)
    schema_errors, bad_keys = _schema_errors(data)
    errors += [_user_names(message, renamed) for message in schema_errors]
    # Keep checking what is valid, so that one run reports every problem.
    data = {key: value for key, value in data.items() if key not in bad_keys}
    values = _complete(data)
    _coerce(values)
    errors += _cross_checks(values, data)
    _read_secrets(values, data, env, base_dir, errors)
    errors += bbdo_source_errors(values["source"])
    read_endpoint_secrets(values["metrics"], base_dir, errors, warnings)
    from centreon_canopsis.core.customers import check_customers  # [[customers]]: their own module

    check_customers(values, data, env, base_dir, errors, warnings)
    if base_dir is not None:
        _resolve_paths(values, base_dir)
    errors += _file_errors(values)
    return Config(values, path, warnings), errors


def _apply_deprecated(
    data: dict[str, Any], errors: list[str], warnings: list[str], renamed: dict[str, str]
) -> dict[str, Any]:
    for old, new in DEPRECATED.items():
        if old not in data:
            continue
        if new in data:
            errors.append(f"{old} is the deprecated name of {new}; set only {new}")
            continue
        data[new] = data.pop(old)
        renamed[new] = old
        warnings.append(f"{old} is deprecated: use {new}")
    if "allow_insecure_connection" in data:
        warnings.append("allow_insecure_connection is deprecated: use verify_certificate")
    return data


def _user_names(message: str, renamed: Mapping[str, str]) -> str:
    """A message about a renamed parameter names it as the user wrote it."""
    for new, old in renamed.items():
        if message.startswith(f"{new} "):
            return f"{old} (now {new}){message[len(new) :]}"
    return message


def _schema_errors(data: Mapping[str, Any]) -> tuple[list[str], set[str]]:
    """Messages for every schema violation, and the top-level keys they concern."""
    messages: list[str] = []
    bad_keys: set[str] = set()
    for error in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        messages += _describe(error)
        if error.absolute_path:
            bad_keys.add(str(error.absolute_path[0]))
        elif error.validator == "additionalProperties":
            bad_keys.update(key for key in error.instance if key not in error.schema.get("properties", {}))
    return messages, bad_keys


def _describe(error: jsonschema.ValidationError) -> list[str]:
    where = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties":
        known_schema = error.schema.get("properties", {})
        known = list(known_schema) + ([] if where else list(DEPRECATED))
        extra = [key for key in error.instance if key not in known_schema]
        messages = []
        for key in extra:
            full = f"{where}.{key}" if where else key
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
            suggestion = f"{where}.{close[0]}" if close and where else (close[0] if close else "")
            hint = f"; did you mean {suggestion!r}?" if close else ""
            messages.append(f"unknown parameter {full!r}{hint}")
        return messages
    value = error.instance
    shown = _show(value)
    if error.validator == "enum":
        allowed = ", ".join(_show(v) for v in error.validator_value)
        return [f"{where} = {shown} is not allowed; expected one of {allowed}"]
    if "x-expected" in error.schema:
        return [f"{where} = {shown} is not valid; expected {error.schema['x-expected']}"]
    if error.validator in ("anyOf", "oneOf", "$ref") or "$ref" in error.schema:
        return [f"{where} = {shown} is not valid; expected {_expected(error.schema)}"]
    if error.validator == "type":
        return [f"{where} = {shown} has the wrong type; expected {_expected(error.schema)}"]
    if error.validator == "required":
        return [f"{where or 'configuration'}: {error.message}"]
    return [f"{where} = {shown} is not valid: {error.message}"]


def _expected(subschema: Mapping[str, Any]) -> str:
    ref = subschema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return EXPECTED.get(ref.rsplit("/", 1)[1], ref.rsplit("/", 1)[1])
    if "anyOf" in subschema:
        return " or ".join(_expected(option) for option in subschema["anyOf"])
    if "const" in subschema:
        return _show(subschema["const"])
    if "enum" in subschema:
        return "one of " + ", ".join(_show(v) for v in subschema["enum"])
    kind = subschema.get("type")
    if kind == "null":
        return "nothing (leave it out)"
    if isinstance(kind, list):
        return " or ".join(kind)
    return {
        "string": "a string",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "array": "a list",
        "object": "a table",
    }.get(kind or "", "another value")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _complete(data: Mapping[str, Any]) -> dict[str, Any]:
    """Every property of the schema, with its default where the file left it out."""
    values: dict[str, Any] = {}
    for name, prop in schema()["properties"].items():
        if prop.get("type") == "object":
            table = dict(data.get(name, {}))
            for key, sub in prop.get("properties", {}).items():
                if key not in table and "default" in sub:
                    table[key] = sub["default"]
            values[name] = table
        elif name in data:
            values[name] = data[name]
        else:
            values[name] = prop.get("default")
    return values


def _to_number(value: Any) -> Any:
    if isinstance(value, str) and value:
        return float(value) if "." in value else int(value)
    return value


def _coerce(values: dict[str, Any]) -> None:
    """Turns the accepted spellings into one type: flags to 0/1, numeric strings to numbers."""
    props = schema()["properties"]
    for name, prop in props.items():
        value = values.get(name)
        ref = prop.get("$ref", "")
        if ref == "#/$defs/flag" and value is not None:
            values[name] = 1 if value in (1, "1", True) else 0
        elif ref in (
            "#/$defs/port",
            "#/$defs/positive_number",
            "#/$defs/non_negative_number",
            "#/$defs/non_negative_integer",
            "#/$defs/log_level",
        ):
            values[name] = _to_number(value)
    source = values["source"]
    if isinstance(source.get("port"), str) and source["port"].isdigit():
        source["port"] = int(source["port"])  # "5670", as the Centreon UI writes ports
    for name in ("proxy_port", "output_size_limit", "host_severity_threshold", "service_severity_threshold"):
        value = values[name]
        values[name] = None if value in ("", None) else int(value)


def _cross_checks(values: dict[str, Any], data: Mapping[str, Any]) -> list[str]:
    errors = []
    if "canopsis_host" not in data:
        errors.append("canopsis_host is missing: the Canopsis host name or address is required")
    else:
        errors += _host_errors(values)
    for kind in PAIRED_FILTERS:
        accepted, rejected = values[f"accepted_{kind}"], values[f"rejected_{kind}"]
        if accepted.strip() and rejected.strip():
            errors.append(
                f"accepted_{kind} and rejected_{kind} are both set; use one of them "
                f"(the Lua connector silently ignored both)"
            )
    insecure = data.get("allow_insecure_connection")
    if insecure is not None:
        wanted_verify = 0 if insecure in (1, "1", True) else 1
        if "verify_certificate" in data and values["verify_certificate"] != wanted_verify:
            errors.append(
                f"allow_insecure_connection = {_show(insecure)} contradicts verify_certificate = "
                f"{_show(data['verify_certificate'])}; keep only verify_certificate"
            )
        values["verify_certificate"] = wanted_verify
    values["allow_insecure_connection"] = None
    if values["proxy_address"] and values["proxy_port"] is None:
        errors.append("proxy_address is set but proxy_port is not; both are needed for a proxy")
    if values["custom_code_file"]:
        errors.append(
            f"custom_code_file = {_show(values['custom_code_file'])}: this connector cannot run Lua code; "
            "write a plugin instead (see the plugin authoring guide)"
        )
    source = values["source"]
    if source["type"] == "bbdo" and bool(source.get("tls_cert")) != bool(source.get("tls_key")):
        errors.append("source.tls_cert and source.tls_key go together; set both or neither")
    errors += _element_errors(values)
    return errors


def _host_errors(values: Mapping[str, Any]) -> list[str]:
    """``canopsis_host`` is a bare host name: the URL is ``sending_protocol://host:canopsis_port``."""
    host = values.get("canopsis_host")
    if not isinstance(host, str):
        return []
    if not host.strip():
        return ["canopsis_host is empty: the Canopsis host name or address is required"]
    scheme, found, rest = host.partition("://")
    if found:
        url = urllib.parse.urlsplit(host)
        try:
            port = url.port
        except ValueError:
            port = None
        advice = f"canopsis_host = {_show(url.hostname or rest.split('/', 1)[0])}"
        advice += f", sending_protocol = {_show(scheme.lower())}"
        if port:
            advice += f", canopsis_port = {port}"
        return [f"canopsis_host = {_show(host)} must be a host name without scheme: write {advice}"]
    if "/" in host:
        return [f"canopsis_host = {_show(host)} must be a host name, without a path"]
    name, colon, port = host.rpartition(":")
    bracketed = name.startswith("[") and name.endswith("]")
    if colon and port.isdigit() and name and (":" not in name or bracketed):  # not a bare IPv6
        return [
            f"canopsis_host = {_show(host)} must be a host name without port: write "
            f"canopsis_host = {_show(name)} and canopsis_port = {port}"
        ]
    if any(c.isspace() for c in host):
        return [f"canopsis_host = {_show(host)} is not a host name (it holds white space)"]
    return []


def _file_errors(values: Mapping[str, Any]) -> list[str]:
    """Files the daemon will open: missing ones are found here, not by a traceback at start."""
    errors = []
    named = [("ca_file", values.get("ca_file"))]
    source = values["source"]
    if source.get("type") == "bbdo":
        named += [("source.tls_cert", source.get("tls_cert")), ("source.tls_key", source.get("tls_key"))]
        named.append(("source.tls_ca", source.get("tls_ca")))
    for name, file in named:
        if not file or not isinstance(file, str):
            continue
        try:
            with open(file, "rb"):
                pass
        except IsADirectoryError:
            errors.append(f"{name} = {_show(file)} is a directory, not a file")
        except OSError as error:
            errors.append(f"{name} = {_show(file)} cannot be read: {error.strerror or error}")
    return errors


def _element_errors(values: Mapping[str, Any]) -> list[str]:
    from centreon_canopsis.core.elements import UnknownElementError, default_registry, parse_category_list

    try:
        categories = parse_category_list(values["accepted_categories"])
    except ValueError as error:
        return [f"accepted_categories: {error}"]
    registry = default_registry()
    errors = []
    for name in split_list(values["accepted_elements"]):
        try:
            registry.resolve_any(name, categories or [1, 6])
        except UnknownElementError as error:
            errors.append(
                f"accepted_elements: {error} (accepted categories: {values['accepted_categories']})"
            )
    return errors


def _read_secrets(
    values: dict[str, Any],
    data: Mapping[str, Any],
    env: Mapping[str, str],
    base_dir: Path | None,
    errors: list[str],
) -> None:
    authkey = _secret_value(
        "canopsis_authkey",
        data.get("canopsis_authkey"),
        env.get(AUTHKEY_ENV),
        values.get("canopsis_authkey_file"),
        base_dir,
        errors,
    )
    if authkey is None and not any("canopsis_authkey" in e for e in errors):
        errors.append(
            f"canopsis_authkey is missing: set it in the file, in the {AUTHKEY_ENV} environment "
            "variable, or name a file holding it with canopsis_authkey_file"
        )
    password = _secret_value(
        "proxy_password",
        data.get("proxy_password") or None,
        env.get(PROXY_PASSWORD_ENV),
        values.get("proxy_password_file"),
        base_dir,
        errors,
    )
    values["canopsis_authkey"] = Secret(authkey or "")
    values["proxy_password"] = Secret(password or "")
    REDACTOR.add(values["canopsis_authkey"])
    REDACTOR.add(values["proxy_password"], user=values["proxy_username"] or None)
    _read_amqp_password(values["amqp"], env, base_dir, errors)


def _read_amqp_password(
    amqp: dict[str, Any], env: Mapping[str, str], base_dir: Path | None, errors: list[str]
) -> None:
    """``[amqp]``: the password from the table, the environment or a file, or written in the URL
    (taken out of it, so that the URL can be logged and shown)."""
    url = amqp.get("url")
    in_url = None
    if url:
        parts = urlsplit(url)
        if parts.password is not None:
            in_url = unquote(parts.password)
            host = parts.netloc.rpartition("@")[2]
            user = quote(unquote(parts.username or ""), safe="")
            amqp["url"] = urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))
            if amqp.get("password"):
                errors.append("amqp.password is given in amqp.url and in amqp.password; give it once")
    password = _secret_value(
        "amqp.password",
        amqp.get("password") or in_url,
        env.get(AMQP_PASSWORD_ENV) if url else None,
        amqp.get("password_file"),
        base_dir,
        errors,
    )
    amqp["password"] = Secret(password or "")
    REDACTOR.add(amqp["password"])


def _secret_value(
    name: str,
    inline: str | None,
    from_env: str | None,
    file: str | None,
    base_dir: Path | None,
    errors: list[str],
) -> str | None:
    given = [
        label
        for label, value in (("the file", inline), ("the environment", from_env), (f"{name}_file", file))
        if value
    ]
    if len(given) > 1:
        errors.append(f"{name} is given in {' and '.join(given)}; give it once")
        return None
    if file:
        target = Path(file) if base_dir is None else base_dir / file
        try:
            return target.read_text(encoding="utf-8").strip() or _empty(errors, f"{name}_file", file)
        except OSError as error:
            errors.append(f"{name}_file = {file!r} cannot be read: {error.strerror}")
            return None
        except ValueError as error:  # a NUL in the path, a file that is not UTF-8
            errors.append(f"{name}_file = {file!r} cannot be read: {error}")
            return None
    return inline or from_env or None


def _empty(errors: list[str], name: str, file: str) -> None:
    errors.append(f"{name} = {file!r} is empty")
    return None


def _resolve_paths(values: dict[str, Any], base_dir: Path) -> None:
    """Relative paths in the file are relative to the file, not to the working directory."""
    for name in ("state_dir", "logfile", "format_file", "ca_file"):
        if values.get(name):
            values[name] = str(base_dir / values[name])
    amqp = values["amqp"]
    for key in ("ca_file", "cert_file", "key_file"):
        if amqp.get(key):
            amqp[key] = str(base_dir / amqp[key])
    source = values["source"]
    for key in ("tls_cert", "tls_key", "tls_ca"):
        if source.get(key):
            source[key] = str(base_dir / source[key])
    if source.get("path") not in (None, "-"):
        source["path"] = str(base_dir / source["path"])


def split_list(value: str, separator: str = ",") -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``: the Lua comma lists, spaces around items ignored."""
    return [item.strip() for item in value.split(separator) if item.strip()]
