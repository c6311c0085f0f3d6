"""Misbehaving plugins for the delivery tests, loaded by the daemon through ``[plugins] load``.

Each misbehaves only while its marker file exists, so that a test can "fix" it and then retry
the dead letters it caused.
"""

from __future__ import annotations

import os
from typing import Any

from centreon_canopsis.core.hookspecs import hookimpl

SCHEMA = {"type": "object", "properties": {"marker": {"type": "string"}}, "additionalProperties": False}


class _Marked:
    marker = ""

    def broken(self) -> bool:
        return bool(self.marker) and os.path.exists(self.marker)


class PoisonTransform(_Marked):
    """Raises in ``connector_transform`` on events whose output mentions "poison"."""

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        return {"PoisonTransform": SCHEMA}

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.marker = config.plugin_settings("PoisonTransform").get("marker", "")

    @hookimpl(tryfirst=True)
    def connector_transform(self, event, element, context):
        if "poison" in str(event.get("output", "")) and self.broken():
            raise ValueError("this event poisons the transform")
        return None


class ExplodingSender(_Marked):
    """Raises in ``connector_send`` when a batch holds a payload whose output mentions "explode"."""

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        return {"ExplodingSender": SCHEMA}

    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.marker = config.plugin_settings("ExplodingSender").get("marker", "")

    @hookimpl(tryfirst=True)
    def connector_send(self, route, items, context):
        if self.broken() and any("explode" in str(item.body.get("output", "")) for item in items):
            raise RuntimeError("boom")
        return None
