"""Alerts held unmatched past their 15-day deadline, on the overdue lists beside the cases.

The read models follow households. An alert about a person in no registered household waits on
the county's `UnmatchedAlerts` until a township attaches it, while its 15-day clock runs from
discovery (domain.md §5): so every overdue list — the API's case queue, the workbench, the
exports and the command line — adds the overdue ones from there (`UnmatchedAlerts.overdue`
says which), in the caller's area (`in_area`, also who sees the unmatched list itself).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.identity import mask_id_number
from domain.unmatched import HELD_STAGE, HeldAlert, UnmatchedAlerts
from projections.filters import NameMatch
from projections.queries import Area


def in_area(area: Area, alert: HeldAlert) -> bool:
    """Whether a held alert is in an area: a township's are those routed to it and those
    routed nowhere (any township may attach them); a village's, those of its township routed to
    it or to no village; a department's, its own pushes; the county's, all."""
    if area.level == "township":
        return alert.township in (None, area.township)
    if area.level == "village":
        return alert.township == area.township and alert.village in (None, area.village)
    if area.level == "department":
        return alert.department is area.department
    return True


def overdue_unmatched(
    held: UnmatchedAlerts | None, area: Area, today: date, *, township: NameMatch | None = None,
    village: NameMatch | None = None,
) -> list[HeldAlert]:
    """The alerts still held past their deadline on ``today`` in ``area`` (and, when given, in
    the township or village filtered for, matched as the case queue matches them), the longest
    overdue first."""
    if held is None:
        return []
    return [a for a in held.overdue(today) if in_area(area, a)
            and (not township or township.matches(a.township))
            and (not village or village.matches(a.village))]


def overdue_rows(alerts: list[HeldAlert], today: date) -> list[dict[str, Any]]:
    """Held alerts as rows of an overdue list (the case queue's columns, and the alert's id and
    its person's masked ID number in place of a household)."""
    return [{
        "code": "", "township": a.township or "", "village": a.village or "", "head_name": "",
        "stage": HELD_STAGE, "discovered_on": a.discovered_on,
        "deadline_on": a.identification_deadline, "days_left": 0,
        "days_overdue": a.days_overdue(today), "green_channel": False, "pending_steps": [],
        "owed_steps": [], "re_entry": False, "alert_id": a.alert_id,
        "person_id_masked": mask_id_number(a.person_id_number),
    } for a in alerts]
