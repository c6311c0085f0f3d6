"""Runs each event through the stages: cache -> accept -> transform -> route -> outbox.

The per-event path is kept lean: hook implementations (core/hookcalls.py; accept filters only
for the element kinds they concern), the accepted type ids and the cache handler of each type
are resolved once; counts are kept locally and added to the metrics once per batch.
A plugin that raises does not stop the stream: the error names the plugin, the hook and the
event, and the event is kept as a dead letter (``deadletters retry`` replays it once fixed).

With the C accelerator, each dispatcher's ``process`` is ``_speedups.Dispatch`` (core/_speedups.c):
the usual cases (cache handler, a type not accepted, a filter's drop) in C, the others through the
methods here, which stay the reference (tests/core/test_dispatch_in_c.py holds the two alike).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from centreon_canopsis.core.bbdo import accel
from centreon_canopsis.core.context import Context
from centreon_canopsis.core.elements import Element, parse_category_list
from centreon_canopsis.core.events import identity
from centreon_canopsis.core.hookcalls import FirstResult
from centreon_canopsis.core.logsafe import log_limited, shown
from centreon_canopsis.core.model import Event
from centreon_canopsis.core.outbox import PIPELINE_STAGE, Outbox

log = logging.getLogger(__name__)

# Outcomes of one event.
QUEUED = "queued"
DROPPED = "dropped"
ERROR = "error"
NOT_ACCEPTED = "not_accepted"  # a drop reason: the element is not in accepted_elements
REJECTED = "rejected"  # a drop reason: a filter said no without saying why

_SPEEDUPS = accel.load(accel.SPEEDUPS)


class Dispatcher:
    def __init__(
        self,
        context: Context,
        outbox: Outbox | None,
        customers: bool = True,
        feeds_cache: bool = True,
        counts: defaultdict[str, int] | None = None,
        dropped: defaultdict[str, int] | None = None,
    ) -> None:
        from centreon_canopsis.core.config import split_list

        self.context = context
        self.outbox = outbox
        config = context.config
        registry = context.registry
        categories = parse_category_list(config.accepted_categories)
        self.accepted: frozenset[int] = frozenset(
            element.type_id
            for name in split_list(config.accepted_elements)
            for element in registry.resolve_any(name, categories)
            if element.category in categories
        )
        self._types = registry.by_type
        #: Per known type id: (element, its cache handler or None, its kind if it is accepted
        #: else None), resolved on its first event: one lookup per event.
        self._entries: dict[int, tuple[Element, Any, str | None]] = {}
        self._feeds_cache = feeds_cache
        plugins = context.plugins
        hook = plugins.hook
        self._accept = FirstResult(hook.connector_accept, plugins)
        self._transform = FirstResult(hook.connector_transform, plugins)
        self._route = FirstResult(hook.connector_route, plugins)
        #: Events by outcome, and dropped events by reason, since the last :meth:`flush_counts`.
        #: defaultdicts, not Counters: Counter defines ``__delitem__``, which puts every ``+= 1``
        #: through a Python-level ``__setitem__`` (about 1 000 instructions per count, two counts
        #: per dropped event: benchmarks/dispatch_instructions.py).
        #: Given: another dispatcher's (a customer's stages count with the top level's).
        self.counts: defaultdict[str, int] = defaultdict(int) if counts is None else counts
        self.dropped: defaultdict[str, int] = defaultdict(int) if dropped is None else dropped
        self._debug = log.isEnabledFor(logging.DEBUG)
        #: With ``[[customers]]``: hands each event to its customer's stages (core.customer_scopes).
        self.customers = context.customers.router(self) if customers and context.customers else None
        if _SPEEDUPS is not None and self.customers is None and not self._debug:
            # Shadows the method: the usual cases in C, the rest through the methods below (a
            # reference cycle, which the C type lets the garbage collector break).
            self.process = _SPEEDUPS.Dispatch(  # type: ignore[method-assign]
                self, type(self).process, self._entries, self._accept, self._accept.manager, context,
                self.counts, self.dropped, DROPPED, NOT_ACCEPTED, REJECTED,
            )  # fmt: skip

    def process(self, event: Event, type_id: int) -> str:
        """Runs one event (already checked by the source) through the stages; returns its outcome.

        The reference: with the accelerator built, each dispatcher's ``process`` is
        ``_speedups.Dispatch`` (see :meth:`__init__`), which takes the usual cases in C and calls
        the methods below for the others."""
        entry = self._entries.get(type_id)
        if entry is None:
            element = self._types.get(type_id)
            if element is None:  # not kept: any number may come from outside
                return self._drop(event, None, "unknown_element")
            entry = self._entries[type_id] = self._entry(type_id, element)
        element, handler, kind = entry
        if handler is not None:
            handler(event)
        return self._after_cache(event, element, kind, type_id)

    def _after_cache(self, event: Event, element: Element, kind: str | None, type_id: int) -> str:
        """The stages after the name cache: the accept filters, then :meth:`_accepted`."""
        if self.customers is not None:
            return self.customers(event, element, type_id)
        if kind is None:  # configuration events, most of a burst: _drop written out
            self.counts[DROPPED] += 1
            self.dropped[NOT_ACCEPTED] += 1
            return DROPPED
        try:
            verdict = self._accept.for_kind(kind, event, element, self.context)
        except Exception as error:  # a plugin's bug must not stop the stream
            return self._failed(event, element, "connector_accept", error)
        if verdict is not None and verdict is not True:
            # Most events end here (a filter said no): _drop written out, one call less.
            reason = verdict if isinstance(verdict, str) and verdict else REJECTED
            self.counts[DROPPED] += 1
            self.dropped[reason] += 1
            if self._debug and reason != NOT_ACCEPTED:
                log.debug("dropped (%s): %s", reason, identity(event, element))
            return DROPPED
        return self._accepted(event, element)

    def _accepted(self, event: Event, element: Element) -> str:
        """An accepted event: transform, route, into the outbox's buffer."""
        stage = "connector_transform"
        context = self.context
        try:
            payloads = self._transform(event, element, context)
            if payloads is None:
                return self._drop(event, element, "no_transform")
            if not payloads:  # handled, nothing to send (a PENDING state, for example)
                return self._drop(event, element, "no_payload")
            stage = "connector_route"
            routed = []
            for payload in payloads:
                route = self._route(payload, context)
                if route is None:
                    self._dead_letter(
                        event, element, f"no_route: no plugin routes payloads of kind {payload.kind!r}"
                    )
                    return ERROR
                routed.append((route, payload))
            stage = "the outbox"
            self.outbox.add_many(routed)  # all or nothing: never half of an event's payloads
        except Exception as error:  # a plugin's bug must not stop the stream
            return self._failed(event, element, stage, error)
        self.counts[QUEUED] += 1
        return QUEUED

    def _failed(self, event: Event, element: Element, stage: str, error: Exception) -> str:
        """A stage raised: logged (rate-limited) and kept as a dead letter; the stream goes on."""
        if stage == "the outbox":  # a body that is not JSON: the transform's fault, whoever it was
            reason = f"a payload cannot be encoded as JSON: {type(error).__name__}: {error}"
        else:
            plugin = self.context.plugins.owner_of(error) or "unknown plugin"
            reason = f"plugin {plugin} raised in {stage}: {type(error).__name__}: {error}"
        # Per input: rate-limited, and the event's values escaped (they come from outside).
        log_limited(
            log, logging.ERROR, f"plugin_error:{stage}", "%s, event %s", shown(reason, 500),
            shown(identity(event, element)),
        )  # fmt: skip
        if self._debug:
            log.debug("the plugin's traceback", exc_info=error)
        self._dead_letter(event, element, reason)
        return ERROR

    def _entry(self, type_id: int, element: Element) -> tuple[Element, Any, str | None]:
        handler = self.context.cache.handler_for(element) if self._feeds_cache else None
        return element, handler, element.kind if type_id in self.accepted else None

    def _drop(self, event: Event, element: Element | None, reason: str) -> str:
        self.counts[DROPPED] += 1
        self.dropped[reason] += 1
        if self._debug and reason != NOT_ACCEPTED:
            log.debug("dropped (%s): %s", reason, identity(event, element))
        return DROPPED

    def _dead_letter(self, event: Event, element: Element | None, reason: str) -> None:
        self.counts[ERROR] += 1
        if self.outbox is not None:
            self.outbox.add_dead_letter(PIPELINE_STAGE, event, reason, key=identity(event, element))

    def flush_counts(self) -> None:
        """Adds the local counts to the metrics registry."""
        metrics = self.context.metrics
        for outcome, count in self.counts.items():
            metrics.inc("events_total", count, outcome=outcome)
        for reason, count in self.dropped.items():
            metrics.inc("events_dropped_total", count, reason=reason)
        self.counts.clear()
        self.dropped.clear()
