"""Alerts held unmatched (domain.md §5): waiting for a household does not stop the 15-day clock,
so an alert still held after its deadline is overdue like a case — until it is attached."""

from __future__ import annotations

from datetime import date

from household_kit import DEPARTMENT, at, make_id

from domain.codes import Channel, Department, RiskType, Tier
from domain.unmatched import UnmatchedAlerts

FOUND = date(2025, 3, 2)


def held_list() -> UnmatchedAlerts:
    held = UnmatchedAlerts.start(at=at(date(2025, 3, 1)))
    for alert_id, found in (("YB:1", FOUND), ("YB:2", date(2025, 3, 10))):
        held.hold(alert_id=alert_id, discovered_on=found, by=DEPARTMENT, at=at(date(2025, 3, 12)),
                  channel=Channel.DEPARTMENT_ALERT, person_id_number=make_id(),
                  risk_types=[RiskType.ILLNESS], description="", period="2025-03上旬",
                  department=Department.MEDICAL_INSURANCE, tier=Tier.COUNTY, batch_id="YB-1",
                  disaster_kind=None, problems=(), township="银坊镇", village=None)
    return held


def test_a_held_alert_is_overdue_from_the_16th_day_after_discovery():
    held = held_list()
    # Given an alert found on 2 March, held since the 12th
    alert = held.alerts["YB:1"]
    assert alert.identification_deadline == date(2025, 3, 17)
    # When the deadline day is still running, Then nothing is overdue
    assert held.overdue(date(2025, 3, 17)) == []
    # When it has passed, Then the alert is overdue, counted from discovery
    assert [(a.alert_id, a.days_overdue(date(2025, 3, 20))) for a in held.overdue(date(2025, 3, 20))] \
        == [("YB:1", 3)]
    # and the longest overdue comes first
    assert [a.alert_id for a in held.overdue(date(2025, 4, 1))] == ["YB:1", "YB:2"]


def test_an_attached_alert_leaves_the_overdue_list_from_the_day_it_was_attached():
    held = held_list()
    held.attach("YB:1", "130630101001", by=DEPARTMENT, at=at(date(2025, 3, 25)))
    assert [a.alert_id for a in held.overdue(date(2025, 3, 24))] == ["YB:1"]  # as it stood then
    assert [a.alert_id for a in held.overdue(date(2025, 3, 26))] == ["YB:2"]
    assert held.alerts["YB:1"].days_overdue(date(2025, 4, 1)) == 0
