"""Rectification items (限期整改, domain.md §10): a problem named at a dispatch meeting, or by an
auditor, with the township or department responsible, a deadline and a status; overdue items
are listed and counted."""

from __future__ import annotations

from datetime import date
from typing import Any

from household_kit import COUNTY, DEPARTMENT, TOWNSHIP, at, refused, replay, when

from domain.codes import Department
from domain.governance import (
    AUDIT_SOURCE,
    Governance,
    RectificationStatus,
    count_by_unit,
    items_on,
)

MEETING_DAY = date(2025, 3, 28)
DEADLINE = date(2025, 4, 30)


def county() -> Governance:
    """Given a consultation in March and the first quarter's dispatch meeting on 28 March."""
    governance = Governance.start(occurred_on=date(2025, 1, 2), by=COUNTY, at=at(date(2025, 1, 2)))
    meeting = {"departments_present": [Department.RURAL_REVITALISATION], "topics": ["研判"],
               "decisions": []}
    governance.hold_consultation(meeting_id="HS-03", **meeting, **when(date(2025, 3, 20), COUNTY))
    governance.hold_dispatch_meeting(meeting_id="DD-Q1", quarter="2025-Q1", **meeting,
                                     **when(MEETING_DAY, COUNTY))
    return governance


def order(governance: Governance, item_id: str = "ZG-1", *, on: date = MEETING_DAY,
          **fields: Any) -> None:
    body = {"source": "DD-Q1", "problem": "走访记录不全", "township": "银坊镇", "deadline": DEADLINE,
            **fields}
    governance.order_rectification(item_id=item_id, **body, **when(on, COUNTY))


def test_an_item_named_at_a_dispatch_meeting_is_open_until_its_deadline_then_overdue():
    governance = county()
    # When the dispatch meeting orders the township to fix its visit records by 30 April
    order(governance)
    item = governance.rectification("ZG-1")
    assert (item.source, item.unit, item.ordered_on, item.deadline) == ("DD-Q1", "银坊镇", MEETING_DAY,
                                                                        DEADLINE)
    # Then it is not due on the deadline day itself, and overdue the day after, by the day
    assert item.status_on(DEADLINE) is RectificationStatus.PENDING
    assert item.status_on(date(2025, 5, 3)) is RectificationStatus.OVERDUE
    assert item.days_overdue(date(2025, 5, 3)) == 3
    # and it is the same after replaying the recorded events
    again = replay(governance.collect_events())  # type: ignore[arg-type]
    assert again.rectification("ZG-1") == item


def test_completion_on_time_or_late_is_shown_and_completing_twice_is_refused():
    governance = county()
    order(governance, "ZG-1")
    order(governance, "ZG-2", department=Department.MEDICAL_INSURANCE, township=None)
    # When the township completes on the deadline and the department a week after it
    governance.complete_rectification(item_id="ZG-1", what_was_done="补录走访记录",
                                      **when(DEADLINE, TOWNSHIP))
    governance.complete_rectification(item_id="ZG-2", what_was_done="补推名单",
                                      **when(date(2025, 5, 7), DEPARTMENT))
    on_time, late = governance.rectification("ZG-1"), governance.rectification("ZG-2")
    # Then one is 已完成, the other 逾期完成 (7 days late) — and overdue until it was completed
    assert on_time.status_on(date(2025, 6, 1)) is RectificationStatus.DONE
    assert late.status_on(date(2025, 6, 1)) is RectificationStatus.DONE_LATE
    assert late.days_overdue(date(2025, 6, 1)) == 7
    assert late.status_on(date(2025, 5, 6)) is RectificationStatus.OVERDUE
    assert late.what_was_done == "补推名单" and late.unit == "医保局"
    # When it is completed again, Then that is refused
    with refused(governance, "RECTIFICATION_COMPLETED", "item_id"):
        governance.complete_rectification(item_id="ZG-1", what_was_done="再次补录",
                                          **when(date(2025, 6, 1), TOWNSHIP))


def test_the_source_must_be_a_recorded_dispatch_meeting_or_an_audit():
    governance = county()
    # Given no meeting NONE, and HS-03 a consultation (not a dispatch meeting)
    for source in ("NONE", "HS-03"):
        with refused(governance, "DISPATCH_MEETING_UNKNOWN", "source"):
            order(governance, source=source)
    # An item cannot be ordered before the meeting that named it
    with refused(governance, "ORDERED_BEFORE_MEETING", "occurred_on"):
        order(governance, on=date(2025, 3, 27))
    # An auditor's finding needs no meeting, before or after
    order(governance, "SJ-1", source=AUDIT_SOURCE, on=date(2025, 2, 10), deadline=date(2025, 3, 10))
    assert governance.rectification("SJ-1").source == "审计"


