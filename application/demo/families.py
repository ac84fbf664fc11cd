"""Who lives in a demo household: relations, sexes and ages of its members, and their health,
labour capacity and schooling as plausible for their age (脱贫户 carry more illness)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from domain.codes import Health, LabourCapacity, Relation, Sex
from domain.values import Member


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def birth_day(rng: Random, age: int, on: date) -> date:
    born = date(on.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))
    if born > on:
        born = on - timedelta(days=rng.randint(1, 120))
    return born


def child_relation(sex: Sex) -> Relation:
    return Relation.SON if sex is Sex.MALE else Relation.DAUGHTER


def family(rng: Random, size: int) -> list[tuple[Relation, Sex, int]]:
    """Relations, sexes and ages of a household of ``size`` people, head first."""
    if size == 1:
        age = rng.randint(58, 88) if rng.random() < 0.8 else rng.randint(30, 57)
        return [(Relation.HEAD, Sex.MALE if rng.random() < 0.62 else Sex.FEMALE, age)]
    if size == 2:
        roll = rng.random()
        if roll < 0.65:
            head = rng.randint(55, 85)
            return [(Relation.HEAD, Sex.MALE, head),
                    (Relation.SPOUSE, Sex.FEMALE, max(20, head + rng.randint(-6, 2)))]
        if roll < 0.8:
            head = rng.randint(35, 60)
            parent = min(95, head + rng.randint(24, 34))
            return [(Relation.HEAD, Sex.MALE, head),
                    (Relation.PARENT, Sex.FEMALE if rng.random() < 0.6 else Sex.MALE, parent)]
        head_sex = Sex.MALE if rng.random() < 0.5 else Sex.FEMALE
        head = rng.randint(42, 72)
        child_sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
        return [(Relation.HEAD, head_sex, head),
                (child_relation(child_sex), child_sex, head - rng.randint(22, 32))]
    head = rng.randint(27, 66)
    head_sex = Sex.MALE if rng.random() < 0.92 else Sex.FEMALE
    people = [(Relation.HEAD, head_sex, head)]
    if head_sex is Sex.MALE and rng.random() < 0.93:
        people.append((Relation.SPOUSE, Sex.FEMALE, max(20, head + rng.randint(-5, 2))))
    remaining = size - len(people)
    parents = 0
    if head <= 58 and remaining >= 2 and rng.random() < 0.45:
        parents = min(remaining - 1, rng.choice((1, 1, 2)))
    mother = min(96, head + rng.randint(22, 32))
    for n in range(parents):
        if n == 0:
            people.append((Relation.PARENT, Sex.FEMALE, mother))
        else:
            people.append((Relation.PARENT, Sex.MALE, min(97, mother + rng.randint(0, 4))))
    child_age = max(0, head - rng.randint(22, 30))
    first_child = child_age
    children = size - len(people)
    for n in range(children):
        sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
        if n == children - 1 and n >= 2 and first_child >= 24 and rng.random() < 0.5:
            people.append((Relation.GRANDCHILD, sex, max(0, first_child - rng.randint(22, 28))))
        elif child_age < 0:
            people.append((Relation.SIBLING, sex, max(18, head + rng.randint(-6, 6))))
        else:
            people.append((child_relation(sex), sex, child_age))
        child_age -= rng.randint(1, 6)
    return people


_HEALTH_BY_AGE = (  # (min age, weights of 健康, 长期慢性病, 患有大病, 残疾)
    (75, (40, 45, 7, 8)),
    (60, (65, 25, 4, 6)),
    (23, (88, 7, 2, 3)),
    (0, (97, 1, 1, 1)),
)
_HEALTHS = (Health.HEALTHY, Health.CHRONIC_ILLNESS, Health.SERIOUS_ILLNESS, Health.DISABLED)


def condition(rng: Random, age: int, lifted: bool) -> tuple[Health, LabourCapacity, bool]:
    """Health, labour capacity and in-school status plausible for the age."""
    weights = next(w for floor, w in _HEALTH_BY_AGE if age >= floor)
    if lifted:  # 脱贫户 carry more illness and disability
        weights = (weights[0], weights[1] * 1.6, weights[2] * 1.6, weights[3] * 1.6)
    health = rng.choices(_HEALTHS, weights)[0]
    in_school = (6 <= age <= 15 and rng.random() < 0.98) or (16 <= age <= 18 and rng.random() < 0.8) \
        or (19 <= age <= 22 and rng.random() < 0.35)
    if age < 16:
        labour = LabourCapacity.NONE
    elif health in (Health.SERIOUS_ILLNESS, Health.DISABLED):
        labour = LabourCapacity.LOST if rng.random() < 0.55 else LabourCapacity.WEAK
    elif age >= 75:
        labour = LabourCapacity.NONE
    elif age >= 60:
        labour = LabourCapacity.WEAK if rng.random() < 0.7 or health is Health.CHRONIC_ILLNESS \
            else LabourCapacity.ORDINARY
    elif health is Health.CHRONIC_ILLNESS:
        labour = LabourCapacity.WEAK if rng.random() < 0.5 else LabourCapacity.ORDINARY
    else:
        labour = LabourCapacity.SKILLED if rng.random() < 0.25 else LabourCapacity.ORDINARY
    return health, labour, in_school


@dataclass(frozen=True)
class Bride:
    """A daughter who left her household on ``left_on`` to marry."""

    member: Member
    left_on: date
    household: str  # the code of the household she left


class Weddings:
    """The daughters of the county who left their household to marry, waiting for a later
    household's son to marry one of them (so that she moves: she leaves her parents' household
    and joins her husband's the same day). The only people who move between demo households.
    At most `WAITING` wait: the others married out of the county."""

    WAITING = 20

    def __init__(self) -> None:
        self.waiting: list[Bride] = []

    def offer(self, bride: Bride) -> None:
        self.waiting.append(bride)
        del self.waiting[:-self.WAITING]

    def take(self, first: date, last: date) -> Bride | None:
        """The first bride who left between ``first`` and ``last``, no longer waiting."""
        bride = next((b for b in self.waiting if first <= b.left_on <= last), None)
        if bride is not None:
            self.waiting.remove(bride)
        return bride
