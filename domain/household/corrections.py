"""Corrections (更正): a recorded fact is never edited; a correction names the event it corrects
(by version), the new values and why. The new values must meet the rules a new record would.

What may be corrected per kind of fact, and how new values are read, is `domain.corrections`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from domain import rules
from domain.codes import Relation, RiskType
from domain.corrections import CORRECTABLE
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.household.alerts import alert_keys
from domain.household.state import (
    Event,
    HouseholdState,
    apply_changes,
    checked_changes,
    require_text,
)
from domain.household.steps import STEP_NAMES, procedure_of, step_window
from domain.values import Actor, Alert, Correction


class FactCorrected(Event):
    """A correction: names the event it corrects (by version), the new values and why."""

    TOPIC = "fangpin:Household.FactCorrected"
    corrects_version: int
    corrects_subject: str
    changes: dict[str, Any]
    reason: str

    def apply_to(self, household: HouseholdState) -> None:
        kind = self.corrects_subject.split(":", 1)[0]
        record = subject_record(household, self.corrects_subject)
        if kind == "case" and "occurred_on" in self.changes:  # the inclusion date
            apply_changes(record.identification.county_decision, "step",
                          {"occurred_on": self.changes["occurred_on"]})
            changes = {k: v for k, v in self.changes.items() if k != "occurred_on"}
        else:
            changes = self.changes
        apply_changes(record, kind, changes)
        if isinstance(record, Alert):
            _follow_alert_correction(household, record)
        household.corrections.append(Correction(
            self.corrects_version, self.corrects_subject, dict(self.changes), self.reason,
            self.occurred_on,
        ))


class CorrectionsChapter(HouseholdState):
    """Correcting recorded facts."""

    def correct(
        self, corrects_version: int, changes: Mapping[str, Any], reason: str, *,
        member_id_number: str | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Correct a recorded fact. The event stays as it was; this records the new values.

        The corrected values must satisfy the rules a new record would: dates not after the
        recording day and in step order, at most five risk types, a disaster kind with
        因自然灾害, a category that fits. To correct a member registered with the household,
        name the registration (version 1) and the member's ID number.
        """
        reason = require_text(reason, "reason", "更正原因")
        subject = self.subjects.get(corrects_version)
        if subject is None:
            raise NotFound(
                "CORRECTION_TARGET",
                f"第 {corrects_version} 条记录不存在、不可更正或已被后续程序取代",
                "corrects_version",
            )
        if member_id_number is not None:
            member = self._current_member(member_id_number, "member_id_number")
            if subject != "household" or member.joined_on is not None:
                raise RuleViolation(
                    "CORRECTION_TARGET", "只有随农户登记的成员可通过登记记录更正", "member_id_number"
                )
            subject = f"member:{member.id_number}"
        kind = subject.split(":", 1)[0]
        stored = checked_changes(kind, changes, set(CORRECTABLE[kind]))
        self._check_correction(subject, stored, at)
        self._record(
            FactCorrected, occurred_on, by, at, command_id,
            corrects_version=corrects_version, corrects_subject=subject, changes=stored,
            reason=reason,
        )

    def subject_record(self, subject: str) -> Any:
        """The record a subject key names (household, member, alert, step, case, …)."""
        return subject_record(self, subject)

    def _check_correction(self, subject: str, stored: dict[str, Any], at: datetime) -> None:
        """Refuse corrected values that the rules would refuse in a new record."""
        kind = subject.split(":", 1)[0]
        new = {name: CORRECTABLE[kind][name](value, name) for name, value in stored.items()}
        for name, value in new.items():
            if isinstance(value, date) and value > rules.local_date(at):
                raise InvalidValue(
                    "DATE_IN_FUTURE", f"更正后的日期 {value} 晚于登记日期", f"changes.{name}"
                )
        record = self.subject_record(subject)
        if kind == "member" and "relation" in new:
            heads = sum(
                1 for m in self.current_members()
                if (new["relation"] if m is record else m.relation) is Relation.HEAD
            )
            if heads != 1:
                raise InvalidValue(
                    "HEAD_REQUIRED", "更正后本户须有且只有一名户主（与户主关系为“本人”）",
                    "changes.relation",
                )
        if kind == "case" and "category" in new:
            rules.require_category_fits(new["category"], self.household_type)
        if kind == "alert":
            kinds = new.get("risk_types", record.risk_types)
            disaster = new.get("disaster_kind", record.disaster_kind)
            if len(kinds) > rules.MAX_RISK_TYPES:
                raise InvalidValue(
                    "RISK_TYPES_TOO_MANY", f"返贫致贫风险类型最多{rules.MAX_RISK_TYPES}种",
                    "changes.risk_types",
                )
            if RiskType.NATURAL_DISASTER in kinds and disaster is None:
                raise InvalidValue(
                    "DISASTER_KIND_REQUIRED", "因自然灾害须填写灾害类型", "changes.disaster_kind"
                )
            case = self.cases[record.case_number - 1] if record.case_number else None
            visit = case.identification.home_visit if case else None
            if ("discovered_on" in new and case is not None and case.alert_ids[0] == record.alert_id
                    and visit is not None and new["discovered_on"] > visit.occurred_on):
                raise InvalidValue(
                    "DATE_ORDER", f"发现日期不能晚于入户核查日期（{visit.occurred_on}）",
                    "changes.discovered_on",
                )
        if kind == "measure":
            in_place_on = new.get("in_place_on", record.in_place_on)
            if "in_place_on" in new and record.in_place_on is None:
                raise RuleViolation(
                    "MEASURE_NOT_IN_PLACE", "措施尚未落实，不能更正落实日期", "changes.in_place_on"
                )
            if in_place_on is not None and in_place_on < new.get("started_on", record.started_on):
                raise InvalidValue("DATE_ORDER", "落实日期不能早于措施开始日期", "changes.started_on")
        if kind == "payout" and "amount" in new and record.ceiling is not None \
                and new["amount"] > record.ceiling:
            raise RuleViolation(
                "RELIEF_ABOVE_BAND",
                f"按赔付时施行的标准，该笔最多赔付 {record.ceiling} 元", "changes.amount",
            )
        if "occurred_on" in new and kind in ("step", "case"):
            number, procedure, step = (
                subject.split(":")[1:] if kind == "step"
                else (subject.split(":")[1], "identification", "county_decision")
            )
            case = self.cases[int(number) - 1]
            earliest, latest = step_window(case, procedure_of(case, procedure), step)
            day = new["occurred_on"]
            if day < earliest or (latest is not None and day > latest):
                window = f"{earliest} 至 {latest}" if latest else f"{earliest} 之后"
                raise InvalidValue(
                    "DATE_ORDER", f"“{STEP_NAMES[step]}”的日期须在 {window}", "changes.occurred_on"
                )


