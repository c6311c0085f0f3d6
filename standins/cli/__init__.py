"""The stand-ins' commands (``sandbox``, ``simulate``, ``demo``).

Found through the ``centreon_canopsis.commands`` entry points, like the engine's own.
"""
