"""Stored topics are a public contract: every county's log names its events by these strings,
so a class may move between modules (docs/adr/0007-layout.md) but a topic never changes."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

from domain.governance import Governance, ImportLedger, PushLedger
from domain.household import Household
from domain.policy import IncomeLinePolicy
from domain.relief import ReliefBandsPolicy
from domain.self_reports import SelfReports
from domain.unmatched import UnmatchedAlerts

#: Every topic in a log written by fangpin, by aggregate. Add to it; never edit or remove.
STORED = {
    "fangpin:Household": (
        "Registered", "MemberJoined", "MemberLeft", "MemberDetailsUpdated", "AlertRaised",
        "HouseholdVerified", "VillageDeliberationConcluded", "TownshipReviewCompleted",
        "MonitoringObjectIncluded", "IdentificationRejected", "GreenChannelOpened",
        "RiskAnalysed", "MeasureAssigned", "MeasurePutInPlace", "MeasureEnded",
        "MedicalInsuranceSubsidised", "ReliefInsurancePaid", "VisitRecorded", "IncomeAssessed",
        "EliminationVerified", "RiskEliminated", "EliminationRejected", "FactCorrected",
        "AppealLodged", "AppealAnswered",
        "NoticePublished",
        "GridWorkerAssigned", "GridWorkerChanged", "GridWorkerEnded", "HelperAssigned",
        "HelperChanged", "HelperEnded", "HelperConfirmed",
        "EvidenceAttached",
    ),
    "fangpin:IncomeLinePolicy": ("Started", "IncomeLineSet", "PovertyLineSet"),
    "fangpin:ReliefBandsPolicy": ("Started", "ReliefBandsSet"),
    "fangpin:PushLedger": ("Opened", "PushArrived", "PushReceived"),
    "fangpin:Governance": ("Started", "ConsultationHeld", "DispatchMeetingHeld",
                           "CadenceTableAdopted", "RectificationOrdered", "RectificationCompleted",
                           "RectificationDeadlineExtended"),
    "fangpin:ImportLedger": ("Started", "FileImported"),
    "fangpin:UnmatchedAlerts": ("Started", "AlertHeld", "AlertAttached", "AlertForwarded"),
    "fangpin:SelfReports": ("Started", "Reported", "Answered"),
}
AGGREGATES: tuple[type[Aggregate], ...] = (
    Household, IncomeLinePolicy, ReliefBandsPolicy, PushLedger, Governance, ImportLedger,
    UnmatchedAlerts, SelfReports)


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda cls: cls.__name__)
def test_each_stored_topic_resolves_to_the_event_of_that_name(aggregate):
    assert aggregate.TOPIC in STORED and resolve_topic(aggregate.TOPIC) is aggregate
    for name in STORED[aggregate.TOPIC]:
        event = getattr(aggregate, name)
        assert f"{aggregate.TOPIC}.{name}" == event.TOPIC
        assert resolve_topic(event.TOPIC) is event


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda cls: cls.__name__)
def test_no_event_of_an_aggregate_is_missing_from_the_contract(aggregate):
    """A new event is added to `STORED` deliberately, with its topic chosen once."""
    declared = {  # the library's own `Created` inherits the base's topic: never stored
        value.TOPIC for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, aggregate.Event)
    } - {aggregate.Event.TOPIC}
    assert declared == {f"{aggregate.TOPIC}.{name}" for name in STORED[aggregate.TOPIC]}
