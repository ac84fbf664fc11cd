"""A person belongs to at most one household at a time in the county (domain.md §3).

A household's case file knows its own members; the rule that an ID number is in at most one
household at a time spans households, so it is judged over the county's *memberships*: an ID
number in a household from a day until the day it left. A member registered with the household
was a member before the registration (the registration's day is all the log knows); a member
who joined was one from the day of joining. Moving is leaving one household, then joining the
other, on the same day or later.

The application keeps the memberships in an index beside the log, written in the same
transaction as the events that change them (`application.store.people`); the rules here say
what those events change, when a new membership would put a person in two households, and
which household a person belonged to on a day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from domain.errors import DomainError
from domain.household.registration import MemberJoined, MemberLeft, Registered

#: The household events that begin or end a membership, by their stored topics.
MEMBERSHIP_TOPICS = (Registered.TOPIC, MemberJoined.TOPIC, MemberLeft.TOPIC)


@dataclass(frozen=True)
class Membership:
    """A person in a household, from ``member_since`` (or before it, for a member registered
    with the household) until ``left_on`` (None: still a member).

    ``since_version`` is the household's event that began it (1: the registration).
    ``recorded_duplicate``: the person was already a current member of another household when
    this membership was recorded — only possible in a log written before the rule was
    enforced; such memberships are kept as recorded and listed, never changed.
    """

    id_number: str
    household_id: UUID
    household_code: str
    since_version: int
    member_since: date
    registered_with: bool
    left_on: date | None = None
    recorded_duplicate: bool = False

    @property
    def current(self) -> bool:
        return self.left_on is None

    def covers(self, day: date) -> bool:
        """Whether the person was a member on ``day`` (as `Member.is_member_on` says)."""
        began = self.registered_with or self.member_since <= day
        return began and (self.left_on is None or day < self.left_on)


@dataclass(frozen=True)
class Began:
    """A membership begins: ``field`` is where the command named the person."""

    membership: Membership
    field: str

    @property
    def id_number(self) -> str:
        return self.membership.id_number


@dataclass(frozen=True)
class Ended:
    """A person leaves a household on ``left_on``."""

    id_number: str
    household_id: UUID
    left_on: date


MembershipChange = Began | Ended


def membership_changes(events: Iterable[Any],
                       code_of: Callable[[UUID], str]) -> list[MembershipChange]:
    """What household events change in the county's memberships, in their order.
    ``code_of`` gives a household's code (a registration names its own)."""
    changes: list[MembershipChange] = []
    for event in events:
        if isinstance(event, Registered):
            changes.extend(
                Began(Membership(member.id_number, event.originator_id, event.code, 1,
                                 event.occurred_on, registered_with=True),
                      f"members[{index}].id_number")
                for index, member in enumerate(event.members))
        elif isinstance(event, MemberJoined):
            changes.append(Began(Membership(
                event.member.id_number, event.originator_id, code_of(event.originator_id),
                event.originator_version,
                event.occurred_on, registered_with=False), "member.id_number"))
        elif isinstance(event, MemberLeft):
            changes.append(Ended(event.id_number, event.originator_id, event.occurred_on))
    return changes


def conflicting(began: Membership, recorded: Iterable[Membership]) -> Membership | None:
    """The membership of the same person in *another* household that ``began`` would overlap:
    one still current, or one that ended after the day ``began`` starts. None: no conflict."""
    for other in recorded:
        if other.household_id == began.household_id or other.id_number != began.id_number:
            continue
        if other.left_on is None or other.left_on > began.member_since:
            return other
    return None


def household_on(memberships: Iterable[Membership], day: date) -> Membership | None:
    """The membership a person had on ``day`` (None: in no household that day).

    Should several cover the day — a member registered with a household counts from before its
    registration, and a log from before the rule may hold a person twice — the one known to
    have begun by that day comes first, then one not recorded as a duplicate, then the latest
    to begin, then the household code: the answer never depends on the order of rows."""
    covering = [m for m in memberships if m.covers(day)]
    if not covering:
        return None
    return min(covering, key=lambda m: (m.member_since > day, m.recorded_duplicate,
                                        -m.member_since.toordinal(), m.household_code))


