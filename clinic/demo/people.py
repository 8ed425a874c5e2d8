"""Kenyan people: names by community and faith, mobile numbers, national ids
and SHA numbers, each drawn once from a seeded generator."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from clinic.demo import kenya
from clinic.demo.draws import Draw


@dataclass(frozen=True)
class Person:
    first_name: str
    middle_name: str | None
    last_name: str
    sex: str  # F or M


class People:
    """Kenyan names, phones, ids and places, drawn from one seeded generator."""

    def __init__(self, draw: Draw) -> None:
        self.draw = draw
        self._community_cw = list(accumulate(c.weight for c in kenya.COMMUNITIES))
        prefixes, weights = zip(*kenya.MOBILE_PREFIXES, strict=True)
        self._prefixes: tuple[str, ...] = prefixes
        self._prefix_cw = list(accumulate(weights))
        self.phones_used: set[str] = set()
        self.ids_used: set[str] = set()

    def person(self) -> Person:
        draw = self.draw
        random_ = draw.random
        pick = draw.pick
        community = draw.weighted(kenya.COMMUNITIES, self._community_cw)
        female = random_() < 0.55
        traditional = community.female if female else community.male
        religious: tuple[str, ...]
        if random_() < community.muslim_share:
            religious = kenya.MUSLIM_FEMALE if female else kenya.MUSLIM_MALE
        else:
            religious = kenya.CHRISTIAN_FEMALE if female else kenya.CHRISTIAN_MALE
        if random_() < 0.62:
            first, other = pick(religious), traditional
        else:
            first, other = pick(traditional), religious
        middle = pick(other) if random_() < 0.45 else None
        last = pick(community.surnames)
        if last == first:
            last = pick(community.surnames)
        if middle in (first, last):
            middle = None
        return Person(first, middle, last, "F" if female else "M")

    def phone(self) -> str:
        """A Kenyan mobile number in E.164 not given out before."""
        draw = self.draw
        while True:
            prefix = draw.weighted(self._prefixes, self._prefix_cw)
            phone = f"+254{prefix}{draw.below(1_000_000):06d}"
            if phone not in self.phones_used:
                self.phones_used.add(phone)
                return phone

    def national_id(self, born: int) -> str:
        """A national id shaped by the year of birth (ids are issued in sequence)."""
        gauss = self.draw.rng.gauss
        centre = max(150_000, (born - 1945) * 700_000)
        while True:
            text = str(max(100_000, int(gauss(centre, 1_200_000))))
            if text not in self.ids_used:
                self.ids_used.add(text)
                return text

    def sha_number(self) -> str:
        draw = self.draw
        return f"CR{draw.between(10**12, 10**13)}-{draw.below(10)}"
