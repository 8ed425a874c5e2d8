"""Seeded draws, ids and times: the generators' only sources of chance."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

UTC_OFFSET_US = 3 * 3600 * 1_000_000  # Africa/Nairobi is UTC+3 all year
MINUTE_US = 60 * 1_000_000
CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]
"""``HH:MM:SS`` of every second of a day, by the second (formatting a time
is then a lookup)."""


class Draw:
    """Quick draws from a seeded ``random.Random`` (``choice`` and ``choices``
    cost ten times more, and these are made millions of times)."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def weighted(self, items: Sequence[T], cumulative: Sequence[float]) -> T:
        return items[bisect_right(cumulative, self.random() * cumulative[-1])]

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        """An integer in ``low..high-1``."""
        return low + int(self.random() * (high - low))


_UUID7_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID7_SET = (0x7 << 76) | (0x2 << 62)


class Ids:
    """UUIDv7 ids as stored (32 hex digits), laid out as :func:`clinic.db.uuid7`
    lays them out, with random bits from a seeded generator."""

    def __init__(self, seed: str) -> None:
        self._bits = random.Random(seed).getrandbits

    def make(self, unix_ms: int) -> str:
        value = ((unix_ms & 0xFFFF_FFFF_FFFF) << 80 | self._bits(80)) & _UUID7_CLEAR | _UUID7_SET
        return f"{value:032x}"


def local_us(hour: float) -> int:
    """Microseconds after UTC midnight of ``hour`` o'clock in Nairobi."""
    return int(hour * 3600 * 1_000_000) - UTC_OFFSET_US
