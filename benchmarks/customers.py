"""The whole-pipeline benchmark (benchmarks/pipeline.py) with two ``[[customers]]``.

Usage: ``python benchmarks/customers.py [the options of pipeline.py]``

The simulated estate has two pollers, ``Central`` and ``Poller-1``; each becomes a customer
(selector ``pollers``) with its own settings (``connector``) and so its own outbox lanes
(``<customer>/events``, ``<customer>/pbehaviors``), all delivering to the same sandbox. Compare
its figures with ``python benchmarks/pipeline.py`` run with the same options: the difference is
the cost of choosing the customer of each event and of running two scopes' lanes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pipeline as base  # benchmarks/pipeline.py

CUSTOMERS = [
    {"name": "central", "pollers": "Central", "connector": "bench-central"},
    {"name": "remote", "pollers": "Poller-1", "connector": "bench-remote"},
]


def settings(state_dir: Path, port: int, every_event: bool):
    """pipeline.py's settings (the mapping it validates, caught on its way) plus the customers."""
    caught: dict = {}
    validate = base.config_module.from_mapping

    def catch(raw, env=None, **options):
        caught.update(raw)
        return validate(raw, env=env, **options)

    base.config_module.from_mapping = catch
    try:
        base._settings_without_customers(state_dir, port, every_event)
    finally:
        base.config_module.from_mapping = validate
    return validate({**caught, "customers": CUSTOMERS}, env={})


if __name__ == "__main__":
    base._settings_without_customers = base.settings
    base.settings = settings
    sys.exit(base.main())
