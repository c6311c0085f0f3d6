"""Shared fixtures for the connector's own tests."""
