"""The provincial person index follows every county's log: a registration, a member joining
or leaving moves it; each batch of events and the county's position are written together, so
an interrupted catch-up leaves them agreeing and the next one applies each event once."""

from __future__ import annotations

from datetime import date

import pytest

import application.province.people as people_module
from application.commands import JoinMember, LeaveMember
from application.province import Deployment
from application.province.people import Placement, ProvincialPeople
from domain.codes import JoinReason, LeaveReason, Relation
from tests.builders import VILLAGE, member_in
from tests.province.counties import LAIYUAN, YIXIAN, county_app, ids, register


def test_the_index_follows_every_county_and_moves_with_members_joining_and_leaving(
        deployment: Deployment) -> None:
    register(deployment, LAIYUAN, {"130630101001": 1, "130630101002": 2})
    register(deployment, YIXIAN, {"130633201001": 3})
    people = ProvincialPeople(deployment)
    assert people.placements(ids(1)) == {i: [] for i in ids(1)}  # a read never catches up
    reached = people.catch_up_all()
    assert reached[LAIYUAN] == people.position(LAIYUAN) > 0
    assert people.placements([ids(1)[0], ids(3)[2], "110101199001010011"]) == {
        ids(1)[0]: [Placement(LAIYUAN, "130630101001")],
        ids(3)[2]: [Placement(YIXIAN, "130633201001")],
        "110101199001010011": []}

    # a child moves from 涞源县 to 易县: leaves one household, joins the other
    child = ids(1)[2]
    with county_app(deployment, LAIYUAN) as app:
        app.execute("130630101001", LeaveMember(
            id_number=child, reason=LeaveReason.MOVED_OUT, occurred_on=date(2025, 3, 1)), by=VILLAGE)
        assert people.catch_up(deployment.county(LAIYUAN), app) == app.max_position()
    assert people.placements([child])[child] == []
    with county_app(deployment, YIXIAN) as app:
        app.execute("130633201001", JoinMember(
            member=member_in(name="王小明", id_number=child, relation=Relation.OTHER),
            reason=JoinReason.MOVED_IN, occurred_on=date(2025, 3, 2)), by=VILLAGE)
    people.catch_up_all()
    assert people.placements([child])[child] == [Placement(YIXIAN, "130633201001")]
    before = people.placements(ids(1) + ids(2) + ids(3))
    assert people.rebuild() == {LAIYUAN: people.position(LAIYUAN), YIXIAN: people.position(YIXIAN)}
    assert people.placements(ids(1) + ids(2) + ids(3)) == before


def test_a_catch_up_cut_short_leaves_position_and_rows_agreeing(
        deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure half-way through a batch (as a kill would) takes none of that batch: the
    batches before it stand with their position, and the next catch-up applies the rest once."""
    register(deployment, LAIYUAN, {f"13063010100{n}": n for n in range(1, 6)})
    people = ProvincialPeople(deployment)
    calls = {"n": 0}
    real = people_module.membership_changes

    def failing(*args, **kwargs):  # the fourth registration cannot be applied
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(people_module, "membership_changes", failing)
    laiyuan = deployment.county(LAIYUAN)
    with county_app(deployment, LAIYUAN) as app, pytest.raises(RuntimeError):
        people.catch_up(laiyuan, app, batch=2)
    # the first batches stand, the failed one left no row: position and rows agree
    position = people.position(LAIYUAN)
    placed = {n: bool(people.placements(ids(n))[ids(n)[0]]) for n in range(1, 6)}
    with county_app(deployment, LAIYUAN) as app:
        seen = [n for n in app.recorder.select_notifications(1, 100, stop=position)
                if n.topic.endswith("Registered")]
    assert position > 0 and sum(placed.values()) == len(seen) < 5
    monkeypatch.setattr(people_module, "membership_changes", real)
    with county_app(deployment, LAIYUAN) as app:
        assert people.catch_up(laiyuan, app, batch=2) == app.max_position()
    found = people.placements([i for n in range(1, 6) for i in ids(n)])
    assert all(len(where) == 1 for where in found.values())


def test_two_catch_ups_racing_apply_each_event_once(deployment: Deployment) -> None:
    """Two processes following one county: each batch moves the position from where it was
    read, so only one of them applies it."""
    import threading

    register(deployment, LAIYUAN, {f"13063010100{n}": n for n in range(1, 7)})
    laiyuan = deployment.county(LAIYUAN)
    barrier = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            with Deployment(deployment.settings, clock=deployment.clock) as other, \
                    county_app(other, LAIYUAN) as app:
                people = ProvincialPeople(other)
                barrier.wait()
                people.catch_up(laiyuan, app, batch=1)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=follow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    people = ProvincialPeople(deployment)
    found = people.placements([i for n in range(1, 7) for i in ids(n)])
    assert all(len(where) == 1 for where in found.values()) and len(found) == 18
    with county_app(deployment, LAIYUAN) as app:
        assert people.position(LAIYUAN) == app.max_position()
