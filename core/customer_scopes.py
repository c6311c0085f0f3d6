"""One scope per ``[[customers]]`` entry: its own plugin instances, configuration and destination.

A scope is what a pipeline is for one customer, minus what is shared: the name cache, the
element registry, the outbox and its database. Its plugins are loaded again from the same
places (entry points, ``[plugins] load``), so every class-based plugin, builtin or not, gets an
instance configured with the customer's settings; plugins registered in code are shared.

- Events: the top-level dispatcher asks ``connector_customer`` and hands the event to the
  chosen scope's dispatcher, which runs the scope's accept, transform and route hooks.
- Routes: a scope's routes are folded into ``<customer>/<route>`` on lanes ``<customer>/<lane>``,
  so each customer's Canopsis has its own lanes: an outage or a wrong authkey there holds up
  that customer's lanes only, in order, as for any lane.
- Sending: :class:`Customers` answers ``connector_send`` first (``tryfirst``) for folded routes
  and asks the scope's own send hook with the route as the scope knows it; the scope's sender
  has the customer's client and its own pbehavior reason and type look-ups.
- Metrics of a scope's plugins get their ``route`` and ``lane`` labels folded the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from centreon_canopsis.core import validation
from centreon_canopsis.core.config import Config, ConfigError
from centreon_canopsis.core.context import Context
from centreon_canopsis.core.customers import customer_config
from centreon_canopsis.core.dispatcher import ERROR, Dispatcher
from centreon_canopsis.core.events import identity
from centreon_canopsis.core.hookcalls import FirstResult
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.logsafe import log_limited, shown
from centreon_canopsis.core.model import OutboxItem, Result, Route
from centreon_canopsis.core.plugin_manager import PluginManager

log = logging.getLogger(__name__)

PLUGIN_NAME = "customer_scopes"
SEPARATOR = "/"
#: ``customer`` label of events no customer took (the top-level settings).
TOP_LEVEL = "-"
OUTCOMES = ("queued", "dropped", "error")


class ScopedMetrics:
    """The metrics registry as a scope's plugins see it: ``route`` and ``lane`` labels folded."""

    def __init__(self, metrics: Any, prefix: str) -> None:
        self._metrics = metrics
        self._prefix = prefix

    def _fold(self, labels: dict[str, str]) -> dict[str, str]:
        for key in ("route", "lane"):
            if key in labels:
                labels[key] = self._prefix + labels[key]
        return labels

    def inc(self, name: str, value: float = 1, **labels: str) -> None:
        self._metrics.inc(name, value, **self._fold(labels))

    def set(self, name: str, value: float, **labels: str) -> None:
        self._metrics.set(name, value, **self._fold(labels))

    def observe(self, name: str, value: float, **labels: str) -> None:
        self._metrics.observe(name, value, **self._fold(labels))

    def gauge_function(self, name: str, function: Callable[[], Any]) -> None:
        """A scope's gauge joins the others of the same name (the registry keeps one function per
        name): its ``route``/``lane`` folded, or a ``customer`` label when it has neither."""
        metrics = self._metrics
        parts: dict[str | None, Callable[[], Any]] = metrics.__dict__.setdefault(
            "_scope_gauges", {}
        ).setdefault(name, {})
        current = metrics._gauge_functions.get(name)
        if current is not None and current is not parts.get(None):
            parts[""] = current  # the top level's own (registered before the scopes start)
        customer = self._prefix[: -len(SEPARATOR)]

        def scoped() -> list[tuple[Any, float]]:
            return [(self._fold_labels(labels, customer), value) for labels, value in function()]

        def combined() -> list[tuple[Any, float]]:
            return [pair for key, part in list(parts.items()) if key is not None for pair in part()]

        parts[customer] = scoped
        parts[None] = combined
        metrics.gauge_function(name, combined)

    def _fold_labels(self, labels: Any, customer: str) -> tuple[tuple[str, str], ...]:
        found = dict(labels)
        if "route" in found or "lane" in found:
            return tuple(sorted(self._fold(found).items()))
        found["customer"] = customer
        return tuple(sorted(found.items()))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._metrics, name)


