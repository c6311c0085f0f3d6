"""``accepted_authors`` / ``rejected_authors``: the author (contact alias) of acknowledgements
and downtimes, exact names (lua-connector.md 4.4 step 2). An event without author counts as
the author ``""``: an accepted list drops it, a rejected list keeps it.
"""

from __future__ import annotations

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import Check, Event, KindChecks, NameLists, table


class AuthorsFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        lists = NameLists.from_config(config, "authors")
        check = None
        if lists is not None:
            check_name = lists.check_name

            def check(event: Event) -> str | None:
                return check_name(event.get("author") or "")

        self._checks = table(acknowledgement=check, downtime=check)
