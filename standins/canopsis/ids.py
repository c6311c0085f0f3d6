"""Random identifiers, seedable so a test run is reproducible."""

from __future__ import annotations

import random
import string

_LETTERS = string.ascii_uppercase


class IdSource:
    """UUIDs (version 4) and alarm display names from one random generator (seeded or not)."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def uuid(self) -> str:
        # Version 4 / RFC 4122 variant bits set by hand: cheaper than uuid.UUID on the hot path.
        n = (self._rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48)
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def display_name(self) -> str:
        # Canopsis' default scheme: three groups of three upper-case letters, e.g. ABC-DEF-GHI.
        n = self._rng.getrandbits(64)
        chars = []
        for _ in range(9):
            n, i = divmod(n, 26)
            chars.append(_LETTERS[i])
        return f"{''.join(chars[:3])}-{''.join(chars[3:6])}-{''.join(chars[6:])}"

    def random(self) -> float:
        return self._rng.random()
