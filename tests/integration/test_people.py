"""A person in one household at a time, held by the store on both back ends: the person index
written with the events, two racing registrations of one person, an old log that already puts
someone in two households, a new index on an existing log, and the registry import."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from eventsourcing.application import Application

from application.app import CaseFiles
from application.commands import JoinMember, LeaveMember, Recording
from application.imports import import_households
from application.store.people import TABLE
from domain.codes import JoinReason, LeaveReason, Relation
from domain.people import PersonInAnotherHousehold
from interfaces.cli import main
from tests.builders import CHILD_ID, COUNTY, HEAD_ID, VILLAGE, family, id_number, member_in, registering
from tests.integration.test_imports import HEADERS, member, workbook


@pytest.fixture(autouse=True)
def _june(clock):
    clock.now = datetime(2025, 6, 1, 2, tzinfo=UTC)  # every date below is in the past


def people_rows(app: CaseFiles) -> int:
    with app.people.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {app.people.table}")
        row = cursor.fetchone()
    return int(row["n"] if isinstance(row, dict) else row[0])


def test_a_second_household_for_a_member_is_refused_and_nothing_of_it_recorded(make_app):
    app = make_app()
    app.register_household(registering("A"), by=COUNTY)
    position = app.max_position()
    stranger = id_number(date(1990, 1, 1), 7)
    members = [family(1)[0], replace(family()[2], relation=Relation.SON)]  # A's son as B's son
    with pytest.raises(PersonInAnotherHousehold) as refused:
        app.register_household(registering("B", members=members), by=COUNTY)
    assert refused.value.field == "members[1].id_number"
    assert (refused.value.township, refused.value.village) == ("银坊镇", "东村")
    assert app.max_position() == position and people_rows(app) == 3

    app.register_household(registering("B", members=family(1)), by=COUNTY)
    joining = JoinMember(member=member_in(name="王建国", id_number=HEAD_ID, relation=Relation.OTHER),
                         reason=JoinReason.MOVED_IN, occurred_on=date(2025, 2, 1))
    with pytest.raises(PersonInAnotherHousehold) as refused:
        app.execute("B", joining, by=VILLAGE)
    assert refused.value.field == "member.id_number" and refused.value.household_code == "A"

    # moving: leave A, then join B — and B's son may not be registered anywhere else either
    app.execute("A", LeaveMember(id_number=CHILD_ID, reason=LeaveReason.MOVED_OUT,
                                 occurred_on=date(2025, 2, 1)), by=VILLAGE)
    app.execute("B", JoinMember(member=member_in(name="王小明", id_number=CHILD_ID,
                                                relation=Relation.OTHER),
                                reason=JoinReason.MOVED_IN, occurred_on=date(2025, 2, 1)),
                by=VILLAGE)
    assert app.household_code_on(CHILD_ID, date(2025, 1, 31)) == "A"
    assert app.household_code_on(CHILD_ID, date(2025, 2, 1)) == "B"
    assert app.household_code_on(stranger, date(2025, 2, 1)) is None


@pytest.mark.parametrize("save", ["command", "several events"])
def test_two_registrations_of_one_person_racing_on_two_processes_let_one_commit(make_app, save):
    """Both saves pass the check before either is written (each waits for the other at its
    first read of the index): the unique index on current memberships lets only one commit,
    and the other is refused naming the winner's household. A command's save writes the index
    in its events' statement; a save of several events (a registration and a birth, as the
    demo saves a household's year) in a transaction after them."""
    first, second = make_app(), make_app()  # two pools, two caches: two processes
    person = id_number(date(1985, 6, 1), 5)
    barrier = threading.Barrier(2, timeout=10)
    reads: list[list[int]] = []
    for app in (first, second):
        read = app.people.memberships_of
        calls = [0]
        reads.append(calls)

        def held(id_numbers, read=read, calls=calls):
            found = read(id_numbers)
            calls[0] += 1
            if calls[0] == 1:
                barrier.wait()  # both have checked: neither sees the other
            return found

        app.people.memberships_of = held  # type: ignore[method-assign]
    outcomes: dict[str, object] = {}

    def register(app: CaseFiles, code: str) -> None:
        others = [m for m in family(int(code[-1])) if m.relation is not Relation.HEAD]
        members = [replace(family()[0], id_number=person), *others]
        try:
            if save == "command":
                outcomes[code] = app.register_household(registering(code, members=members),
                                                        by=COUNTY)
            else:
                household = registering(code, members=members).register(_recording())
                household.join_member(replace(family()[2], id_number=id_number(
                    date(2025, 1, 1), int(code[-1]))), JoinReason.BIRTH,
                    occurred_on=date(2025, 1, 2), by=COUNTY,
                    at=datetime(2025, 1, 2, tzinfo=UTC))
                outcomes[code] = app.save(household)
        except PersonInAnotherHousehold as refused:
            outcomes[code] = refused

    threads = [threading.Thread(target=register, args=(app, code))
               for app, code in ((first, "R1"), (second, "R2"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [o for o in outcomes.values() if isinstance(o, PersonInAnotherHousehold)]
    assert len(refused) == 1, outcomes
    winner = next(code for code, o in outcomes.items() if o is not refused[0])
    assert refused[0].household_code == winner and refused[0].field == "members[0].id_number"
    assert sorted(calls[0] for calls in reads) == [1, 2], "the loser was refused by the index"
    assert [m.household_code for m in first.people.memberships_of([person])] == [winner]
    assert len(list(first.iter_households())) == 1


def _save_unchecked(app: CaseFiles, household) -> None:
    """Save as a version before the rule did: the library's save, no index rows."""
    Application.save(app, household)


def test_an_old_log_with_a_person_in_two_households_loads_reports_them_and_changes_nothing(
        make_app, cli_env, capsys):
    app = make_app()
    app.register_household(registering("OLD1"), by=COUNTY)
    twice = registering("OLD2", members=[family()[0], *family(2)[1:]])
    _save_unchecked(app, twice.register(_recording()))
    position = app.max_position()
    with app.people.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DELETE FROM {app.people.table}")  # as a store upgraded to this version
    app.close()

    reopened = make_app()  # rebuilds the index from the log: the duplicate is kept, marked
    assert reopened.max_position() == position
    duplicates = reopened.people.duplicates()
    assert [(m.household_code, m.recorded_duplicate) for m in duplicates] == [
        ("OLD1", False), ("OLD2", True)]
    assert reopened.household_code_on(HEAD_ID, date(2025, 3, 1)) == "OLD1"  # never arbitrary
    assert main(["people", "duplicates"]) == 0
    listed = capsys.readouterr().out
    assert "1 人同时是两户以上的在册成员" in listed and HEAD_ID in listed
    assert "OLD1 银坊镇东村 王建国 随户登记 2025-01-01（先记录）" in listed
    assert "OLD2 银坊镇东村 王建国 随户登记 2025-01-01（后记录）" in listed
    assert main(["people", "rebuild"]) == 0
    assert "6 条成员记录" in capsys.readouterr().out and reopened.max_position() == position

    # and the rule holds for what is recorded from now on
    with pytest.raises(PersonInAnotherHousehold):
        reopened.register_household(registering("NEW", members=[family()[0]]), by=COUNTY)


def test_a_store_from_before_the_index_gets_it_built_at_start(make_app):
    app = make_app()
    app.register_household(registering("A"), by=COUNTY)
    with app.people.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DROP TABLE {app.people.table}")
    app.close()
    reopened = make_app()
    assert people_rows(reopened) == 3
    with pytest.raises(PersonInAnotherHousehold):
        reopened.register_household(registering("B", members=[family()[0]]), by=COUNTY)
    assert TABLE in reopened.people.table


def test_the_registry_import_refuses_a_person_of_another_household_on_their_row(make_app, tmp_path):
    app = make_app()
    app.register_household(registering("A"), by=COUNTY)
    path = workbook(tmp_path / "registry.xlsx", HEADERS, [
        member("H1", "王一", id_number(date(1960, 1, 1), 1), "本人"),   # row 2
        member("H1", "王小明", CHILD_ID, "子"),                          # row 3: A's son
        member("H2", "李三", id_number(date(1961, 1, 1), 3), "本人"),   # row 4
    ])
    summary = import_households(app, path, by=COUNTY)
    assert (summary.households_registered, summary.rejected) == (1, 2)
    assert summary.problems == [
        (2, "同户第 3 行有误，本户未登记"),
        (3, f"【身份证号码】身份证号码 {CHILD_ID} 已是农户 A（银坊镇东村）的在册成员：同一人同一时间只能"
            "属于一户，迁入本户须先由原户办理成员减少"),
    ]


def _recording() -> Recording:
    return Recording(by=COUNTY, at=datetime(2025, 1, 2, tzinfo=UTC), command_id="old")
