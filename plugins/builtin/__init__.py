"""Builtin plugins: ordinary pluggy plugins registered through the ``centreon_canopsis`` entry points."""
