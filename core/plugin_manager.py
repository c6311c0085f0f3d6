"""Finds, orders and registers plugins; tells which plugin raised.

Builtin and third-party plugins come from the same entry-point group, ``centreon_canopsis``.
Builtins are registered first, in :data:`BUILTIN_ORDER` (reversed, because pluggy asks the
implementation registered last first), then third-party ones sorted by name, then the import
paths listed in ``[plugins] load``. ``[plugins] disable`` blocks any of them by name.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import logging
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from centreon_canopsis.core import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = hookspecs.PROJECT
DISTRIBUTION = "centreon-canopsis-connector"

#: Builtin plugins in the order their hooks are asked. Filters follow the order in which the Lua
#: connector checks an event (lua-connector.md section 4); mappings and routes do not overlap.
BUILTIN_ORDER: tuple[str, ...] = (
    # accept: the Lua connector's checks, in its order
    "anonymous_events",
    "bam_host",
    "name_patterns",
    "states",
    "dedup",
    "state_flags",
    "authors",
    "pollers",
    "severities",
    "groups",
    "bvs",
    # transform
    "format_file",
    "host_status",
    "service_status",
    "acknowledgement",
    "downtime",
    "ba_status",
    # route and send
    "canopsis_routes",
    "canopsis_sender",
)


class PluginLoadError(Exception):
    """A plugin could not be imported or registered; the message says which and why."""


@dataclass
class PluginInfo:
    """What ``centreon-canopsis plugins`` shows about one plugin."""

    name: str
    origin: str  # "builtin", "<distribution> <version>", or "[plugins] load"
    target: str  # the import path it was loaded from
    plugin: Any = None
    disabled: bool = False
    error: str | None = None
    hooks: list[str] = field(default_factory=list)


class PluginManager(pluggy.PluginManager):
    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._owners: dict[types.CodeType, str] = {}
        #: Changes with every registration, unregistration and monitoring change: the dispatcher's
        #: direct hook calls (core/hookcalls.py) take their implementation lists again then.
        self.generation = 0
        #: Hook-call monitors in place (tests, tracing): hooks must then be called through pluggy.
        self.monitors = 0

    # -- loading ---------------------------------------------------------------------------

    def load(self, disabled: Iterable[str] = (), extra: Iterable[str] = ()) -> None:
        """Registers every plugin of the entry-point group, then the ``extra`` import paths.

        A plugin that fails to import is recorded (see :attr:`infos`) and reported by
        :meth:`errors`; the others are registered anyway so that ``plugins`` can list them.
        """
        disabled = set(disabled)
        builtins, others = [], []
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            is_builtin = dist is not None and dist.name == DISTRIBUTION
            if is_builtin:
                builtins.append(entry_point)
            else:
                origin = f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"
                others.append((entry_point, origin))
        rank = {name: index for index, name in enumerate(BUILTIN_ORDER)}
        builtins.sort(key=lambda ep: (rank.get(ep.name, len(rank)), ep.name), reverse=True)
        for entry_point in builtins:
            self._load_one(entry_point.name, entry_point.value, "builtin", disabled)
        for entry_point, origin in sorted(others, key=lambda pair: pair[0].name):
            self._load_one(entry_point.name, entry_point.value, origin, disabled)
        for target in extra:
            # "pkg.mod:Plugin" is named Plugin; a bare module by its whole dotted path, not by
            # its last part (which named a failing "pkg.module" 'module').
            module, _, attribute = target.partition(":")
            name = attribute.rsplit(".", 1)[-1] if attribute else module
            self._load_one(name, target, "[plugins] load", disabled)

    def _load_one(self, name: str, target: str, origin: str, disabled: set[str]) -> None:
        if name in self.infos:
            self.infos.setdefault(
                f"{name} ({target})",
                PluginInfo(name, origin, target, error=f"a plugin named {name!r} is already registered"),
            )
            return
        info = self.infos[name] = PluginInfo(name, origin, target)
        if name in disabled:
            info.disabled = True
            self.set_blocked(name)
            return
        try:
            obj = _import(target)
            plugin = obj() if inspect.isclass(obj) else obj
            self.register(plugin, name=name)
        except Exception as error:  # a broken plugin must be reported, whatever it raised
            info.error = f"{type(error).__name__}: {error}"
            # Reported once, by errors() (a refused start, validate, the plugins listing).
            log.debug("plugin %s (%s) could not be loaded: %s", name, target, info.error)
            return
        info.plugin = plugin
        info.hooks = sorted(caller.name for caller in self.get_hookcallers(plugin) or [])

    def register(self, plugin: object, name: str | None = None) -> str | None:
        self.generation += 1
        registered = super().register(plugin, name=name)
        self.generation += 1
        if registered is not None:
            for caller in self.get_hookcallers(plugin) or []:
                for impl in caller.get_hookimpls():
                    if impl.plugin is plugin:
                        function = getattr(impl.function, "__func__", impl.function)
                        code = getattr(function, "__code__", None)
                        if code is not None:
                            self._owners[code] = registered
            self.infos.setdefault(registered, PluginInfo(registered, "registered in code", repr(plugin)))
            info = self.infos[registered]
            info.plugin = plugin
            info.hooks = sorted(caller.name for caller in self.get_hookcallers(plugin) or [])
        return registered

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any | None:
        self.generation += 1
        try:
            return super().unregister(plugin, name)
        finally:
            self.generation += 1

    def add_hookcall_monitoring(self, before, after) -> Callable[[], None]:
        undo = super().add_hookcall_monitoring(before, after)
        self.monitors += 1
        self.generation += 1
        done = False

        def undo_and_count() -> None:
            nonlocal done
            undo()
            if not done:
                done = True
                self.monitors -= 1
                self.generation += 1

        return undo_and_count

    @property
    def monitored(self) -> bool:
        return self.monitors > 0

    def errors(self) -> list[str]:
        """Problems that must stop a daemon: plugins that failed to load, unknown hook names."""
        problems = [
            f"plugin {info.name!r} ({info.target}) failed to load: {info.error}"
            if info.origin != "[plugins] load"
            else f"[plugins] load: {info.target!r} failed to load: {info.error}"
            for info in self.infos.values()
            if info.error
        ]
        try:
            self.check_pending()
        except pluggy.PluginValidationError as error:
            problems.append(f"plugin {error.plugin!r}: {error}")
        return problems

    # -- introspection ---------------------------------------------------------------------

    def owner_of(self, error: BaseException) -> str | None:
        """Name of the plugin whose hook implementation raised ``error`` (deepest one wins)."""
        owner = None
        traceback = error.__traceback__
        while traceback is not None:
            name = self._owners.get(traceback.tb_frame.f_code)
            if name is not None:
                owner = name
            traceback = traceback.tb_next
        return owner

    def implementations(self, hook_name: str) -> list[tuple[str, str]]:
        """``(plugin name, flags)`` in the order the hook asks them (first asked first)."""
        caller = getattr(self.hook, hook_name)
        rows = []
        for impl in reversed(caller.get_hookimpls()):
            flags = [
                flag for flag in ("tryfirst", "trylast", "wrapper", "hookwrapper") if getattr(impl, flag)
            ]
            rows.append((impl.plugin_name, ",".join(flags)))
        return rows


def _import(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise PluginLoadError(f"cannot import {module_name!r}: {error}") from error
    obj: Any = module
    for part in filter(None, attribute.split(".")):
        obj = getattr(obj, part)
    return obj
