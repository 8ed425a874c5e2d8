"""Kenyan people: names by community and faith, mobile numbers, national ids
and SHA numbers, each drawn once from a seeded generator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from clinic.demo import kenya
from clinic.demo.draws import Draw
from clinic.enums import Sex
from clinic.rules.ages import estimate_date_of_birth


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


@dataclass(frozen=True)
class Registration:
    """A patient's details as the desk, or the paper register, took them: the
    values are in the checked form the clinic keeps, except the ones named in
    ``flagged_fields`` (missing from the register)."""

    person: Person
    sex: str
    age: float  # years
    date_of_birth: date | None
    date_of_birth_estimated: bool
    born: int  # the year, estimated when the date of birth is missing
    phone: str | None
    national_id: str | None
    sha_number: str | None
    sha_principal_number: str | None
    next_of_kin_name: str | None
    next_of_kin_phone: str | None
    next_of_kin_relationship: str | None
    flagged_fields: list[str]

    @property
    def adult(self) -> bool:
        return self.age >= 18


def draw_age(draw: Draw) -> float:
    """An outpatient's age in years (a fifth of them under five)."""
    r, u = draw.random(), draw.random()
    for share, low, high in ((0.22, 0, 5), (0.38, 5, 15), (0.52, 15, 25), (0.69, 25, 35),
                             (0.81, 35, 45), (0.92, 45, 60)):  # fmt: skip
        if r < share:
            return low + u * (high - low)
    return 60 + u * 30


def draw_registration(
    draw: Draw,
    people: People,
    on: date,
    *,
    imported: bool,
    adults: Sequence[int],
    phones: Sequence[str | None],
    sha_numbers: Sequence[str | None],
) -> Registration:
    """A patient registered ``on`` that day (``imported``: from the paper
    register, which wrote ages, not dates of birth). A child may carry the
    phone or be the SHA dependant of one of the ``adults`` registered before
    (indexes into ``phones`` and ``sha_numbers``).

    The draws come from ``draw`` (and names, phones and ids from ``people``)
    in one fixed order: a seed gives the same patients."""
    random_, pick = draw.random, draw.pick
    person = people.person()
    sex = Sex.UNKNOWN.value if imported and random_() < 0.005 else person.sex
    age = draw_age(draw)
    flagged: list[str] = []
    dob: date | None
    estimated = False
    if imported and random_() < 0.03:
        dob = None  # no age in the register
        flagged.append("date_of_birth")
    elif imported or random_() < 0.15:
        years = int(age)
        written = f"{years}yrs" if years >= 2 else f"{max(1, int(age * 12))}mths"
        dob = estimate_date_of_birth(written, on=on)
        estimated = True
    else:
        dob = on - timedelta(days=int(age * 365.25))
    born = dob.year if dob else on.year - int(age)
    adult = age >= 18
    phone: str | None = None
    if imported and random_() < 0.02:
        flagged.append("phone")  # too short to be a phone in the register
    elif not adult and adults and random_() < 0.6:
        phone = phones[pick(adults)]  # a parent's phone
    elif random_() < 0.9:
        phone = people.phone()
    national_id = people.national_id(born) if adult and random_() < 0.65 else None
    sha = people.sha_number() if random_() < 0.35 else None
    principal = None
    if sha and not adult and adults:
        principal = sha_numbers[pick(adults)]
    kin_name = kin_phone = kin_relationship = None
    if not adult or random_() < 0.3:
        kin = people.person()
        kin_name = f"{kin.first_name} {kin.last_name if adult else person.last_name}"
        kin_phone = phone if not adult and phone else people.phone()
        if adult:
            kin_relationship = pick(("Spouse", "Sibling", "Parent", "Child"))
        else:
            kin_relationship = "Mother" if kin.sex == "F" else "Father"
    return Registration(
        person, sex, age, dob, estimated, born, phone, national_id, sha, principal, kin_name,
        kin_phone, kin_relationship, flagged,
    )  # fmt: skip
