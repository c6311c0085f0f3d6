"""Plugins shipped with the connector: ``builtin`` (always loaded) and ``contrib`` (opt-in examples)."""
