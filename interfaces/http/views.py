"""Case files and histories as the API shows them, with identity numbers masked by role."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import msgspec

from application.accounts.access import User
from application.app import HistoryEntry
from application.evidence import StoredFile
from domain.assignments import Assignment
from domain.household import STEP_NAMES, AlertOutcome, Household
from domain.identity import mask_id_number
from domain.income import IncomeAssessment
from domain.relief import ReliefBands
from domain.values import Alert, Case, Objection, Procedure
from interfaces.http.schemas import views as s
from interfaces.http.schemas.commands import AlertOutcomeOut, AssessmentOut, ReliefBandOut
from interfaces.http.schemas.evidence import AttachedBy, EvidenceFileOut, EvidenceOut
from interfaces.timeline import Timeline

#: What each event means, in the words of the notice.
EVENT_NAMES: dict[str, str] = {
    "Registered": "农户登记",
    "MemberJoined": "家庭成员增加",
    "MemberLeft": "家庭成员减少",
    "MemberDetailsUpdated": "成员情况变更",
    "AlertRaised": "收到预警信息",
    "HouseholdVerified": "入户核查核实",
    "VillageDeliberationConcluded": "村级评议公示",
    "TownshipReviewCompleted": "乡镇核查初审",
    "NoticePublished": "发布公示（公示期及所张贴页面的 SHA-256）",
    "MonitoringObjectIncluded": "县级比对审定：纳入监测对象",
    "IdentificationRejected": "认定不通过",
    "GreenChannelOpened": "开通绿色通道",
    "RiskAnalysed": "风险研判",
    "MeasureAssigned": "安排帮扶措施",
    "MeasurePutInPlace": "帮扶措施落实",
    "MeasureEnded": "帮扶措施结束",
    "MedicalInsuranceSubsidised": "医保参保资助",
    "ReliefInsurancePaid": "防贫保赔付",
    "VisitRecorded": "入户走访",
    "IncomeAssessed": "收入核算",
    "EliminationVerified": "风险消除入户核实",
    "RiskEliminated": "县级审定：风险消除",
    "EliminationRejected": "风险消除不通过",
    "FactCorrected": "更正已记录的事实",
    "AppealLodged": "提出申诉",
    "AppealAnswered": "答复申诉",
    "GridWorkerAssigned": "指定网格员",
    "GridWorkerChanged": "更换网格员",
    "GridWorkerEnded": "结束网格员负责",
    "HelperAssigned": "指定帮扶责任人",
    "HelperChanged": "更换帮扶责任人",
    "HelperEnded": "结束帮扶责任人负责",
    "HelperConfirmed": "确认帮扶责任人",
    "EvidenceAttached": "附上证据（照片、扫描件、PDF）",
    "Started": "收入监测标准启用",
    "IncomeLineSet": "设定收入监测标准",
    "PovertyLineSet": "设定扶贫标准",
    "ReliefBandsSet": "设定防贫保赔付标准",
}

ID_FIELDS = frozenset({
    "id_number", "person_id_number", "new_head_id_number", "beneficiary_id_number",
    "member_id_number",
})


def outcome_name(outcome: AlertOutcome) -> str:
    return outcome.name


def alert_out(outcome: AlertOutcome) -> AlertOutcomeOut:
    return AlertOutcomeOut(
        alert_id=outcome.alert_id, case_number=outcome.case_number,
        duplicate_of=outcome.duplicate_of, new_case=outcome.new_case,
        outcome=outcome_name(outcome),
    )


def relief_bands_out(bands: ReliefBands | None) -> list[ReliefBandOut]:
    """The bands of a schedule as the API shows them, each with its wording."""
    if bands is None:
        return []
    return [ReliefBandOut(cause=b.cause, cost_from=b.cost_from, cost_to=b.cost_to, rate=b.rate,
                          describe=b.describe()) for b in bands.bands]


def assessment_out(a: IncomeAssessment) -> AssessmentOut:
    return AssessmentOut(
        assessment_id=a.assessment_id, occurred_on=a.occurred_on, year=a.year,
        household_size=a.household_size, net_income=a.net_income, per_capita=a.per_capita,
        line_in_force=a.line_in_force, below_line=a.below_line,
    )


class Masker:
    """Shows identity numbers in full to the roles that need them, masked to the others."""

    def __init__(self, user: User) -> None:
        self.full = user.sees_id_numbers

    def __call__(self, id_number: str | None) -> Any:
        if id_number is None or self.full or not isinstance(id_number, str) or len(id_number) < 8:
            return id_number
        return mask_id_number(id_number)

    def text(self, value: str) -> str:
        """A free text (a description, notes, a reason) with any identity number in it masked."""
        return value if self.full else _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), value)

    def details(self, value: Any) -> Any:
        """Mask every identity number in a nested structure of builtins: in the fields that
        hold one, and wherever one appears inside a text (e.g. a correction's subject)."""
        if self.full:
            return value
        if isinstance(value, dict):
            return {k: (self(v) if k in ID_FIELDS and isinstance(v, str) else self.details(v))
                    for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.details(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


def case_file(household: Household, user: User, as_of: datetime | None = None,
              files: Mapping[str, StoredFile] | None = None) -> s.CaseFile:
    """The case file as ``user`` may see it; ``files``: what is kept of its evidence files
    (`CaseFiles.attachments().describe`), for their types and sizes."""
    mask = Masker(user)
    return s.CaseFile(
        household_id=household.id,
        code=household.code,
        township=household.township,
        village=household.village,
        address=household.address,
        household_type=household.household_type,
        lifted_out_year=household.lifted_out_year,
        version=household.version,
        monitoring_object=household.is_monitoring_object,
        category=household.category,
        members=[
            s.MemberOut(
                name=m.name, id_number=mask(m.id_number), relation=m.relation, sex=m.sex,
                # the birth date is digits 7-14 of the number: a masked role gets the year only
                birth_date=m.birth_date if mask.full else None,
                birth_year=m.birth_date.year, health=m.health, labour_capacity=m.labour_capacity,
                in_school=m.in_school, insured=m.insured, current=m.left_on is None,
                joined_on=m.joined_on, join_reason=m.join_reason, left_on=m.left_on,
                leave_reason=m.leave_reason,
            )
            for m in household.members.values()
        ],
        alerts=[_alert_out(alert, mask) for alert in household.alerts.values()],
        cases=[_case_out(case, mask) for case in household.cases],
        measures=[
            s.MeasureOut(
                measure_id=m.measure_id, case_number=m.case_number, measure_type=m.measure_type,
                department=m.department, responsible_person=m.responsible_person,
                status=m.status, amount=m.amount, started_on=m.started_on,
                in_place_on=m.in_place_on, ended_on=m.ended_on, end_reason=mask.text(m.end_reason),
                follow_up=m.follow_up, reason=mask.text(m.reason),
            )
            for m in household.measures.values()
        ],
        visits=[
            s.VisitOut(
                visit_id=v.visit_id, occurred_on=v.occurred_on, visitor=v.visitor,
                failed_checks=list(v.failed_checks), income_change=v.income_change,
                spending_change=v.spending_change, notes=mask.text(v.notes),
                per_capita_income=v.per_capita_income, line_in_force=v.line_in_force,
            )
            for v in household.visits
        ],
        assessments=[assessment_out(a) for a in household.assessments],
        risk_analyses=[
            s.RiskAnalysisOut(case_number=a.case_number, occurred_on=a.occurred_on,
                              causes=list(a.causes), labour_capacity=a.labour_capacity,
                              needs=list(a.needs), notes=mask.text(a.notes),
                              reason=mask.text(a.reason))
            for a in household.analyses
        ],
        medical_subsidies=[
            s.SubsidyOut(id_number=mask(key.rsplit(":", 1)[0]), year=int(key.rsplit(":", 1)[1]),
                         amount=amount)
            for key, amount in household.subsidies.items()
        ],
        relief_payouts=[
            s.PayoutOut(payout_id=p.payout_id, case_number=p.case_number,
                        occurred_on=p.occurred_on, cause=p.cause, amount=p.amount,
                        beneficiary_id_number=mask(p.beneficiary_id_number),
                        out_of_pocket=p.out_of_pocket, insurer=p.insurer,
                        basic_living_in_difficulty=p.basic_living_in_difficulty,
                        bands_from=p.bands_from, ceiling=p.ceiling)
            for p in household.payouts.values()
        ],
        grid_workers=[_assignment_out(a) for a in household.grid_workers],
        helpers=[_assignment_out(a) for a in household.helpers],
        evidence=evidence_out(household, files or {}, mask),
        as_of=as_of,
    )


def evidence_out(household: Household, files: Mapping[str, StoredFile],
                 mask: Masker) -> list[EvidenceOut]:
    """The evidence of the case file, each file with the API's address to read it."""
    base = f"/api/households/{quote(household.code)}/attachments"
    out = []
    for evidence in household.evidence:
        shown = []
        for digest in evidence.attachments:
            kept = files.get(digest)
            shown.append(EvidenceFileOut(
                sha256=digest, media_type=kept.media_type if kept else None,
                size=kept.size if kept else None, url=f"{base}/{digest}",
                thumbnail_url=f"{base}/{digest}/thumbnail" if kept and kept.has_thumbnail else None))
        out.append(EvidenceOut(
            fact=mask.text(evidence.fact), fact_label=mask.text(evidence.fact_label),
            note=mask.text(evidence.note), occurred_on=evidence.occurred_on,
            attached_by=AttachedBy(user=evidence.attached_by.user_id, role=evidence.attached_by.role),
            files=shown))
    return out


def _assignment_out(a: Assignment) -> s.AssignmentOut:
    return s.AssignmentOut(name=a.name, phone=a.phone, unit=a.unit, assigned_on=a.assigned_on,
                           reason=a.reason, ended_on=a.ended_on, end_reason=a.end_reason,
                           current=a.ended_on is None)


def _alert_out(alert: Alert, mask: Masker) -> s.AlertOut:
    """The alert as it is, with the person's ID number (and any in its description) masked."""
    shown = {name: getattr(alert, name) for name in s.AlertOut.__struct_fields__}
    shown.update(person_id_number=mask(alert.person_id_number),
                 description=mask.text(alert.description))
    return s.AlertOut(**shown)


def _steps(procedure: Procedure | None, mask: Masker) -> list[s.StepOut]:
    if procedure is None:
        return []
    names = ("home_visit", "village_notice", "township_review", "county_decision")
    return [
        s.StepOut(step=STEP_NAMES[name], occurred_on=step.occurred_on, decision=step.decision,
                  reason=mask.text(step.reason))
        for name, step in zip(names, procedure.steps, strict=True) if step is not None
    ]


def _objections(objections: Iterable[Objection], mask: Masker) -> list[s.ObjectionOut]:
    return [s.ObjectionOut(content=mask.text(o.content), outcome=o.outcome,
                           reason=mask.text(o.reason)) for o in objections]


def _case_out(case: Case, mask: Masker) -> s.CaseOut:
    return s.CaseOut(
        number=case.number, stage=case.stage, opened_on=case.opened_on,
        deadline_on=case.identification_deadline,
        risk_types=list(case.risk_types), alert_ids=list(case.alert_ids), re_entry=case.re_entry,
        category=case.category, included_on=case.included_on,
        days_to_inclusion=case.days_to_inclusion, closed_on=case.closed_on,
        eliminated_on=case.eliminated_on, green_channel=case.green_channel is not None,
        owed_steps=[STEP_NAMES[n] for n in case.steps_owed_after_green_channel],
        identification=_steps(case.identification, mask),
        elimination=_steps(case.elimination, mask),
        elimination_mode=case.elimination_mode,
        objections=_objections(case.objections, mask),
        elimination_objections=_objections(case.elimination_objections, mask),
        appeals=[s.AppealOut(
            appeal_id=a.appeal_id, against=a.against, lodged_on=a.lodged_on, appellant=a.appellant,
            by_household=a.by_household, content=mask.text(a.content), deciding_role=a.deciding_role,
            due_on=a.due_on, answered_on=a.answered_on, outcome=a.outcome, reason=mask.text(a.reason),
            new_category=a.new_category) for a in case.appeals],
    )


def history_entries(entries: Iterable[HistoryEntry], mask: Masker) -> list[s.HistoryEntryOut]:
    """A household's history as the API shows it, each entry with its sentence (read in order:
    a sentence names people by the names recorded before it)."""
    timeline = Timeline(mask)
    return [history_entry(entry, mask, timeline) for entry in entries]


def history_entry(entry: HistoryEntry, mask: Masker, timeline: Timeline | None = None) -> s.HistoryEntryOut:
    details = mask.details(msgspec.to_builtins(entry.details))
    by = entry.recorded_by
    return s.HistoryEntryOut(
        sentence=(timeline or Timeline(mask)).sentence(entry, details),
        version=entry.version,
        event=entry.event,
        what=EVENT_NAMES.get(entry.event, entry.event),
        occurred_on=entry.occurred_on,
        recorded_at=entry.recorded_at,
        recorded_by=s.RecordedBy(user=by.user_id, role=by.role) if by else None,
        details=details,
    )
