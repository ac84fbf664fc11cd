"""The change feed (数据共享, domain.md §15): the households' events a caller may see, in log
order, read from the event log after a position, so another system can follow what concerns
it. A read: it never writes an event.

Who sees what:
- the county centre, auditors and the assessment team: every household's events;
- a township or a village: the events of the households in its area — judged, as a case
  file's history is, by where the household is now;
- a department: of the households its duty touched, only the events about its own work —
  the alerts it pushed (`AlertRaised` of its department), what became of them (the county's
  decisions on a case one of its alerts is in: `MonitoringObjectIncluded`,
  `IdentificationRejected`, `RiskEliminated`), and the measures assigned to it
  (`MeasureAssigned`, `MeasurePutInPlace`, `MeasureEnded`). Not visits, notices, corrections
  or other departments' work.
Events of the county's other records (policy lines, push ledgers, meetings) are not in the feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from application.accounts.access import User
from application.app import CaseFiles, HistoryEntry, history_entry
from domain.codes import Department, Role
from domain.household import Household

#: Where a page stops reading the log when it has found fewer events than asked: a village
#: following a county-wide log reads at most this many positions per page.
MAX_SCAN = 5000
_BATCH = 500
_HOUSEHOLD_TOPICS = f"{Household.TOPIC}."
_DECISIONS = (Household.MonitoringObjectIncluded, Household.IdentificationRejected,
              Household.RiskEliminated)
_MEASURE_STEPS = (Household.MeasurePutInPlace, Household.MeasureEnded)


@dataclass(frozen=True)
class FeedEvent:
    """One event of the feed: its log position, its household, the fact as recorded."""

    position: int
    household_id: UUID
    household_code: str
    entry: HistoryEntry


@dataclass(frozen=True)
class FeedPage:
    """A page of the feed: ``next_after`` is where the next page begins (the last position
    read, whether or not the caller could see it); ``end`` the log's last position when read."""

    events: list[FeedEvent]
    next_after: int
    end: int


def read_feed(app: CaseFiles, user: User, after: int, limit: int) -> FeedPage:
    """Up to ``limit`` events ``user`` may see, from the position after ``after`` on, reading
    at most `MAX_SCAN` positions."""
    end = app.max_position()
    events: list[FeedEvent] = []
    households: dict[UUID, Household] = {}
    position = min(after, end)
    while position < end and len(events) < limit and position - after < MAX_SCAN:
        batch = app.recorder.select_notifications(position + 1, _BATCH, stop=end)
        if not batch:
            break
        for notification in batch:
            position = notification.id
            if notification.topic.startswith(_HOUSEHOLD_TOPICS):
                event = app.mapper.to_domain_event(StoredEvent(
                    notification.originator_id, notification.originator_version,
                    notification.topic, notification.state))
                household = households.get(event.originator_id)
                if household is None:
                    household = households[event.originator_id] = app.household(event.originator_id)
                if sees(user, household, event):
                    events.append(FeedEvent(position, household.id, household.code,
                                            history_entry(event)))
                    if len(events) == limit:
                        break
            if position - after >= MAX_SCAN:
                break
    return FeedPage(events, position, end)


def sees(user: User, household: Household, event: object) -> bool:
    """Whether ``user`` may see ``event`` of ``household`` in the feed (the module's rule)."""
    if user.role is Role.DEPARTMENT:
        return user.department is not None and concerns(user.department, household, event)
    return user.covers(household.township, household.village)


def concerns(department: Department, household: Household, event: object) -> bool:
    """Whether ``event`` is about ``department``'s own work: an alert it pushed, a decision on
    a case one of its alerts is in, a measure assigned to it."""
    if isinstance(event, Household.AlertRaised | Household.MeasureAssigned):
        return event.department == department
    if isinstance(event, _MEASURE_STEPS):
        measure = household.measures.get(event.measure_id)
        return measure is not None and measure.department == department
    if isinstance(event, _DECISIONS):
        if not 1 <= event.case_number <= len(household.cases):
            return False
        case = household.cases[event.case_number - 1]
        return any(household.alerts[a].department == department
                   for a in case.alert_ids if a in household.alerts)
    return False
