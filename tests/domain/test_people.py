"""A person belongs to at most one household at a time in the county (domain.md §3): the
memberships household events make, the refusal of a second household, and the household a
person belonged to on a day."""

from __future__ import annotations

from datetime import date

import pytest
from household_kit import REGISTERED_ON, make_id, member, registered, when

from domain.codes import JoinReason, LeaveReason, Relation
from domain.household import Household
from domain.people import (
    Began,
    Ended,
    MembershipBook,
    PersonInAnotherHousehold,
    household_on,
    membership_changes,
    refuse_second_households,
)


def changes_of(*households: Household):
    """The membership changes of the households' pending events (as a save sees them)."""
    codes = {h.id: h.code for h in households}
    return membership_changes([e for h in households for e in h.collect_events()], codes.__getitem__)


def recorded(*households: Household):
    """The memberships of households already saved."""
    book = MembershipBook()
    for change in changes_of(*households):
        book.apply(change)
    return list(book.memberships())


def test_a_registration_begins_a_membership_for_each_member_named_where_the_command_named_it():
    household = registered()
    changes = changes_of(household)
    assert [c.field for c in changes] == [f"members[{i}].id_number" for i in range(3)]
    assert all(isinstance(c, Began) and c.membership.registered_with for c in changes)
    assert {c.membership.household_code for c in changes} == {household.code}
    assert {c.membership.member_since for c in changes} == {REGISTERED_ON}


def test_registering_a_member_of_another_household_as_a_new_head_is_refused_without_naming_it():
    first = registered()
    head = first.head.id_number
    second = registered(members=[member("王建国", head, Relation.HEAD)])
    with pytest.raises(PersonInAnotherHousehold) as refused:
        refuse_second_households(changes_of(second), recorded(first))
    error = refused.value
    assert (error.code, error.field) == ("PERSON_IN_ANOTHER_HOUSEHOLD", "members[0].id_number")
    assert first.code not in error.message and "本县另一农户" in error.message
    named = error.located(first.township, first.village).naming(True)
    assert f"农户 {first.code}（王安镇王安村）" in named.message
    assert error.naming(False).message == error.message


def test_joining_is_refused_while_the_person_is_a_current_member_elsewhere():
    first = registered()
    person = first.head.id_number
    second = registered()
    second.collect_events()
    second.join_member(member("王建国", person, Relation.OTHER), JoinReason.MOVED_IN,
                       **when(date(2023, 5, 1)))
    with pytest.raises(PersonInAnotherHousehold) as refused:
        refuse_second_households(changes_of(second), recorded(first))
    assert refused.value.field == "member.id_number"


def test_moving_is_leaving_one_household_then_joining_the_other_on_that_day_or_later():
    first = registered()
    person = son_of(first)
    saved = recorded(first)
    first.leave_member(person, LeaveReason.MOVED_OUT, **when(date(2023, 6, 1)))
    saved = _after(saved, changes_of(first))
    second = registered()
    second.collect_events()
    second.join_member(member("张小", person, Relation.OTHER), JoinReason.MOVED_IN,
                       **when(date(2023, 6, 1)))
    refuse_second_households(changes_of(second), saved)  # the same day: allowed

    third = registered()
    third.collect_events()
    third.join_member(member("张小", person, Relation.OTHER), JoinReason.MOVED_IN,
                      **when(date(2023, 5, 20)))
    with pytest.raises(PersonInAnotherHousehold) as refused:
        refuse_second_households(changes_of(third), saved)
    assert "至 2023-06-01 才离开" in refused.value.message


def test_two_registrations_of_one_person_in_one_save_are_refused():
    person = make_id(date(1980, 1, 1))
    first = registered(members=[member("甲", person, Relation.HEAD)])
    second = registered(members=[member("甲", person, Relation.HEAD)])
    with pytest.raises(PersonInAnotherHousehold):
        refuse_second_households(changes_of(first, second), [])


def test_rejoining_ones_own_household_is_not_a_second_household():
    household = registered()
    son = son_of(household)
    saved = recorded(household)
    household.leave_member(son, LeaveReason.MOVED_OUT, **when(date(2023, 3, 1)))
    household.join_member(member("张小", son, Relation.SON), JoinReason.MOVED_IN,
                          **when(date(2023, 4, 1)))
    refuse_second_households(changes_of(household), saved)


def test_the_household_on_a_day_follows_leaving_and_joining():
    first = registered()
    son = son_of(first)
    second = registered(on=date(2023, 2, 1))
    saved = recorded(first, second)
    first.leave_member(son, LeaveReason.MOVED_OUT, **when(date(2023, 6, 1)))
    second.join_member(member("张小", son, Relation.OTHER), JoinReason.MOVED_IN,
                       **when(date(2023, 6, 1)))
    saved = _after(saved, changes_of(first, second))
    mine = [m for m in saved if m.id_number == son]
    assert household_on(mine, date(2022, 12, 1)).household_code == first.code  # before registration
    assert household_on(mine, date(2023, 5, 31)).household_code == first.code
    assert household_on(mine, date(2023, 6, 1)).household_code == second.code
    second.leave_member(son, LeaveReason.DEATH, **when(date(2023, 9, 1)))
    mine = [m for m in _after(saved, changes_of(second)) if m.id_number == son]
    assert household_on(mine, date(2023, 9, 2)) is None  # in no household that day


def test_a_log_from_before_the_rule_keeps_a_second_household_marked_and_it_resolves_to_the_first():
    person = make_id(date(1980, 1, 1))
    first = registered(members=[member("甲", person, Relation.HEAD)], on=date(2023, 1, 1))
    second = registered(members=[member("甲", person, Relation.HEAD)], on=date(2023, 1, 1))
    book = MembershipBook()
    found = [book.apply(change) for change in changes_of(first, second)]
    assert found[0] is None and found[1].household_code == first.code
    memberships = list(book.memberships())
    assert [m.recorded_duplicate for m in memberships] == [False, True]
    assert household_on(memberships, date(2023, 3, 1)).household_code == first.code


def son_of(household: Household) -> str:
    return next(m.id_number for m in household.current_members() if m.relation is Relation.SON)


def _after(saved, changes):
    book = MembershipBook(saved)
    for change in changes:
        assert isinstance(change, Began | Ended)
        book.apply(change)
    return list(book.memberships())
