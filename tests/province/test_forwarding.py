"""A row held at the province goes to its county once the person is a member there: recorded
on the household with its batch and discovery day, marked forwarded at the province, once."""

from __future__ import annotations

from datetime import date

import pytest

from application.commands import JoinMember
from application.province import Deployment
from application.province.forwarding import HeldForwarding
from application.province.people import ProvincialPeople
from domain.codes import JoinReason, Relation, Tier
from interfaces.cli import main
from tests.builders import COUNTY, VILLAGE, family, member_in, registering
from tests.province.counties import LAIYUAN, YIXIAN, county_app, ids, register
from tests.province.test_pushes import BATCH, STRANGER, positions, push, row


def _forward(deployment: Deployment) -> None:
    people = ProvincialPeople(deployment)
    people.catch_up_all()  # as the follower does: the index over every county first
    forwarding = HeldForwarding(deployment, people)
    for county in deployment.counties():
        with county_app(deployment, county.code) as app:
            forwarding.catch_up(county, app)


def _join(deployment: Deployment, county: str, household: str, person: str, on: date) -> None:
    with county_app(deployment, county) as app:
        app.execute(household, JoinMember(
            member=member_in(name="外来人", id_number=person, relation=Relation.OTHER),
            reason=JoinReason.MOVED_IN, occurred_on=on), by=VILLAGE)


def test_a_held_row_goes_to_the_county_that_registers_its_person_once(deployment: Deployment) -> None:
    register(deployment, YIXIAN, {"130633201001": 3})
    push(deployment, [row(STRANGER)])  # discovered 2025-03-05, in no county: held
    alert_id = BATCH.alert_id("1")
    _forward(deployment)  # nobody has the person yet: it stays held
    assert deployment.province().unmatched_alerts().alerts[alert_id].pending

    _join(deployment, YIXIAN, "130633201001", STRANGER, date(2025, 3, 1))
    _forward(deployment)
    with county_app(deployment, YIXIAN) as yixian:
        alert = yixian.household("130633201001").alerts[alert_id]
        assert (alert.tier, alert.batch_id, alert.discovered_on) == (
            Tier.PROVINCIAL, BATCH.batch_id, date(2025, 3, 5))
    held = deployment.province().unmatched_alerts().alerts[alert_id]
    assert (held.pending, held.household_code) == (False, f"{YIXIAN}/130633201001")
    before = positions(deployment)
    _forward(deployment)  # again: nothing recorded twice anywhere
    assert positions(deployment) == before


def test_a_row_stays_held_when_the_person_joined_after_its_day_or_is_in_two_counties(
        deployment: Deployment) -> None:
    register(deployment, YIXIAN, {"130633201001": 3})
    push(deployment, [row(STRANGER), row(ids(1)[0])])
    _join(deployment, YIXIAN, "130633201001", STRANGER, date(2025, 4, 1))  # after 2025-03-05
    with county_app(deployment, LAIYUAN) as laiyuan, county_app(deployment, YIXIAN) as yixian:
        laiyuan.register_household(registering("130630101001", members=family(1)), by=COUNTY)
        yixian.register_household(registering("130633201002", members=family(1)), by=COUNTY)
    before = positions(deployment)
    _forward(deployment)
    assert positions(deployment) == before
    held = deployment.province().unmatched_alerts().alerts
    assert held[BATCH.alert_id("1")].pending and held[BATCH.alert_id("2")].pending


def test_the_command_line_forwards_what_the_index_now_finds(
        deployment: Deployment, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    register(deployment, YIXIAN, {"130633201001": 3})
    push(deployment, [row(STRANGER)])
    _join(deployment, YIXIAN, "130633201001", STRANGER, date(2025, 3, 1))
    assert main(["province", "people", "catch-up"]) == 0
    out = capsys.readouterr().out
    assert "转至其人员所在县：1 条" in out and f"{YIXIAN} 易县 农户 130633201001" in out
    assert not deployment.province().unmatched_alerts().alerts[BATCH.alert_id("1")].pending
