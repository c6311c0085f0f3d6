"""Test helpers shared by the connector's own test folders."""
