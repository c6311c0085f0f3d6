"""Validation in stages: each stage returns its problems and every stage runs, so that one pass
of ``validate`` (or a refused start) reports every problem at once: the file's own checks
(schema, cross-checks, files it names), then the plugins (loading, ``[plugins]`` names and
settings), then each plugin's own configuration (format file, patterns, state lists...).

A new check is a function added to :data:`PLUGIN_STAGES` (it gets the configuration and the
loaded plugins) or a problem raised as :class:`ConfigError` by a plugin's ``connector_configure``;
configuration keys are checked by the schema and ``core/config.py``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from centreon_canopsis.core import config as config_module
from centreon_canopsis.core.config import Config, ConfigError
from centreon_canopsis.core.logsafe import shown_error
from centreon_canopsis.core.plugin_manager import PluginManager

PluginStage = Callable[[Config, PluginManager], list[str]]
#: The plugin in charge of sending to Canopsis: disabling it is allowed (another plugin may
#: send) but worth a warning.
SENDER = "canopsis_sender"
#: The builtin AMQP sender sends nothing unless ``[amqp] url`` is set (and then only events).
AMQP_SENDER = "amqp_sender"


def plugin_load_problems(config: Config, plugins: PluginManager) -> list[str]:
    """Plugins that failed to load, and ``[plugins] disable`` names that match no plugin."""
    problems = plugins.errors()
    known = [name for name in plugins.infos if " (" not in name]
    for name in config.plugins.get("disable", ()):
        if name not in plugins.infos:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"[plugins] disable: no plugin is named {name!r}{hint}")
    return problems


def plugin_settings_problems(config: Config, plugins: PluginManager) -> list[str]:
    """Each ``[plugins.<name>]`` table against the schema its plugin declares."""
    schemas: dict[str, Any] = {}
    for declared in plugins.hook.connector_config_schema():
        schemas.update(declared or {})
    errors = []
    for name, table in config.plugins.items():
        if name in ("disable", "load"):
            continue
        schema = schemas.get(name)
        if schema is None:
            errors.append(f"[plugins.{name}]: no loaded plugin declares settings named {name!r}")
            continue
        for error in jsonschema.Draft202012Validator(schema).iter_errors(table):
            where = ".".join(["plugins", name, *map(str, error.absolute_path)])
            errors.append(f"{where}: {error.message}")
    return errors


PLUGIN_STAGES: list[PluginStage] = [plugin_load_problems, plugin_settings_problems]


def plugin_warnings(config: Config, plugins: PluginManager) -> list[str]:
    warnings = []
    if SENDER in config.plugins.get("disable", ()):
        senders = [
            impl
            for impl in plugins.hook.connector_send.get_hookimpls()
            if impl.plugin_name != AMQP_SENDER or config.amqp.get("url")
        ]
        if senders:
            warnings.append(f"{SENDER} is disabled: another plugin sends the payloads")
        else:
            warnings.append(
                f"{SENDER} is disabled and no other plugin implements connector_send: "
                "nothing will be delivered to Canopsis; payloads stay in the outbox"
            )
    loaded = {impl.plugin_name for impl in plugins.hook.connector_send.get_hookimpls()}
    if config.amqp.get("url") and AMQP_SENDER not in loaded:
        warnings.append(f"amqp.url is set but {AMQP_SENDER} is not loaded: events go over HTTP")
    return warnings


def configure_problems(config: Config, context: Any) -> list[str]:
    """Calls every plugin's ``connector_configure`` in hook order, each on its own, so that one
    plugin's refusal does not hide the next one's."""
    caller = context.plugins.hook.connector_configure
    impls = caller.get_hookimpls()
    if any(impl.hookwrapper or impl.wrapper for impl in impls):
        try:
            caller(config=config, context=context)
        except ConfigError as error:
            return error.errors
        return []
    arguments = {"config": config, "context": context}
    problems: list[str] = []
    for impl in reversed(impls):  # pluggy asks the last registered first
        try:
            impl.function(**{name: arguments[name] for name in impl.argnames})
        except ConfigError as error:
            problems += error.errors
        except Exception as error:  # a value no earlier stage refused: a problem, not a traceback
            problems.append(f"plugin {impl.plugin_name} cannot be configured: {shown_error(error)}")
    return problems


@dataclass
class Checked:
    """What ``validate`` found: the config (None when the file cannot be read), the context
    (None when plugins could not be configured), every problem, every warning."""

    config: Config | None
    context: Any = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_file(path: str) -> Checked:
    """Every stage, on a configuration file; nothing is started, no network is used."""
    from centreon_canopsis.core.pipeline import build_context

    config, errors = config_module.check_file(path)
    if config is None:
        return Checked(None, None, errors)
    context = None
    try:
        context = build_context(config)
    except ConfigError as problem:
        errors = errors + problem.errors
    return Checked(config, context, errors, list(config.warnings))
