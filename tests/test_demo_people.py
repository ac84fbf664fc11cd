"""A person moves between demo households (issue 20): a daughter of the county marries a later
household's son — she leaves her parents' household and joins her husband's the same day —
and the person index, both case files and their timelines follow her by her ID number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.commands import JoinMember, MemberIn
from application.demo import county, load_demo
from domain.codes import JoinReason, LeaveReason, Relation
from domain.errors import DomainError


def test_a_daughter_who_marries_into_another_household_of_the_county_moves_to_it(make_app, clock):
    # Given the demo of 100 households (its first wedding between two of them is in the 90s)
    clock.now = datetime(2026, 1, 5, tzinfo=UTC)
    app = make_app()
    load_demo(app, 100)
    households = {h.code: h for h in (app.household(i) for i in app.iter_households())}
    married_out = {m.id_number: (code, m) for code, h in households.items()
                   for m in h.members.values() if m.leave_reason is LeaveReason.MARRIAGE}
    moved = [(married_out[m.id_number], code, m) for code, h in households.items()
             for m in h.members.values()
             if m.id_number in married_out and married_out[m.id_number][0] != code]
    assert moved, "no daughter of the county married into another of its households"
    (left_code, daughter), joined_code, bride = moved[0]
    day = daughter.left_on

    # Then her two households say so: she left one by marriage and joined the other that day
    assert left_code != joined_code and bride.joined_on == day and bride.left_on is None
    assert bride.join_reason is JoinReason.MARRIAGE and bride.relation is Relation.OTHER
    assert bride.name == daughter.name
    # the person index follows her by her ID number: the one household, then the other
    memberships = sorted(app.people.memberships_of([bride.id_number]), key=lambda m: m.member_since)
    assert [(m.household_code, m.left_on) for m in memberships] == [(left_code, day), (joined_code, None)]
    assert app.household_code_on(bride.id_number, day - timedelta(days=1)) == left_code
    assert app.household_code_on(bride.id_number, day) == joined_code
    assert app.people.duplicates() == []
    # both timelines tell it
    assert any(e.event == "MemberLeft" and e.details.get("id_number") == bride.id_number
               for e in app.history(left_code))
    assert any(e.event == "MemberJoined" and e.details["member"].id_number == bride.id_number
               for e in app.history(joined_code))

    # and she cannot be put back in her parents' household while she is in her husband's
    parents = households[left_code]
    liaison = next(v.liaison for v in county()
                   if (v.township, v.name) == (parents.township, parents.village))
    with pytest.raises(DomainError) as refused:
        app.execute(left_code, JoinMember(member=MemberIn(
            name=bride.name, id_number=bride.id_number, relation=Relation.DAUGHTER,
            health=bride.health, labour_capacity=bride.labour_capacity, insured=bride.insured),
            reason=JoinReason.OTHER, occurred_on=day + timedelta(days=30)), by=liaison)
    assert refused.value.code == "PERSON_IN_ANOTHER_HOUSEHOLD"
