"""Self-reports (农户自主申报, domain.md §5 channel 1): what a person states on the public page,
held for the township to verify — never an alert on a household by itself.

A township's reports are one aggregate (`self_reports_id`): the workstation reads and answers
them together, and they come a few a day. Verifying one as true raises a channel-1 alert on the
household the person belongs to, discovered on the day of the report (the 15-day clock runs
from it); otherwise the township says why not. Either way the report is answered once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.governance import RecordedEvent
from domain.identity import validate_id_number, validate_phone
from domain.rules import local_date
from domain.text import check_text
from domain.values import Actor

#: What a person may type on the public page, at most.
MAX_NAME, MAX_PLACE, MAX_STORY = 30, 40, 500


class Answer(StrEnum):
    """How the township answered a self-report."""

    TRUE = "属实，转为预警"
    NOT_TRUE = "不属实"
    REPEATED = "重复申报"
    NOT_HERE = "非本乡镇人员"


def self_reports_id(township: str) -> UUID:
    """The aggregate holding a township's self-reports."""
    return uuid5(NAMESPACE_URL, f"https://fangpin.example/self-reports/{township}")


def _stated(value: str, field: str, label: str, limit: int) -> str:
    """Text a person had to state: not empty, not too long, no control characters."""
    text = check_text(value if isinstance(value, str) else "", field).strip()
    if not text:
        raise InvalidValue("REQUIRED", f"{label}不能为空", field)
    if len(text) > limit:
        raise InvalidValue("TEXT_TOO_LONG", f"{label}最多{limit}个字", field)
    return text


@dataclass
class SelfReport:
    """One self-report and, once given, the township's answer."""

    report_id: str
    name: str
    person_id_number: str
    phone: str
    township: str
    village: str
    story: str
    reported_on: date
    reported_at: datetime
    answer: Answer | None = None
    answered_on: date | None = None
    household_code: str | None = None  # TRUE: where the alert was raised
    reason: str = ""
    answered_by: str | None = None

    @property
    def held(self) -> bool:
        return self.answer is None


class SelfReports(Aggregate):
    """A township's self-reports (自主申报), held until answered."""

    TOPIC = "fangpin:SelfReports"

    township: str
    reports: dict[str, SelfReport]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:SelfReports.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:SelfReports.Started"
        township: str

        def apply_to(self, held: SelfReports) -> None:
            held.township = self.township
            held.reports = {}
            held.command_ids = {}

    class Reported(Event):
        """A person reported a hardship on the public page; occurred_on is the day reported."""

        TOPIC = "fangpin:SelfReports.Reported"
        report_id: str
        name: str
        person_id_number: str
        phone: str
        village: str
        story: str

        def apply_to(self, held: SelfReports) -> None:
            held.reports[self.report_id] = SelfReport(
                self.report_id, self.name, self.person_id_number, self.phone, held.township,
                self.village, self.story, self.occurred_on, self.timestamp)

    class Answered(Event):
        """The township answered the report: true (the alert raised on ``household_code``) or
        not, with the reason."""

        TOPIC = "fangpin:SelfReports.Answered"
        report_id: str
        answer: Answer
        household_code: str | None
        reason: str

        def apply_to(self, held: SelfReports) -> None:
            report = held.reports[self.report_id]
            report.answer = self.answer
            report.answered_on = self.occurred_on
            report.household_code = self.household_code
            report.reason = self.reason
            report.answered_by = self.recorded_by.user_id

    def __init__(self) -> None:
        """State is set by `Started.apply_to`; use `SelfReports.start`."""

    @classmethod
    def start(cls, township: str, *, at: datetime, by: Actor) -> SelfReports:
        return cls._create(cls.Started, id=self_reports_id(township), timestamp=at,
                           occurred_on=local_date(at), recorded_by=by, command_id="",
                           township=township)

    def report(self, *, report_id: str, name: str, person_id_number: str, phone: str,
               village: str, story: str, by: Actor, at: datetime, command_id: str = "") -> None:
        """Hold what a person reported; every field is checked, none looked up in the registry."""
        fields = {
            "name": _stated(name, "name", "姓名", MAX_NAME),
            "person_id_number": validate_id_number(person_id_number, "person_id_number"),
            "phone": validate_phone(phone, "phone"),
            "village": _stated(village, "village", "所在村", MAX_PLACE),
            "story": _stated(story, "story", "遇到的困难", MAX_STORY),
        }
        self.trigger_event(self.Reported, timestamp=at, occurred_on=local_date(at), recorded_by=by,
                           command_id=command_id, report_id=report_id, **fields)

    def answer(self, report_id: str, answer: Answer, *, household_code: str | None, reason: str,
               by: Actor, at: datetime, command_id: str = "") -> SelfReport:
        """Answer a held report (the caller raises the alert when it is true)."""
        report = self.reports.get(report_id)
        if report is None:
            raise NotFound("SELF_REPORT_NOT_FOUND", f"没有编号为 {report_id} 的自主申报", "report_id")
        if not report.held:
            raise RuleViolation("SELF_REPORT_ANSWERED",
                                f"该申报已于 {report.answered_on} 答复：{report.answer}", "report_id")
        if not isinstance(answer, Answer):
            raise InvalidValue("CODE_UNKNOWN", f"核实结论不在代码表中：{answer}", "answer")
        if answer is Answer.TRUE:
            if not household_code:
                raise InvalidValue("HOUSEHOLD_REQUIRED", "属实的申报须注明申报人所在农户的户编号",
                                   "household_code")
        else:
            household_code = None
            reason = _stated(reason, "reason", "不属实等的理由", MAX_STORY)
        self.trigger_event(self.Answered, timestamp=at, occurred_on=local_date(at), recorded_by=by,
                           command_id=command_id, report_id=report_id, answer=answer,
                           household_code=household_code, reason=reason or "")
        return report

    def held_reports(self) -> list[SelfReport]:
        """The reports still waiting for an answer, oldest first."""
        return sorted((r for r in self.reports.values() if r.held), key=lambda r: r.reported_at)
