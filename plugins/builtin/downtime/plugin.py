"""The ``downtime`` builtin plugin: Broker downtimes become Canopsis pbehaviors.

- accept: vetoes, with a precise reason, the downtime events that send nothing (see
  :mod:`.lifecycle`), and every downtime event when ``canopsis_downtime_send_pbh = 0``;
- transform: a start gives a pbehavior create and its comment, an end a delete (:mod:`.payloads`);
- startup: looks up the pbehavior reason and type ids and the Canopsis version in the background
  (:class:`~centreon_canopsis.plugins.builtin.canopsis.lookups.PbehaviorLookups`), shared with
  the sender through ``context.state``.
"""

from __future__ import annotations

import logging
from typing import Any

from centreon_canopsis.core.config import split_list
from centreon_canopsis.core.elements import parse_category_list
from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.logsetup import notice
from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.canopsis.client import CanopsisClient
from centreon_canopsis.plugins.builtin.canopsis.lookups import LookupSettings, PbehaviorLookups
from centreon_canopsis.plugins.builtin.downtime.lifecycle import Step, classify
from centreon_canopsis.plugins.builtin.downtime.payloads import end_payloads, start_payloads
from centreon_canopsis.plugins.builtin.mapping import Mapping

log = logging.getLogger(__name__)

KIND = "downtime"
OFF_REASON = "canopsis_downtime_send_pbh"


def downtimes_accepted(config, registry) -> bool:
    """Whether ``accepted_elements`` lets downtime events in (either protocol form)."""
    categories = parse_category_list(config.accepted_categories)
    for name in split_list(config.accepted_elements):
        try:
            elements = registry.resolve_any(name, categories)
        except ValueError:
            continue
        if any(element.kind == KIND and element.category in categories for element in elements):
            return True
    return False


class DowntimePlugin:
    #: connector_accept concerns downtimes only (the dispatcher calls it for these only).
    accept_kinds = (KIND,)
    mapping: Mapping
    send_pbh: bool
    lookups: PbehaviorLookups | None = None

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.mapping = Mapping(config, context.cache)
        self.send_pbh = bool(int(config.canopsis_downtime_send_pbh))
        self.lookups = None
        if self.send_pbh and downtimes_accepted(config, context.registry):
            # Published now (no network) so that the sender finds it from its first batch.
            self.lookups = PbehaviorLookups(LookupSettings.from_config(config))
            context.state[PbehaviorLookups.STATE_KEY] = self.lookups

    @hookimpl
    def connector_startup(self, context) -> None:
        lookups = self.lookups
        if lookups is None:
            return
        if int(context.config.send_data_test):
            notice(log, "send_data_test = 1: no pbehavior look-ups (nothing is sent)")
            return
        client = context.state.get("canopsis_client") or CanopsisClient.from_config(context.config)
        lookups.start(client, context.stopping)

    @hookimpl(tryfirst=True)
    def connector_accept(self, event: dict[str, Any], element, context) -> str | None:
        if element.kind != KIND:
            return None
        if not self.send_pbh:
            return OFF_REASON
        step = classify(event)
        return None if step.sends else step.value

    @hookimpl(trylast=True)
    def connector_transform(self, event: dict[str, Any], element, context) -> list[Payload] | None:
        if element.kind != KIND:
            return None
        step = classify(event)
        if step is Step.START:
            return start_payloads(event, context.cache, self.mapping)
        if step is Step.END:
            return end_payloads(event, context.cache, self.mapping)
        return []  # only when another plugin accepted a step we veto
