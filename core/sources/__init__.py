"""Event sources: where Broker events come from (JSON lines, BBDO over TCP)."""

from __future__ import annotations

from centreon_canopsis.core.config import Config
from centreon_canopsis.core.sources.base import Source


def build_source(config: Config, follow: bool | None = None) -> Source:
    """The source the ``[source]`` table describes."""
    settings = dict(config.source)
    if settings["type"] == "bbdo":
        from centreon_canopsis.core.bbdo.settings import BBDOSettings
        from centreon_canopsis.core.sources.bbdo import BBDOSource
        from centreon_canopsis.core.sources.bbdo_child import ChildBBDOSource

        # The configuration fills every [source] key with its default, JSON-lines ones included:
        # only what the user wrote may be reported as ignored.
        defaults = _source_defaults()
        known = set(BBDOSettings.CONFIG_KEYS) | {"type"}
        process = settings.pop("process", "thread")
        settings = {
            key: value
            for key, value in settings.items()
            if key in known or key not in defaults or value != defaults[key]
        }
        if process == "child":  # the sessions on a core of their own (core/sources/bbdo_child.py)
            log_settings = (config.log_level, config.logfile, config.get("log_format", "text"))
            return ChildBBDOSource(BBDOSettings.from_config(settings), log_settings=log_settings)
        return BBDOSource.from_config(settings)
    from centreon_canopsis.core.sources.jsonl import JsonLinesSource

    return JsonLinesSource.from_config(settings, follow=follow)


def _source_defaults() -> dict[str, object]:
    from centreon_canopsis.core.config import schema

    table = schema()["properties"]["source"]["properties"]
    return {key: prop["default"] for key, prop in table.items() if "default" in prop}
