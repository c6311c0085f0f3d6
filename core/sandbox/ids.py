"""Random identifiers, seedable so a test run is reproducible."""

from __future__ import annotations

import random
import string
import uuid


class IdSource:
    """UUIDs and alarm display names from one random generator (seeded or not)."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def display_name(self) -> str:
        # Canopsis' default scheme: three groups of three upper-case letters, e.g. ABC-DEF-GHI.
        letters = string.ascii_uppercase
        return "-".join("".join(self._rng.choices(letters, k=3)) for _ in range(3))

    def random(self) -> float:
        return self._rng.random()
