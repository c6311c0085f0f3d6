"""Downtimes -> Canopsis pbehaviors (lua-connector.md 3.5, 4.4; docs/downtimes.md)."""

from centreon_canopsis.plugins.builtin.downtime.plugin import DowntimePlugin

__all__ = ["DowntimePlugin"]