class MembershipBook:
    """Memberships by ID number, changed in log order: what the index holds, built or checked
    in memory (a rebuild from the log; a save's changes checked before they are written)."""

    def __init__(self, recorded: Iterable[Membership] = ()) -> None:
        self._by_person: dict[str, list[Membership]] = {}
        for membership in recorded:
            self._by_person.setdefault(membership.id_number, []).append(membership)

    def conflict(self, began: Began) -> Membership | None:
        return conflicting(began.membership, self._by_person.get(began.id_number, ()))

    def apply(self, change: MembershipChange) -> Membership | None:
        """Apply one change. A membership begun while the person is a current member of another
        household is kept, marked ``recorded_duplicate`` (the log holds it: it is reported, not
        refused); that other membership is returned."""
        held = self._by_person.setdefault(change.id_number, [])
        if isinstance(change, Ended):
            for index, membership in enumerate(held):
                if membership.household_id == change.household_id and membership.current:
                    held[index] = replace(membership, left_on=change.left_on)
            return None
        other = next((m for m in held if m.current and m.household_id != change.membership.household_id),
                     None)
        held.append(replace(change.membership, recorded_duplicate=other is not None))
        return other

    def memberships(self) -> Iterator[Membership]:
        for held in self._by_person.values():
            yield from held


class PersonInAnotherHousehold(DomainError):
    """Registering or joining a person who is (or was, on the day the new membership begins)
    a member of another household. Nothing is recorded.

    The other household is named only to those who may see it (`naming`): the refusal says
    where it is (``township``, ``village``) so that the caller can judge."""

    def __init__(self, id_number: str, field: str, other: Membership, begins_on: date, *,
                 township: str = "", village: str = "", named: bool = False) -> None:
        self.id_number, self.other, self.begins_on = id_number, other, begins_on
        self.township, self.village, self.named = township, village, named
        where = (f"农户 {other.household_code}（{township}{village}）" if named
                 else "本县另一农户")
        if other.left_on is None:
            message = (f"身份证号码 {id_number} 已是{where}的在册成员：同一人同一时间只能属于一户，"
                       "迁入本户须先由原户办理成员减少")
        else:
            message = (f"身份证号码 {id_number} 至 {other.left_on} 才离开{where}："
                       f"在本户的成员身份不能早于该日开始（现为 {begins_on}）")
        super().__init__("PERSON_IN_ANOTHER_HOUSEHOLD", message, field)

    @property
    def household_code(self) -> str:
        return self.other.household_code

    def located(self, township: str, village: str) -> PersonInAnotherHousehold:
        """The same refusal, knowing where the other household is."""
        return PersonInAnotherHousehold(self.id_number, self.field or "", self.other,
                                        self.begins_on, township=township, village=village,
                                        named=self.named)

    def naming(self, may_see: bool) -> PersonInAnotherHousehold:
        """The same refusal, naming the other household or not."""
        return PersonInAnotherHousehold(self.id_number, self.field or "", self.other,
                                        self.begins_on, township=self.township,
                                        village=self.village, named=may_see)


def refuse_second_households(changes: Iterable[MembershipChange],
                             recorded: Iterable[Membership]) -> None:
    """Refuse, with `PersonInAnotherHousehold`, changes that would put a person in a second
    household. ``recorded``: the memberships already recorded of the people the changes name;
    the changes are judged in order, each against the ones before it too."""
    book = MembershipBook(recorded)
    for change in changes:
        if isinstance(change, Began):
            other = book.conflict(change)
            if other is not None:
                raise PersonInAnotherHousehold(change.id_number, change.field, other,
                                               change.membership.member_since)
        book.apply(change)
