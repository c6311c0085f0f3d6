"""The engine of centreon-canopsis-connector: events, hooks, dispatcher, cache, outbox, sources, CLI."""
