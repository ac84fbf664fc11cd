"""The four steps (四步法) that identification and risk elimination both follow: household visit,
village deliberation and public notice, township review, county decision.

Steps 2 and 3 are the same for both procedures and record the same events, naming the procedure;
this module holds them and the rules of order every step meets.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from domain import rules
from domain.codes import Decision
from domain.errors import InvalidValue, RuleViolation
from domain.evidence import is_sha256
from domain.household.state import Event, HouseholdState, require_text
from domain.values import Actor, Case, Objection, Procedure, PublishedNotice, Step

#: Procedure step names, in order, with their Chinese names for messages.
STEP_NAMES = {
    "home_visit": "入户核查核实",
    "village_notice": "村级评议公示",
    "township_review": "乡镇核查初审",
    "county_decision": "县级比对审定",
}


class VillageDeliberationConcluded(Event):
    """Step 2, 村级评议公示: deliberation and public notice, with any objections; since version
    2, each objection with its outcome (成立 / 不成立) and why (those recorded before keep their
    text, with no outcome)."""

    TOPIC = "fangpin:Household.VillageDeliberationConcluded"
    class_version = 2
    case_number: int
    procedure: str
    decision: Decision
    notice_from: date
    notice_to: date
    objections: tuple[Objection, ...]
    reason: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["objections"] = objections_from_v1(state["objections"])

    def subject(self) -> str:
        return f"step:{self.case_number}:{self.procedure}:village_notice"

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        procedure_of(case, self.procedure).village_notice = Step(
            self.occurred_on, self.decision, self.reason
        )
        if self.procedure == "identification":
            case.objections = self.objections
        else:
            case.elimination_objections = self.objections


class NoticePublished(Event):
    """Step 2's public notice (村级评议公示, or the elimination notice) was produced by the system
    and posted: its period and the SHA-256 of exactly the page posted (`domain.notices`), so a
    photo of the village board can be matched to the record."""

    TOPIC = "fangpin:Household.NoticePublished"
    case_number: int
    procedure: str
    notice_from: date
    notice_to: date
    digest: str

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        procedure_of(case, self.procedure).notice = PublishedNotice(
            self.notice_from, self.notice_to, self.digest
        )


class TownshipReviewCompleted(Event):
    """Step 3, 乡镇核查初审."""

    TOPIC = "fangpin:Household.TownshipReviewCompleted"
    case_number: int
    procedure: str
    decision: Decision
    disqualifying_found: bool
    reason: str

    def subject(self) -> str:
        return f"step:{self.case_number}:{self.procedure}:township_review"

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        procedure_of(case, self.procedure).township_review = Step(
            self.occurred_on, self.decision, self.reason
        )
        if self.procedure == "identification":
            case.disqualifying_found = self.disqualifying_found


class FourSteps(HouseholdState):
    """What both procedures share: steps 2 and 3, and the order of the steps."""

    def _require_step_allowed(
        self, case: Case, procedure: Procedure, step: str, occurred_on: date
    ) -> None:
        """A step can't happen twice, after a rejection, before the step it needs, or earlier
        than the date of the step it follows."""
        name = STEP_NAMES[step]
        if procedure.rejected:
            ended_at = STEP_NAMES[_rejected_name(procedure)]
            raise RuleViolation("PROCEDURE_ENDED", f"程序已在“{ended_at}”环节终止", "case_number")
        if getattr(procedure, step) is not None:
            raise RuleViolation("STEP_DONE", f"“{name}”已完成，不能重复", "case_number")
        if step == "home_visit":
            earliest = case.opened_on
        elif step in ("village_notice", "township_review"):
            if procedure.home_visit is None:
                raise RuleViolation(
                    "STEP_OUT_OF_ORDER", f"须先完成“入户核查核实”，才能进行“{name}”", "case_number"
                )
            earliest = procedure.home_visit.occurred_on
        else:
            missing = [STEP_NAMES[s] for s in ("village_notice", "township_review")
                       if getattr(procedure, s) is None]
            if missing:
                raise RuleViolation(
                    "STEP_OUT_OF_ORDER", f"须先完成“{'”“'.join(missing)}”，才能进行“{name}”",
                    "case_number",
                )
            assert procedure.village_notice and procedure.township_review
            earliest = max(procedure.village_notice.occurred_on, procedure.township_review.occurred_on)
        if occurred_on < earliest:
            raise InvalidValue("DATE_ORDER", f"“{name}”的日期不能早于前一环节（{earliest}）", "occurred_on")

    def _village_step(
        self, case: Case, procedure_name: str, decision: Decision, notice_from: date,
        notice_to: date, objections: Sequence[Objection], reason: str,
        occurred_on: date, by: Actor, at: datetime, command_id: str,
    ) -> None:
        procedure = procedure_of(case, procedure_name)
        self._require_step_allowed(case, procedure, "village_notice", occurred_on)
        assert procedure.home_visit is not None
        if notice_from < procedure.home_visit.occurred_on:
            raise InvalidValue("DATE_ORDER", "公示开始日期不能早于入户核查日期", "notice_from")
        rules.require_notice_period(notice_from, notice_to)
        published = procedure.notice
        if published is not None and (notice_from, notice_to) != (
                published.notice_from, published.notice_to):
            raise InvalidValue(
                "NOTICE_DATES_DIFFER",
                f"本案已发布公示（{published.notice_from}至{published.notice_to}），"
                "评议公示的日期须与所发布的公示一致", "notice_from",
            )
        if notice_to > occurred_on:
            raise InvalidValue("DATE_ORDER", "公示期结束后才能得出评议公示结果", "notice_to")
        if decision is Decision.REJECTED:
            reason = require_text(reason, "reason", "评议不通过的理由")
        self._record(
            VillageDeliberationConcluded, occurred_on, by, at, command_id,
            case_number=case.number, procedure=procedure_name, decision=decision,
            notice_from=notice_from, notice_to=notice_to,
            objections=resolved_objections(objections), reason=reason,
        )

    def publish_notice(
        self, procedure_name: str, case_number: int, *, notice_from: date, notice_to: date,
        digest: str, by: Actor, at: datetime, command_id: str = "",
    ) -> bool:
        """Record that the case was posted on a public notice from ``notice_from`` to
        ``notice_to`` whose page has the SHA-256 ``digest``; the notice's first day is the day
        it happened. The same notice published again records nothing (False); a case already
        posted on another notice, or no longer awaiting step 2, is refused."""
        what = NOTICE_STEP_NAMES[procedure_name]
        case = awaiting_notice(self, procedure_name)
        if case is None or case.number != case_number:
            raise RuleViolation(
                "NOTICE_CASE_MOVED_ON",
                f"农户 {self.code} 第 {case_number} 号案件已不在待{what}环节（已评议、已终止或已办结）",
                "cases",
            )
        procedure = procedure_of(case, procedure_name)
        asked = PublishedNotice(notice_from, notice_to, digest)
        if procedure.notice == asked:
            return False
        if procedure.notice is not None:
            raise RuleViolation(
                "NOTICE_ALREADY_PUBLISHED",
                f"农户 {self.code} 已在 {procedure.notice.notice_from}至{procedure.notice.notice_to}"
                f" 的{what}中发布，不能再列入另一份公示", "cases",
            )
        if not is_sha256(digest):
            raise InvalidValue("DIGEST_INVALID", "公示摘要须为 64 位十六进制的 SHA-256", "digest")
        rules.require_notice_period(notice_from, notice_to)
        assert procedure.home_visit is not None
        if notice_from < procedure.home_visit.occurred_on:
            raise InvalidValue("DATE_ORDER", "公示开始日期不能早于入户核查日期", "notice_from")
        if notice_from > rules.local_date(at):
            raise InvalidValue(
                "DATE_IN_FUTURE", f"公示自 {notice_from} 起张贴，张贴后才能发布", "notice_from"
            )
        self._record(
            NoticePublished, notice_from, by, at, command_id, case_number=case.number,
            procedure=procedure_name, notice_from=notice_from, notice_to=notice_to, digest=digest,
        )
        return True

    def _township_step(
        self, case: Case, procedure_name: str, decision: Decision, disqualifying_found: bool,
        reason: str, occurred_on: date, by: Actor, at: datetime, command_id: str,
    ) -> None:
        procedure = procedure_of(case, procedure_name)
        self._require_step_allowed(case, procedure, "township_review", occurred_on)
        if decision is Decision.REJECTED:
            reason = require_text(reason, "reason", "初审不通过的理由")
        self._record(
            TownshipReviewCompleted, occurred_on, by, at, command_id,
            case_number=case.number, procedure=procedure_name, decision=decision,
            disqualifying_found=disqualifying_found, reason=reason,
        )


def resolved_objections(objections: Sequence[Objection]) -> tuple[Objection, ...]:
    """The objections a notice records: each with its content, its outcome (成立 / 不成立) and
    why; a blank entry (nothing typed) is left out. The fields are named as the request sends
    them, ``objections[i].outcome``."""
    kept = []
    for index, objection in enumerate(objections):
        content, reason = objection.content.strip(), objection.reason.strip()
        if not content and not reason and objection.outcome is None:
            continue
        field = f"objections[{index}]"
        content = require_text(content, f"{field}.content", "异议内容")
        if objection.outcome is None:
            raise InvalidValue(
                "OBJECTION_OUTCOME_REQUIRED", f"异议“{content}”须写明处理结果：成立或不成立",
                f"{field}.outcome",
            )
        reason = require_text(reason, f"{field}.reason", f"异议“{content}”{objection.outcome}的理由")
        kept.append(Objection(content, objection.outcome, reason))
    return tuple(kept)


def objections_from_v1(texts: list[str]) -> list[dict[str, Any]]:
    """Objections as stored before they had outcomes (their text alone), as stored since: with
    no outcome and no reason (nobody can say now whether they were upheld)."""
    return [{"content": text, "outcome": None, "reason": ""} for text in texts]


#: The public notice of each procedure's step 2, by the procedure's name.
NOTICE_STEP_NAMES = {"identification": "村级评议公示", "elimination": "风险消除公示"}


def awaiting_notice(household: HouseholdState, procedure_name: str) -> Case | None:
    """The household's case awaiting step 2 of the procedure — its household visit passed, its
    deliberation not yet concluded — if any: what a public notice lists (domain.md §13)."""
    case = household.active_case
    if case is None:
        return None
    if procedure_name == "identification":
        if case.included:
            return None
        procedure: Procedure | None = case.identification
    else:
        procedure = case.elimination if case.eliminating else None
    if procedure is None or procedure.rejected or procedure.home_visit is None:
        return None
    return case if procedure.village_notice is None else None


def procedure_of(case: Case, name: str) -> Procedure:
    """The case's identification or elimination procedure, by name."""
    if name == "identification":
        return case.identification
    assert case.elimination is not None
    return case.elimination


