"""``accepted_bvs`` / ``rejected_bvs``: names of the business views a BA belongs to, for BA
status events (lua-connector.md 4.5). Same rules as the group lists: an accepted list keeps a
BA in one of its views, a rejected list drops a BA in one of its views, a BA in no view is
dropped by an accepted list and kept by a rejected one.

Two Lua defects are gone: the views are looked up by the BA's id (the Lua connector passed a
``host_id`` that BA events do not have), and a rejected list alone does not raise (B21).
"""

from __future__ import annotations

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.plugins.builtin.filters.base import Check, Event, KindChecks, NameLists, table


class BvsFilter(KindChecks):
    _checks: dict[str, Check]

    @hookimpl
    def connector_configure(self, config, context) -> None:
        lists = NameLists.from_config(config, "bvs")
        check = None
        if lists is not None:
            cache = context.cache
            check_names = lists.check_names

            def check(event: Event) -> str | None:
                return check_names(cache.bv_names(event.get("ba_id")))

        self._checks = table(ba_status=check)