@dataclass(eq=False)
class Scope:
    name: str
    config: Config
    context: Context

    @property
    def prefix(self) -> str:
        return self.name + SEPARATOR


def scope_plugins(top: PluginManager) -> PluginManager:
    """The same plugins as ``top``, in the same order, new instances where they were loaded."""
    plugins = PluginManager()
    for name, info in top.infos.items():
        if name == PLUGIN_NAME or info.disabled or info.error or info.plugin is None:
            continue
        if info.origin == "registered in code":
            plugins.register(info.plugin, name=name)
        else:
            plugins._load_one(name, info.target, info.origin, set())
    return plugins


class Customers:
    """The scopes of one pipeline; registered in its plugin manager for startup, shutdown and send."""

    def __init__(self, context: Context, scopes: list[Scope]) -> None:
        self.context = context
        self.scopes = {scope.name: scope for scope in scopes}
        self.drop_unmatched = context.config.get("unmatched") == "drop"
        #: Events per (customer, outcome): read by the ``customer_events_total`` metric.
        #: A plain dict (every key is there from the start): a Counter's ``+= 1`` goes through a
        #: Python-level ``__setitem__`` (core/dispatcher.py).
        self.counts: dict[tuple[str, str], int] = {
            (name, outcome): 0 for name in [TOP_LEVEL, *self.scopes] for outcome in OUTCOMES
        }
        self._routes: dict[tuple[str, Route], Route] = {}
        context.metrics.gauge_function(
            "customer_events_total",
            lambda: [
                ((("customer", name), ("outcome", outcome)), n) for (name, outcome), n in self.counts.items()
            ],
        )

    # -- events ------------------------------------------------------------------------------

    def router(self, parent: Any) -> Callable[[dict[str, Any], Any, int], str]:
        """What the top-level dispatcher calls for each event the name cache has seen."""
        top = ScopeDispatcher(self, None, parent)
        dispatchers = {name: ScopeDispatcher(self, scope, parent) for name, scope in self.scopes.items()}
        accepted = frozenset(top.accepted).union(*(d.accepted for d in dispatchers.values()))
        select = FirstResult(self.context.plugins.hook.connector_customer, self.context.plugins)
        context = self.context
        counts = self.counts
        drop_unmatched = self.drop_unmatched
        drop = parent._drop

        def route(event: dict[str, Any], element: Any, type_id: int) -> str:
            if type_id not in accepted:
                return drop(event, element, "not_accepted")
            try:
                name = select(event, element, context)
                dispatcher = dispatchers.get(name) if name else None
            except Exception as error:  # a selecting plugin's bug must not stop the stream
                plugin = context.plugins.owner_of(error) or "unknown plugin"
                reason = f"plugin {plugin} raised in connector_customer: {type(error).__name__}: {error}"
                log.error("%s, event %s", reason, identity(event, element))
                parent._dead_letter(event, element, reason)
                return ERROR
            if name:
                if dispatcher is None:
                    log_limited(
                        log,
                        logging.WARNING,
                        "unknown_customer",
                        "connector_customer answered %s, a customer no [[customers]] table declares; dropped",
                        shown(name),
                    )
                    return drop(event, element, "unknown_customer")
            elif drop_unmatched:
                counts[(TOP_LEVEL, "dropped")] += 1
                return drop(event, element, "no_customer")
            else:
                dispatcher, name = top, TOP_LEVEL
            outcome = dispatcher.process(event, type_id)
            counts[(name, outcome)] += 1
            return outcome

        return route

    def folded(self, scope: Scope, route: Route) -> Route:
        known = self._routes.get((scope.name, route))
        if known is None:
            known = self._routes[(scope.name, route)] = replace(
                route, name=scope.prefix + route.name, lane=scope.prefix + route.lane
            )
        return known

    # -- hooks of the top level ------------------------------------------------------------

    @hookimpl(trylast=True)  # after the top level's plugins (their gauges come first)
    def connector_startup(self, context: Context) -> None:
        for scope in self.scopes.values():
            if "outbox" in context.state:
                scope.context.state.setdefault("outbox", context.state["outbox"])
            scope.context.plugins.hook.connector_startup(context=scope.context)

    @hookimpl
    def connector_shutdown(self, context: Context) -> None:
        for scope in self.scopes.values():
            scope.context.plugins.hook.connector_shutdown(context=scope.context)

    @hookimpl(tryfirst=True)
    def connector_send(
        self, route: Route, items: Sequence[OutboxItem], context: Context
    ) -> Sequence[Result] | None:
        name, separator, rest = route.name.partition(SEPARATOR)
        scope = self.scopes.get(name) if separator else None
        if scope is None:
            return None
        inner = replace(route, name=rest, lane=route.lane.partition(SEPARATOR)[2])
        return scope.context.plugins.hook.connector_send(route=inner, items=items, context=scope.context)


