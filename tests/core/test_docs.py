"""Documentation that must not drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from centreon_canopsis.core import hookspecs
from centreon_canopsis.core.config_reference import block
from centreon_canopsis.core.metrics import CATALOGUE

ROOT = Path(__file__).parent.parent.parent


def test_readme_configuration_reference_matches_the_schema():
    readme = (ROOT / "README.md").read_text()
    assert block() in readme, "run: python -m centreon_canopsis.core.config_reference README.md"


def test_readme_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    commands = [line for line in lines[:6] if line.startswith("pip install")]
    assert len(commands) == 2
    assert "centreon-canopsis demo" in commands[0] and "python -m pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest" in ci and '-e ".[test,dev]"' in ci


def test_every_hook_is_documented_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [name for name in dir(hookspecs) if name.startswith("connector_")]
    missing = [name for name in hooks if not re.search(rf"`{name}\(", guide)]
    assert not missing, f"hooks missing from docs/plugins.md: {missing}"


def test_every_metric_of_the_catalogue_is_in_the_delivery_guide_with_its_type_and_labels():
    guide = (ROOT / "docs" / "delivery.md").read_text()
    rows = {
        name: (kind, labels.strip())
        for name, kind, labels in re.findall(
            r"^\| `(\w+)` \| (counter|gauge|histogram) \| ([^|]+) \|", guide, re.MULTILINE
        )
    }
    wrong = [
        info.name for info in CATALOGUE if rows.get(info.name) != (info.kind, ", ".join(info.labels) or "-")
    ]
    assert not wrong, (
        f"metrics missing from docs/delivery.md (Metrics), or with another type or labels: {wrong}"
    )
