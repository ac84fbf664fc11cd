"""The household case file: one event-sourced aggregate per registered rural household.

`Household` is assembled from the chapters of the notice, each a plain class with its commands
beside its events. Every public method is something a person does in the notice's procedure: it
checks the rules and raises a `DomainError` (recording nothing) or triggers events whose
``apply`` only changes state, so replaying the stored events rebuilds the same case file
without reading any clock.

The events are bound here as class attributes (``Household.AlertRaised``): the library takes an
aggregate's events from its own class dictionary, and every stored topic stays as it was.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from domain.household import (
    alerts,
    appeals,
    corrections,
    elimination,
    evidence,
    green_channel,
    help,
    identification,
    registration,
    staff,
    state,
    steps,
    visits,
)
from domain.household.alerts import AlertsChapter
from domain.household.appeals import AppealsChapter
from domain.household.corrections import CorrectionsChapter
from domain.household.elimination import EliminationChapter
from domain.household.evidence import EvidenceChapter
from domain.household.green_channel import GreenChannelChapter
from domain.household.help import HelpChapter
from domain.household.identification import IdentificationChapter
from domain.household.registration import RegistrationChapter
from domain.household.staff import StaffChapter
from domain.household.visits import VisitsChapter
from domain.replay import SnapshotOutdated


class Household(
    RegistrationChapter,
    AlertsChapter,
    IdentificationChapter,
    GreenChannelChapter,
    HelpChapter,
    VisitsChapter,
    EliminationChapter,
    CorrectionsChapter,
    AppealsChapter,
    StaffChapter,
    EvidenceChapter,
    Aggregate,
):
    """A registered rural household and its whole case file (户档案)."""

    TOPIC = "fangpin:Household"
    #: The shape of the state a snapshot holds. 2: a case's objections carry their outcomes;
    #: 3: the household keeps its 网格员 and 帮扶责任人; 4: the evidence attached to its facts;
    #: 5: a case keeps the objections to its elimination notice.
    class_version = 5

    Event = state.Event

    # registration and members
    Registered = registration.Registered
    MemberJoined = registration.MemberJoined
    MemberLeft = registration.MemberLeft
    MemberDetailsUpdated = registration.MemberDetailsUpdated
    # alerts
    AlertRaised = alerts.AlertRaised
    # identification (steps 2 and 3 serve risk elimination too)
    HouseholdVerified = identification.HouseholdVerified
    VillageDeliberationConcluded = steps.VillageDeliberationConcluded
    TownshipReviewCompleted = steps.TownshipReviewCompleted
    NoticePublished = steps.NoticePublished
    MonitoringObjectIncluded = identification.MonitoringObjectIncluded
    IdentificationRejected = identification.IdentificationRejected
    # green channel
    GreenChannelOpened = green_channel.GreenChannelOpened
    # help
    RiskAnalysed = help.RiskAnalysed
    MeasureAssigned = help.MeasureAssigned
    MeasurePutInPlace = help.MeasurePutInPlace
    MeasureEnded = help.MeasureEnded
    MedicalInsuranceSubsidised = help.MedicalInsuranceSubsidised
    ReliefInsurancePaid = help.ReliefInsurancePaid
    # visits and income
    VisitRecorded = visits.VisitRecorded
    IncomeAssessed = visits.IncomeAssessed
    # risk elimination
    EliminationVerified = elimination.EliminationVerified
    RiskEliminated = elimination.RiskEliminated
    EliminationRejected = elimination.EliminationRejected
    # corrections
    FactCorrected = corrections.FactCorrected
    # objections and appeals
    AppealLodged = appeals.AppealLodged
    AppealAnswered = appeals.AppealAnswered
    # people on the household (§七): 网格员 and 帮扶责任人
    GridWorkerAssigned = staff.GridWorkerAssigned
    GridWorkerChanged = staff.GridWorkerChanged
    GridWorkerEnded = staff.GridWorkerEnded
    HelperAssigned = staff.HelperAssigned
    HelperChanged = staff.HelperChanged
    HelperEnded = staff.HelperEnded
    HelperConfirmed = staff.HelperConfirmed
    # evidence (证据附件) attached to recorded facts
    EvidenceAttached = evidence.EvidenceAttached

    def __init__(self) -> None:
        """State is set by `Registered.apply_to`; use `Household.register`."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before objections had outcomes holds each case's as their texts."""
        for case in state.get("cases", ()):
            case["objections"] = steps.objections_from_v1(case.get("objections", []))

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """A snapshot taken before households had staff: nobody was assigned then."""
        state.setdefault("grid_workers", [])
        state.setdefault("helpers", [])

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """A snapshot taken before evidence could be attached: none was."""
        state.setdefault("evidence", [])

    @staticmethod
    def upcast_v4_v5(state: dict[str, Any]) -> None:
        """A snapshot taken before cases kept their elimination notice's objections: a case
        whose current elimination attempt has no concluded notice has none (a new attempt or an
        upheld appeal clears an earlier attempt's); one that has cannot say what they were, so
        the snapshot is not used (`SnapshotOutdated`: its events are replayed)."""
        for case in state.get("cases", ()):
            if (case.get("elimination") or {}).get("village_notice") is not None:
                raise SnapshotOutdated("快照早于风险消除公示异议的记录：从事件重放")
            case.setdefault("elimination_objections", [])


def household_event_classes() -> list[type[Household.Event]]:
    """Every concrete household event class (for projections and the mapper)."""
    return [
        value for value in vars(Household).values()
        if isinstance(value, type) and issubclass(value, Household.Event)
        and value is not Household.Event and value.TOPIC.startswith("fangpin:")
    ]
