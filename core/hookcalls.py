"""Direct calls of the per-event ``firstresult`` hooks (accept, transform, route), public pluggy API only.

pluggy rebuilds every implementation's argument list on each hook call; these hooks run for every
event, so :class:`FirstResult` takes the implementations once from ``HookCaller.get_hookimpls()``
(in pluggy's call order: the last registered first, ``tryfirst``/``trylast`` honoured), with the
positions of the arguments each one takes, and calls them directly.

When to take the list again is told by our :class:`~centreon_canopsis.core.plugin_manager.PluginManager`:
it counts registrations, unregistrations and hook-call monitoring (``add_hookcall_monitoring``,
``enable_tracing``) in :attr:`generation`. Wrappers (``wrapper=True``, ``hookwrapper=True``) and
monitoring need pluggy's own machinery: then the hook caller itself is called. With a plain
``pluggy.PluginManager`` (no generation to watch) the hook caller is always used.

:meth:`FirstResult.for_kind` narrows the list for one element kind: a plugin that declares
``accept_kinds`` (the kinds its ``connector_accept`` may object to) is not called for the others,
and one that declares ``accept_checks`` (``{kind: check(event)}``, what its ``connector_accept``
answers) has its kind's check called instead: one call per filter and event, not two.

The loop over a list (:func:`_first`) runs in C (``first`` in core/_speedups.c) when it was
compiled; :func:`_first` stays the reference (tests/core/test_speedups.py holds the two alike).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Mapping
from typing import Any

from centreon_canopsis.core.bbdo import accel

log = logging.getLogger(__name__)

#: ``(function, positions)``: positions is None when the implementation takes the spec's arguments
#: in the spec's order, an int when it takes that one argument alone, else the index in the spec's
#: arguments of each argument it takes.
Call = tuple[Callable[..., Any], tuple[int, ...] | int | None]


class FirstResult:
    """A faster equivalent of a ``firstresult`` hook call, called positionally."""

    def __init__(self, caller: Any, manager: Any = None) -> None:
        self.caller = caller
        self.names = tuple(caller.spec.argnames)
        #: Only a manager that counts its changes allows direct calls.
        self.manager = manager if hasattr(manager, "generation") and hasattr(manager, "monitored") else None
        #: The manager's generation the call lists are for (None: no direct calls, the hook
        #: caller is used), and the list of each element kind so far (read by core/_speedups.c's
        #: Dispatch, which calls a kind's list itself while the generation is the manager's).
        self.generation: int | None = None
        self.by_kind: dict[str, list[Call]] = {}
        self._resolve()

    def _current(self) -> int | None:
        manager = self.manager
        if manager is None or manager.monitored:
            return None
        return manager.generation

    def _resolve(self) -> None:
        impls = list(reversed(self.caller.get_hookimpls()))
        self._impls = impls
        self.generation = self._current()
        direct = self.generation is not None and not any(impl.hookwrapper or impl.wrapper for impl in impls)
        self.calls: list[Call] | None = [self._call(impl) for impl in impls] if direct else None
        self.by_kind = {}

    def _call(self, impl: Any) -> Call:
        argnames = tuple(impl.argnames)
        positions = None if argnames == self.names else tuple(self.names.index(name) for name in argnames)
        return impl.function, positions

    def _stale(self) -> bool:
        # Monitoring needs no look of its own: starting or ending it counts in the generation, and
        # while it runs _resolve keeps no generation (None), so every call resolves again.
        manager = self.manager
        return manager is not None and manager.generation != self.generation

    def __call__(self, *args: Any) -> Any:
        if self._stale():
            self._resolve()
        calls = self.calls
        if calls is None:
            return self.caller(**dict(zip(self.names, args, strict=True)))
        return first(calls, args)

    def for_kind(self, kind: str, *args: Any) -> Any:
        """The same call, without the implementations whose plugin says it never objects to ``kind``."""
        # The usual case first, with _stale written out (a call less per event).
        manager = self.manager
        if manager is not None and manager.generation == self.generation:
            calls = self.by_kind.get(kind)
            if calls is not None:
                return first(calls, args)
        if self._stale():
            self._resolve()
        if self.calls is None:
            return self.caller(**dict(zip(self.names, args, strict=True)))
        calls = self.by_kind.get(kind)
        if calls is None:
            calls = [call for impl in self._impls if (call := self._for_kind(impl, kind))]
            self.by_kind[kind] = calls
        return first(calls, args)

    def _for_kind(self, impl: Any, kind: str) -> Call | None:
        checks: Mapping[str, Callable[[Any], Any]] | None = getattr(impl.plugin, "accept_checks", None)
        if checks is not None:
            if isinstance(checks, Mapping):
                check = checks.get(kind)
                if check is None:
                    return None
                if callable(check):
                    return check, 0  # the event alone: the spec's first argument
                wrong = f"its value for {kind!r} is a {type(check).__name__}"
            else:
                wrong = f"it is a {type(checks).__name__}"
            # A plugin's mistake: said once per kind, and its connector_accept is called instead.
            log.warning(
                "plugin %s: accept_checks must map element kinds to functions, %s; calling its "
                "connector_accept instead",
                impl.plugin_name,
                wrong,
            )
            return self._call(impl)
        kinds: Container[str] | None = getattr(impl.plugin, "accept_kinds", None)
        return self._call(impl) if kinds is None or kind in kinds else None


def _first(calls: list[Call], args: tuple[Any, ...]) -> Any:
    for function, positions in calls:
        if positions is None:
            result = function(*args)
        elif positions.__class__ is int:
            result = function(args[positions])  # type: ignore[index]
        else:
            result = function(*[args[i] for i in positions])  # type: ignore[union-attr]
        if result is not None:
            return result
    return None


_SPEEDUPS = accel.load(accel.SPEEDUPS)
#: What FirstResult calls: the C loop when compiled (the calls are always a list of
#: ``(function, None | int | tuple of ints)`` built by :meth:`FirstResult._call`).
first: Callable[[list[Call], tuple[Any, ...]], Any] = _first if _SPEEDUPS is None else _SPEEDUPS.first
