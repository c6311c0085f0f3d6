"""Event sources: where Broker events come from (JSON lines, BBDO over TCP)."""
