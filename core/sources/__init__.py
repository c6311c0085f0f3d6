"""Event sources: where Broker events come from (JSON lines, BBDO over TCP)."""

from __future__ import annotations

from centreon_canopsis.core.config import Config
from centreon_canopsis.core.sources.base import Source


def build_source(config: Config, follow: bool | None = None) -> Source:
    """The source the ``[source]`` table describes."""
    settings = dict(config.source)
    if settings["type"] == "bbdo":
        from centreon_canopsis.core.sources.bbdo import BBDOSource

        return BBDOSource.from_config(settings)
    from centreon_canopsis.core.sources.jsonl import JsonLinesSource

    return JsonLinesSource.from_config(settings, follow=follow)
