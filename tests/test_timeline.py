"""The case timeline in sentences (interfaces/timeline.py): every household event is said as a
sentence a county official reads — its day, who, and what was recorded — with ID numbers as the
reader's role may see them. No database: the demo's events and a few built by hand."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from application.accounts.access import User
from application.app import HistoryEntry
from application.demo import generate_county
from domain.codes import AppealSubject, Category, ObjectionOutcome, Role
from domain.household import Household, household_event_classes
from domain.values import Actor
from interfaces.http.views import Masker
from interfaces.timeline import SENTENCES, Timeline

COUNTY = Actor("county-centre-01", Role.COUNTY_CENTRE)
VILLAGE_READER = User("grid-01", Role.VILLAGE_LIAISON, township="银坊镇", village="银坊村")
COUNTY_READER = User("county-centre-01", Role.COUNTY_CENTRE)
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


def entry(event: Any) -> HistoryEntry:
    """The history entry of an event, as `CaseFiles.history` gives it."""
    skip = {"originator_id", "originator_version", "timestamp", "occurred_on", "recorded_by",
            "command_id", "originator_topic"}
    state = vars(event)
    return HistoryEntry(event.originator_version, type(event).__name__, state.get("occurred_on"),
                        event.timestamp, state.get("recorded_by"), state.get("command_id", ""),
                        {k: v for k, v in state.items() if k not in skip})


def _made(cls: type, **fields: Any) -> Any:
    return cls(originator_id=uuid4(), originator_version=9, timestamp=datetime(2025, 6, 1, tzinfo=UTC),
               occurred_on=date(2025, 6, 1), recorded_by=COUNTY, command_id="", **fields)


#: Events the demo county may not record, built by hand.
BY_HAND = [
    _made(Household.AppealLodged, case_number=1, appeal_id="SS-1", against=AppealSubject.ELIMINATION,
          appellant="张三", by_household=True, content="收入还不稳定", deciding_role=Role.COUNTY_CENTRE,
          answer_by=None),
    _made(Household.AppealAnswered, case_number=1, appeal_id="SS-1", outcome=ObjectionOutcome.UPHELD,
          reason="复核属实", new_category=Category.EDGE_OF_POVERTY),
    _made(Household.EliminationRejected, case_number=1, reason="收入尚不稳定"),
    _made(Household.Created, originator_topic="fangpin:Household"),
    _made(Household.GridWorkerAssigned, name="王立新", phone="13812345678"),
    _made(Household.HelperConfirmed, case_number=1, name="王帮扶"),
    _made(Household.GridWorkerChanged, name="李红", phone="13912345678", reason="网格调整"),
    _made(Household.GridWorkerEnded, reason="合并网格"),
    _made(Household.HelperAssigned, name="赵强", unit="县医保局", phone="0312-1234567"),
    _made(Household.HelperChanged, name="钱敏", unit="县人社局", phone="0312-7654321", reason="工作调动"),
    _made(Household.HelperEnded, reason="风险已消除"),
    _made(Household.NoticePublished, case_number=1, procedure="identification",
          notice_from=date(2025, 6, 2), notice_to=date(2025, 6, 7), digest="ab" * 32),
    _made(Household.EvidenceAttached, fact="step:1:identification:home_visit",
          attachments=("ab" * 32, "cd" * 32), note="入户照片与住院发票"),
]


@pytest.fixture(scope="module")
def histories() -> list[list[HistoryEntry]]:
    """The histories of 300 demo households, and one of the events built by hand."""
    found = [[entry(e) for e in household.collect_events()]
             for household in generate_county(300, seed=2025)]
    return [*found, [entry(e) for e in BY_HAND]]


def test_every_household_event_has_its_sentence() -> None:
    """A new event class without a sentence fails here: add it to `SENTENCES`."""
    missing = {cls.__name__ for cls in household_event_classes()} - set(SENTENCES)
    assert not missing, f"no sentence for {sorted(missing)}: add one to interfaces/timeline.py"


def test_every_kind_of_event_reads_as_a_sentence_of_words(histories: list[list[HistoryEntry]]) -> None:
    """Each kind: day first, then words — no braces, no Python values, no English event name."""
    said: dict[str, str] = {}
    for history in histories:
        timeline = Timeline(Masker(COUNTY_READER))
        for e in history:
            text = timeline.sentence(e)
            said.setdefault(e.event, text)
            assert re.match(r"\d{4}-\d{2}-\d{2} \S", text), text
            for raw in ("{", "}", "None", "True", "False", "[", "'", e.event):
                assert raw not in text, (raw, text)
    kinds = {cls.__name__ for cls in household_event_classes()}
    assert kinds <= set(said), f"no sample of {sorted(kinds - set(said))}: add one to BY_HAND"


def _first(histories: list[list[HistoryEntry]], event: str, where: Any = lambda e: True
           ) -> tuple[str, list[HistoryEntry]]:
    for history in histories:
        timeline = Timeline(Masker(COUNTY_READER))
        for e in history:
            text = timeline.sentence(e)
            if e.event == event and where(e):
                return text, history
    raise AssertionError(f"no {event} in the sample")


def test_a_visit_says_the_visitor_the_checks_and_the_income(histories: list[list[HistoryEntry]]) -> None:
    text, _ = _first(histories, "VisitRecorded",
                     lambda e: all(e.details["checks"].values()) and e.details["income_change"] > 0)
    visit = r"\d{4}-\d{2}-\d{2} 网格员\S+入户走访：六项核实全部通过，收入增加\d+(\.\d+)?元.*"
    assert re.fullmatch(visit, text), text
    text, _ = _first(histories, "VisitRecorded", lambda e: not all(e.details["checks"].values()))
    assert "未通过" in text and "全部通过" not in text


def test_the_county_decision_says_inclusion_category_and_how(histories: list[list[HistoryEntry]]) -> None:
    text, _ = _first(histories, "MonitoringObjectIncluded", lambda e: e.details["simplified"])
    assert re.match(r"\d{4}-\d{2}-\d{2} 县防贫中心审定：纳入监测，(边缘易致贫户|脱贫不稳定户|突发严重困难户)"
                    r"（简化审定）", text), text


def test_people_are_named_by_the_name_their_household_recorded(
        histories: list[list[HistoryEntry]]) -> None:
    text, history = _first(histories, "MedicalInsuranceSubsidised")
    subsidy = next(e for e in history if e.event == "MedicalInsuranceSubsidised")
    members = {m.id_number: m.name for e in history if e.event == "Registered"
               for m in e.details["members"]}
    members.update({e.details["member"].id_number: e.details["member"].name
                    for e in history if e.event == "MemberJoined"})
    assert f"资助{members[subsidy.details['id_number']]}参加" in text
    put_in_place, history = _first(histories, "MeasurePutInPlace")
    measure = next(e for e in history if e.event == "MeasurePutInPlace").details["measure_id"]
    kind = next(e.details["measure_type"] for e in history if e.event == "MeasureAssigned"
                and e.details["measure_id"] == measure)
    assert f"帮扶措施落实：{kind}（{measure}）" in put_in_place, put_in_place


def test_an_id_number_shows_only_as_the_readers_role_may_see_it() -> None:
    """A person the history never named shows by ID number: in full to the county centre,
    masked to a village worker (as the history's details are)."""
    stranger = "130630198001010011"
    alert = _made(Household.AlertRaised, alert_id="A1", channel="部门筛查预警",
                  person_id_number=stranger, risk_types=("因病",), period="2025-06",
                  description=f"{stranger} 住院", department="医保局", tier="county", batch_id="B1",
                  disaster_kind=None, problems=(), duplicate_of=None, opens_case=True,
                  target_group=None, amount=None, sudden_hardship=None)
    county = Timeline(Masker(COUNTY_READER)).sentence(entry(alert))
    village = Timeline(Masker(VILLAGE_READER)).sentence(entry(alert))
    assert stranger in county and county.startswith("2025-06-01 医保局")
    assert not FULL_ID.search(village), village
    assert "1306**********0011" in village


def test_a_village_reader_sees_no_full_id_number_in_any_sentence(
        histories: list[list[HistoryEntry]]) -> None:
    for history in histories[:100]:
        timeline = Timeline(Masker(VILLAGE_READER))
        for e in history:
            text = timeline.sentence(e)
            assert not FULL_ID.search(text), text


def test_amounts_read_as_yuan_without_needless_decimals() -> None:
    paid = _made(Household.MedicalInsuranceSubsidised, id_number="130630198001010011", year=2025,
                 amount=Decimal("380.00"))
    assert Timeline(Masker(COUNTY_READER)).sentence(entry(paid)).endswith("资助380元")
