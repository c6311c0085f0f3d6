"""Builtin accept plugins: the event-selection parameters of the Lua connector.

Each answers ``connector_accept`` with ``None`` (no objection) or the name of the parameter that
drops the event; that name becomes the ``reason`` of the dropped-events metric.
"""