class ScopeDispatcher(Dispatcher):
    """A scope's stages (or the top level's, when ``scope`` is None), counted with the top
    level's counts; a scope's routes folded into its own."""

    def __init__(self, customers: Customers, scope: Scope | None, parent: Dispatcher) -> None:
        # The top-level dispatcher already gave the event to the name cache.
        context = scope.context if scope else customers.context
        super().__init__(
            context, parent.outbox, customers=False, feeds_cache=False, counts=parent.counts,
            dropped=parent.dropped,
        )  # fmt: skip
        self.scope = scope
        if scope is not None:
            inner = self._route
            folded = customers.folded

            def route(payload: Any, context: Context) -> Route | None:
                answer = inner(payload, context)
                return None if answer is None else folded(scope, answer)

            self._route = route

    def _dead_letter(self, event: Any, element: Any, reason: str) -> None:
        if self.scope is not None:
            reason = f"customer {self.scope.name}: {reason}"
        super()._dead_letter(event, element, reason)


def build(config: Config, context: Context) -> Customers | None:
    """The scopes of ``config``'s customers, configured; None without customers.

    Raises ConfigError with every customer's problems (a format file, a Lua pattern...).
    """
    if not config.get("customers"):
        return None
    errors: list[str] = []
    scopes = []
    for index, customer in enumerate(config.customers):
        name = customer["name"]
        label = f"customers[{index}] ({name})"
        scope_config = customer_config(config, customer)
        plugins = scope_plugins(context.plugins)
        scope_context = Context(
            config=scope_config,
            registry=context.registry,
            cache=context.cache,
            metrics=ScopedMetrics(context.metrics, name + SEPARATOR),  # type: ignore[arg-type]
            plugins=plugins,
            stopping=context.stopping,
            customer=name,
        )
        errors += [f"{label}: {problem}" for problem in plugins.errors()]
        problems = validation.configure_problems(scope_config, scope_context)
        if customer["settings"].get("plugins"):  # its own [plugins.<name>] settings
            problems = validation.plugin_settings_problems(scope_config, context.plugins) + problems
        errors += [f"{label}: {problem}" for problem in problems]
        scopes.append(Scope(name, scope_config, scope_context))
    if errors:
        raise ConfigError(errors, config.path)
    readiness = context.state.setdefault("readiness", {})
    for scope in scopes:  # /readyz asks each customer's probes too (its RabbitMQ connection...)
        for probe, function in (scope.context.state.get("readiness") or {}).items():
            readiness[f"{probe} ({scope.name})"] = function
    customers = Customers(context, scopes)
    context.customers = customers
    context.plugins.register(customers, name=PLUGIN_NAME)
    return customers