def test_the_values_of_an_order_are_checked_and_name_their_field():
    governance = county()
    cases = [
        ({"deadline": date(2025, 3, 27)}, "DEADLINE_BEFORE_ORDER", "deadline"),
        ({"township": None}, "UNIT_REQUIRED", "township"),
        ({"department": Department.CIVIL_AFFAIRS}, "UNIT_AMBIGUOUS", "department"),
        ({"problem": "  "}, "PROBLEM_REQUIRED", "problem"),
        ({"item_id": ""}, "RECTIFICATION_ID_REQUIRED", "item_id"),
        ({"item_id": "ZG/1"}, "RECTIFICATION_ID_FORMAT", "item_id"),
        ({"item_id": "ZG 1"}, "RECTIFICATION_ID_FORMAT", "item_id"),
    ]
    for fields, code, field in cases:
        with refused(governance, code, field):
            order(governance, **{"item_id": "ZG-1", **fields})
    with refused(governance, "DATE_IN_FUTURE", "occurred_on"):
        governance.order_rectification(item_id="ZG-1", source="DD-Q1", problem="p", township="银坊镇",
                                       deadline=DEADLINE, occurred_on=date(2025, 4, 2), by=COUNTY,
                                       at=at(date(2025, 4, 1)))
    # the deadline may be the order day itself; an id is used once
    order(governance, deadline=MEETING_DAY)
    with refused(governance, "RECTIFICATION_ID_TAKEN", "item_id"):
        order(governance)


def test_completion_needs_what_was_done_a_known_item_and_a_date_not_before_the_order():
    governance = county()
    order(governance)
    with refused(governance, "RECTIFICATION_NOT_FOUND", "item_id"):
        governance.complete_rectification(item_id="ZG-9", what_was_done="x", **when(DEADLINE, TOWNSHIP))
    with refused(governance, "WHAT_WAS_DONE_REQUIRED", "what_was_done"):
        governance.complete_rectification(item_id="ZG-1", what_was_done="", **when(DEADLINE, TOWNSHIP))
    with refused(governance, "COMPLETED_BEFORE_ORDER", "occurred_on"):
        governance.complete_rectification(item_id="ZG-1", what_was_done="补录",
                                          **when(date(2025, 3, 27), TOWNSHIP))


def test_a_deadline_is_extended_before_it_passes_for_a_reason_and_never_after():
    governance = county()
    order(governance)
    # When the county extends it on 25 April to 31 May
    governance.extend_rectification_deadline(item_id="ZG-1", deadline=date(2025, 5, 31),
                                             reason="汛期入户困难", **when(date(2025, 4, 25), COUNTY))
    item = governance.rectification("ZG-1")
    # Then it is not overdue in May, and the first deadline is kept with the reason
    assert item.status_on(date(2025, 5, 15)) is RectificationStatus.PENDING
    assert [(e.previous_deadline, e.deadline, e.reason) for e in item.extensions] == [
        (DEADLINE, date(2025, 5, 31), "汛期入户困难")]
    assert (item.deadline_on(date(2025, 4, 24)), item.deadline_on(date(2025, 4, 25))) == (
        DEADLINE, date(2025, 5, 31)), "a report as of an earlier day shows the deadline then"
    # An extension must move it later, say why, and come before the deadline has passed
    with refused(governance, "DEADLINE_NOT_LATER", "deadline"):
        governance.extend_rectification_deadline(item_id="ZG-1", deadline=date(2025, 5, 31), reason="r",
                                                 **when(date(2025, 5, 1), COUNTY))
    with refused(governance, "REASON_REQUIRED", "reason"):
        governance.extend_rectification_deadline(item_id="ZG-1", deadline=date(2025, 6, 30), reason="",
                                                 **when(date(2025, 5, 1), COUNTY))
    with refused(governance, "RECTIFICATION_OVERDUE", "occurred_on"):
        governance.extend_rectification_deadline(item_id="ZG-1", deadline=date(2025, 6, 30), reason="r",
                                                 **when(date(2025, 6, 1), COUNTY))
    governance.complete_rectification(item_id="ZG-1", what_was_done="补录", **when(date(2025, 5, 20),
                                                                                   TOWNSHIP))
    assert governance.rectification("ZG-1").status_on(date(2025, 6, 1)) is RectificationStatus.DONE
    with refused(governance, "RECTIFICATION_COMPLETED", "item_id"):
        governance.extend_rectification_deadline(item_id="ZG-1", deadline=date(2025, 6, 30), reason="r",
                                                 **when(date(2025, 5, 21), COUNTY))


def test_overdue_items_are_listed_by_unit_and_counted():
    governance = county()
    order(governance, "ZG-1")
    order(governance, "ZG-2", deadline=date(2025, 4, 10))
    order(governance, "ZG-3", township=None, department=Department.MEDICAL_INSURANCE)
    order(governance, "ZG-4", township="水堡镇", deadline=date(2025, 6, 30))
    governance.complete_rectification(item_id="ZG-1", what_was_done="补录", **when(date(2025, 5, 2),
                                                                                   TOWNSHIP))
    items = governance.rectifications.values()
    day = date(2025, 5, 10)
    # Then on 10 May: ZG-2 and ZG-3 are overdue, ZG-1 was completed late, ZG-4 is not due
    overdue = items_on(items, day, status=RectificationStatus.OVERDUE)
    assert [i.item_id for i in overdue] == ["ZG-2", "ZG-3"]
    assert [i.item_id for i in items_on(items, day, township="银坊镇")] == ["ZG-2", "ZG-1"]
    assert [i.item_id for i in items_on(items, day, department=Department.MEDICAL_INSURANCE)] == ["ZG-3"]
    assert items_on(items, date(2025, 3, 1)) == [], "nothing was ordered yet"
    counts = {c.unit: (c.items, c.done, c.done_late, c.overdue, c.pending) for c in count_by_unit(items, day)}
    assert counts == {"银坊镇": (2, 0, 1, 1, 0), "医保局": (1, 0, 0, 1, 0), "水堡镇": (1, 0, 0, 0, 1)}
    assert [c.unit for c in count_by_unit(items, day)][-1] == "水堡镇", "the most overdue first"