def step_window(case: Case, procedure: Procedure, step: str) -> tuple[date, date | None]:
    """The dates a step may carry: not before the step(s) it needs, not after the step(s)
    that followed it."""
    def day(name: str) -> date | None:
        taken = getattr(procedure, name)
        return taken.occurred_on if taken is not None else None

    first = day("home_visit") or case.opened_on
    earliest = {
        "home_visit": case.opened_on if procedure is case.identification else case.included_on,
        "village_notice": first,
        "township_review": first,
        "county_decision": max(d for d in (day("village_notice"), day("township_review"), first)
                               if d is not None),
    }[step]
    followers = {
        "home_visit": ("village_notice", "township_review", "county_decision"),
        "village_notice": ("county_decision",),
        "township_review": ("county_decision",),
        "county_decision": (),
    }[step]
    later = [d for d in (day(name) for name in followers) if d is not None]
    if step == "home_visit" and procedure is case.identification and case.green_channel:
        later.append(case.green_channel.studied_on)  # the green channel followed the visit
    return earliest or case.opened_on, min(later) if later else None


def _rejected_name(procedure: Procedure) -> str:
    for name in STEP_NAMES:
        step = getattr(procedure, name)
        if step is not None and step.decision is Decision.REJECTED:
            return name
    raise ValueError("procedure not rejected")
