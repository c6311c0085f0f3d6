"""Fixtures of the filter tests: a real pipeline per configuration, in both protocol forms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.filters.harness import Harness


@pytest.fixture(params=[2, 3], ids=["bbdo2", "bbdo3"])
def bbdo(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture
def harness(tmp_path: Path, bbdo: int) -> Iterator[Callable[..., Harness]]:
    """``harness(**settings)``: a pipeline configured with ``settings``, topology loaded."""
    made: list[Harness] = []

    def build(**settings: Any) -> Harness:
        made.append(Harness(tmp_path / f"pipeline{len(made)}", bbdo, **settings))
        return made[-1]

    yield build
    for one in made:
        one.close()
