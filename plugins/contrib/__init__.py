"""Optional plugins maintained with the connector: examples to copy and customer overrides."""