def subject_record(household: HouseholdState, subject: str) -> Any:
    """The record a subject key names (household, member, alert, step, case, …)."""
    kind, _, key = subject.partition(":")
    if kind == "household":
        return household
    if kind == "member":
        return household.members[key]
    if kind == "alert":
        return household.alerts[key]
    if kind == "measure":
        return household.measures[key]
    if kind == "payout":
        return household.payouts[key]
    if kind == "visit":
        return next(v for v in household.visits if v.visit_id == key)
    if kind == "assessment":
        return next(a for a in household.assessments if a.assessment_id == key)
    if kind == "case":
        return household.cases[int(key) - 1]
    if kind == "step":
        number, procedure, step = key.split(":")
        return getattr(procedure_of(household.cases[int(number) - 1], procedure), step)
    raise KeyError(subject)


def _follow_alert_correction(household: HouseholdState, alert: Alert) -> None:
    """A corrected alert corrects what its case took from it: the discovery date that
    starts the 15-day clock, and (before the county decided) the case's risk types; and
    the duplicate rule follows the corrected risk types."""
    household.alert_keys = {}
    for known in household.alerts.values():
        if known.duplicate_of is None:
            for key in alert_keys(known):
                household.alert_keys.setdefault(key, known.alert_id)
    if alert.case_number is None:
        return
    case = household.cases[alert.case_number - 1]
    if case.alert_ids[0] == alert.alert_id:
        case.opened_on = alert.discovered_on
    if not case.included:
        kinds: tuple[RiskType, ...] = ()
        for alert_id in case.alert_ids:
            kinds += household.alerts[alert_id].risk_types
        case.risk_types = tuple(dict.fromkeys(kinds))
