"""pytest plugin (entry point ``pytest11``): fixtures for testing connector plugins.

The Canopsis sandbox and the simulated Broker are offered as fixtures so that third-party plugins
are tested against the same stand-ins as the connector itself.
"""
