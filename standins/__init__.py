"""Stand-ins for the world around the connector.

The Canopsis sandbox, the Broker simulator and peer, the demo and the pytest plugin. The engine
(``core/``) never imports this package (tests/test_layout.py).
"""
