"""Help (帮扶): risk analysis (研判), help measures from planned to in place to ended, the
resident medical-insurance subsidy (医保参保资助) and 防贫保 relief payouts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain import rules
from domain.codes import (
    Department,
    HouseholdType,
    LabourCapacity,
    MeasureStatus,
    MeasureType,
    RiskType,
)
from domain.deadlines import measure_deadline
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.household.state import Event, HouseholdState, require_amount, require_text
from domain.relief import ReliefBands
from domain.values import Actor, Case, Measure, ReliefPayout, RiskAnalysis


class RiskAnalysed(Event):
    """研判: causes, labour capacity and needs. A later analysis of the same case (a changed
    need) says why (``reason``, since version 2; "" on analyses recorded before)."""

    TOPIC = "fangpin:Household.RiskAnalysed"
    class_version = 2
    case_number: int
    causes: tuple[RiskType, ...]
    labour_capacity: LabourCapacity
    needs: tuple[MeasureType, ...]
    notes: str
    reason: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = ""

    def apply_to(self, household: HouseholdState) -> None:
        household.analyses.append(RiskAnalysis(
            self.case_number, self.occurred_on, self.causes, self.labour_capacity,
            self.needs, self.notes, self.reason,
        ))


class MeasureAssigned(Event):
    """A help measure assigned (planned): for the case under help, or — for a 脱贫户 that is
    not a monitoring object — a follow-up measure of no case (四个不摘, ``case_number`` None).
    Since version 2 it carries the ``reason`` given for it ("" on measures recorded before)."""

    TOPIC = "fangpin:Household.MeasureAssigned"
    class_version = 2
    measure_id: str
    case_number: int | None
    measure_type: MeasureType
    department: Department
    responsible_person: str
    amount: Decimal | None
    reason: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = ""

    def subject(self) -> str:
        return f"measure:{self.measure_id}"

    def apply_to(self, household: HouseholdState) -> None:
        household.measures[self.measure_id] = Measure(
            measure_id=self.measure_id,
            case_number=self.case_number,
            measure_type=self.measure_type,
            department=self.department,
            responsible_person=self.responsible_person,
            started_on=self.occurred_on,
            amount=self.amount,
            reason=self.reason,
        )


class MeasurePutInPlace(Event):
    TOPIC = "fangpin:Household.MeasurePutInPlace"
    measure_id: str

    def subject(self) -> str:
        return f"measure:{self.measure_id}"

    def apply_to(self, household: HouseholdState) -> None:
        measure = household.measures[self.measure_id]
        measure.status = MeasureStatus.IN_PLACE
        measure.in_place_on = self.occurred_on


class MeasureEnded(Event):
    TOPIC = "fangpin:Household.MeasureEnded"
    measure_id: str
    reason: str

    def apply_to(self, household: HouseholdState) -> None:
        measure = household.measures[self.measure_id]
        measure.status = MeasureStatus.ENDED
        measure.ended_on = self.occurred_on
        measure.end_reason = self.reason


class MedicalInsuranceSubsidised(Event):
    """医保参保资助 for one member for one year."""

    TOPIC = "fangpin:Household.MedicalInsuranceSubsidised"
    id_number: str
    year: int
    amount: Decimal

    def apply_to(self, household: HouseholdState) -> None:
        household.subsidies[f"{self.id_number}:{self.year}"] = self.amount


class ReliefInsurancePaid(Event):
    """防贫保 payout for a sudden hardship among the case's risks; no fee is ever charged.

    Since version 2 it states the out-of-pocket cost, the insurer (经办机构), the finding that
    basic living is in difficulty, and the bands it was judged by (in force from
    ``bands_from``: at most ``ceiling`` for that cost). A payout recorded before (version 1)
    stated none of these: they read as not recorded (None / ""), never as a finding.
    """

    TOPIC = "fangpin:Household.ReliefInsurancePaid"
    class_version = 2
    payout_id: str
    case_number: int
    cause: RiskType
    amount: Decimal
    beneficiary_id_number: str | None
    out_of_pocket: Decimal | None
    insurer: str
    basic_living_in_difficulty: bool | None
    bands_from: date | None
    ceiling: Decimal | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.update(out_of_pocket=None, insurer="", basic_living_in_difficulty=None,
                     bands_from=None, ceiling=None)

    def subject(self) -> str:
        return f"payout:{self.payout_id}"

    def apply_to(self, household: HouseholdState) -> None:
        household.payouts[self.payout_id] = ReliefPayout(
            self.payout_id, self.case_number, self.occurred_on, self.cause, self.amount,
            self.beneficiary_id_number, self.out_of_pocket, self.insurer,
            self.basic_living_in_difficulty, self.bands_from, self.ceiling,
        )


class HelpChapter(HouseholdState):
    """Analysing the risk and helping: measures, 医保 subsidy, 防贫保."""

    def analyse_risk(
        self, *, causes: Sequence[RiskType], labour_capacity: LabourCapacity,
        needs: Sequence[MeasureType], notes: str = "", reason: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Analyse the risk of the case under help: causes, labour capacity, needs (缺什么补什么).
        The case's needs are those of its latest analysis: analysing it again (a changed need)
        needs a reason."""
        case = self._helpable_case("causes")
        if not causes:
            raise InvalidValue("CAUSES_REQUIRED", "须填写风险原因", "causes")
        if not needs:
            raise InvalidValue("NEEDS_REQUIRED", "须填写帮扶需求", "needs")
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason and any(a.case_number == case.number for a in self.analyses):
            raise InvalidValue(
                "REASON_REQUIRED", "本案已有风险研判；重新研判（需求变化）须说明原因", "reason"
            )
        self._record(
            RiskAnalysed, occurred_on, by, at, command_id,
            case_number=case.number, causes=tuple(dict.fromkeys(causes)),
            labour_capacity=labour_capacity, needs=tuple(dict.fromkeys(needs)), notes=notes,
            reason=reason,
        )

    def assign_measure(
        self, *, measure_id: str, measure_type: MeasureType, department: Department,
        responsible_person: str, amount: Decimal | None = None, reason: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Assign a help measure (planned); ``occurred_on`` is its start.

        For the case under help the measure answers a need (缺什么补什么): the case's latest
        analysis up to that day must list its type, and 综合保障 (兜底) where that analysis
        found the household able to work needs a documented ``reason``. A 脱贫户 that is not a
        monitoring object gets a follow-up measure of no case (四个不摘), counted apart.
        """
        case = self.active_case
        if case is not None and case.helpable:
            case_number: int | None = case.number
            self._require_a_need(case, measure_type, reason, occurred_on)
        elif self.household_type is HouseholdType.LIFTED_OUT:
            case_number = None  # 持续跟踪帮扶政策落实情况
        else:
            raise RuleViolation(
                "NOT_UNDER_HELP",
                "只有监测对象（或已开启绿色通道的案件）才能安排帮扶措施；脱贫户可安排持续跟踪帮扶措施",
                "measure_type",
            )
        measure_id = require_text(measure_id, "measure_id", "措施编号")
        if measure_id in self.measures:
            raise RuleViolation("MEASURE_ID_TAKEN", f"措施编号已存在：{measure_id}", "measure_id")
        person = require_text(responsible_person, "responsible_person", "责任人")
        if amount is not None:
            require_amount(amount, "amount", "帮扶金额")
        self._record(
            MeasureAssigned, occurred_on, by, at, command_id,
            measure_id=measure_id, case_number=case_number, measure_type=measure_type,
            department=department, responsible_person=person, amount=amount,
            reason=reason.strip() if isinstance(reason, str) else "",
        )

    def _require_a_need(
        self, case: Case, measure_type: MeasureType, reason: str, on: date
    ) -> None:
        """缺什么补什么: refused without an analysis of the case by ``on``, for a type not among
        its needs, or for 兜底 where it found the household able to work and no reason is given."""
        analysis = self.latest_analysis(case.number, on)
        if analysis is None:
            raise RuleViolation(
                "ANALYSIS_REQUIRED", f"第 {case.number} 号案件在 {on} 前没有风险研判：须先研判，缺什么补什么",
                "measure_type",
            )
        if measure_type not in analysis.needs:
            raise RuleViolation(
                "MEASURE_NOT_A_NEED",
                f"“{measure_type}”不在 {analysis.occurred_on} 研判的帮扶需求（{'、'.join(analysis.needs)}）"
                "之中；需求变化须重新研判并说明原因",
                "measure_type",
            )
        documented = isinstance(reason, str) and bool(reason.strip())
        if measure_type is MeasureType.SOCIAL_SECURITY and not documented \
                and analysis.labour_capacity not in rules.PROTECTION_CAPACITIES:
            raise InvalidValue(
                "PROTECTION_NEEDS_REASON",
                f"研判认定劳动能力为“{analysis.labour_capacity}”，安排综合保障（兜底）须写明依据；"
                "有劳动能力的应以开发式帮扶为主",
                "reason",
            )

    def needs_met(self, case: Case, *, by_deadline: bool = True,
                  ) -> tuple[tuple[MeasureType, ...], date | None]:
        """缺什么补什么 for an included case: the needs of its analysis in force on its measure
        deadline (``by_deadline``, as 帮扶措施落实率 judges; else its latest analysis, as the
        lists and the next step read it; a case first analysed late is judged by that late
        analysis), and the day by which each had a measure of its type in place (None: one has
        none yet, or there is no analysis)."""
        latest = self.latest_analysis(case.number, date.max)
        if not by_deadline:
            analysis = latest  # also a green-channel case helped before its inclusion
        elif case.included_on is None:
            return (), None
        else:
            analysis = self.latest_analysis(case.number, measure_deadline(case.included_on)) or latest
        if analysis is None:
            return (), None
        met = []
        for need in analysis.needs:
            days = [m.in_place_on for m in self.measures.values()
                    if m.case_number == case.number and m.measure_type is need and m.in_place_on
                    and m.status in (MeasureStatus.IN_PLACE, MeasureStatus.ENDED)]
            if not days:
                return analysis.needs, None
            met.append(min(days))
        return analysis.needs, max(met)

    def latest_analysis(self, case_number: int, on: date) -> RiskAnalysis | None:
        """The case's analysis latest in date up to ``on`` (of several that day, the last
        recorded): its needs are what measures answer."""
        latest = None
        for analysis in self.analyses:
            if analysis.case_number == case_number and analysis.occurred_on <= on and (
                    latest is None or analysis.occurred_on >= latest.occurred_on):
                latest = analysis
        return latest

    def put_measure_in_place(
        self, measure_id: str, *, occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A planned measure is now in place (落实)."""
        measure = self._measure(measure_id)
        if measure.case_number is not None and self.cases[measure.case_number - 1].closed:
            raise RuleViolation(
                "CASE_CLOSED", "该措施所属案件已关闭（未认定为监测对象），请结束该措施", "measure_id"
            )
        if measure.status is not MeasureStatus.PLANNED:
            raise RuleViolation(
                "MEASURE_NOT_PLANNED", f"措施状态为“{measure.status}”，只有计划中的措施可以落实",
                "measure_id",
            )
        if occurred_on < measure.started_on:
            raise InvalidValue("DATE_ORDER", "落实日期不能早于措施开始日期", "occurred_on")
        self._record(MeasurePutInPlace, occurred_on, by, at, command_id, measure_id=measure_id)

    def end_measure(
        self, measure_id: str, reason: str, *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A measure ends (completed, or cancelled before it was in place)."""
        measure = self._measure(measure_id)
        if measure.status is MeasureStatus.ENDED:
            raise RuleViolation("MEASURE_ENDED", "该措施已结束", "measure_id")
        reason = require_text(reason, "reason", "结束原因")
        if occurred_on < (measure.in_place_on or measure.started_on):
            raise InvalidValue("DATE_ORDER", "结束日期不能早于措施开始或落实日期", "occurred_on")
        self._record(
            MeasureEnded, occurred_on, by, at, command_id, measure_id=measure_id, reason=reason
        )

    def subsidise_medical_insurance(
        self, id_number: str, year: int, amount: Decimal, *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Pay a member's resident medical-insurance premium subsidy (应保尽保): a member of a
        monitoring object, or of a green-channel case under way (先开展帮扶救助)."""
        case = self.active_case
        if case is None or not case.helpable:
            raise RuleViolation(
                "SUBSIDY_NOT_MONITORED",
                "只有监测对象（或绿色通道办理中的案件）家庭成员可享受医保参保资助", "id_number"
            )
        member = self._current_member(id_number, "id_number")
        require_amount(amount, "amount", "资助金额")
        if year not in (occurred_on.year, occurred_on.year + 1):
            raise InvalidValue("YEAR_INVALID", "资助年度须为当年或次年（预缴）", "year")
        if f"{member.id_number}:{year}" in self.subsidies:
            raise RuleViolation(
                "SUBSIDY_ALREADY_PAID", f"{member.name} {year} 年度已享受医保参保资助", "year"
            )
        self._record(
            MedicalInsuranceSubsidised, occurred_on, by, at, command_id,
            id_number=member.id_number, year=year, amount=amount,
        )

    def pay_relief_insurance(
        self, *, payout_id: str, cause: RiskType, out_of_pocket: Decimal, amount: Decimal,
        insurer: str, basic_living_in_difficulty: bool, bands: ReliefBands | None,
        fee: Decimal = Decimal(0), beneficiary_id_number: str | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Pay 防贫保 relief (notice §五, domain.md §7).

        Only monitoring objects of the three categories (or a green-channel case under way),
        only for a sudden hardship (灾/病/疫/意外) among the case's risks that leaves basic living
        in difficulty (a finding stated, never assumed), through a named insurer, never with a
        fee, and no more than ``bands`` (the county's bands in force that day) give for the
        out-of-pocket cost, within the year's cap for the household.
        """
        case = self.active_case
        if case is None or not case.helpable:
            raise RuleViolation(
                "RELIEF_NOT_MONITORING_OBJECT",
                "“防贫保”救助对象限定为脱贫不稳定户、边缘易致贫户、突发严重困难户三类监测对象"
                "（或绿色通道办理中的案件）",
                "payout_id",
            )
        if cause not in rules.RELIEF_CAUSES:
            raise InvalidValue(
                "RELIEF_CAUSE_NOT_SUDDEN",
                f"“防贫保”只救助因灾因病因疫因意外等突发困难，不救助“{cause}”",
                "cause",
            )
        if cause not in case.risk_types:
            raise RuleViolation(
                "RELIEF_CAUSE_NOT_IDENTIFIED",
                f"“{cause}”不在本案认定的风险类型（{'、'.join(case.risk_types)}）之中",
                "cause",
            )
        if not isinstance(basic_living_in_difficulty, bool):
            raise InvalidValue(
                "LIVING_FINDING_REQUIRED", "须写明核实结论：基本生活是否存在困难",
                "basic_living_in_difficulty",
            )
        if not basic_living_in_difficulty:
            raise InvalidValue(
                "RELIEF_LIVING_NOT_AFFECTED", "“防贫保”只救助基本生活存在困难的监测对象",
                "basic_living_in_difficulty",
            )
        if not isinstance(fee, Decimal) or fee != 0:
            raise InvalidValue(
                "RELIEF_FEE_CHARGED", "经办机构不得以任何理由收取管理费、手续费等费用", "fee"
            )
        insurer = require_text(insurer, "insurer", "经办机构")
        require_amount(out_of_pocket, "out_of_pocket", "自付费用或损失", positive=True)
        require_amount(amount, "amount", "救助金额", positive=True)
        ceiling = self._relief_ceiling(bands, cause, out_of_pocket, amount, occurred_on)
        payout_id = require_text(payout_id, "payout_id", "救助编号")
        if payout_id in self.payouts:
            raise RuleViolation("PAYOUT_ID_TAKEN", f"救助编号已存在：{payout_id}", "payout_id")
        if beneficiary_id_number is not None:
            beneficiary_id_number = self._current_member(
                beneficiary_id_number, "beneficiary_id_number"
            ).id_number
        assert bands is not None
        self._record(
            ReliefInsurancePaid, occurred_on, by, at, command_id,
            payout_id=payout_id, case_number=case.number, cause=cause, amount=amount,
            beneficiary_id_number=beneficiary_id_number, out_of_pocket=out_of_pocket,
            insurer=insurer, basic_living_in_difficulty=True, bands_from=bands.effective_from,
            ceiling=ceiling,
        )

    def _relief_ceiling(
        self, bands: ReliefBands | None, cause: RiskType, out_of_pocket: Decimal,
        amount: Decimal, on: date,
    ) -> Decimal:
        """The most the bands in force on ``on`` pay for this cost; refused when the cost
        reaches no band, the amount is above its band, or the year's cap would be passed."""
        if bands is None:
            raise RuleViolation(
                "RELIEF_BANDS_MISSING", f"{on} 没有生效的防贫保赔付标准（由县防贫中心设定）",
                "occurred_on",
            )
        ceiling = bands.ceiling(cause, out_of_pocket)
        if ceiling is None:
            threshold = bands.threshold(cause)
            detail = (f"未超过{cause}的起付金额 {threshold} 元" if threshold is not None
                      else f"赔付标准中没有{cause}的档次")
            raise InvalidValue(
                "RELIEF_BELOW_BAND",
                f"自付费用或损失 {out_of_pocket} 元{detail}（{bands.effective_from} 起施行的标准）",
                "out_of_pocket",
            )
        if amount > ceiling:
            raise InvalidValue(
                "RELIEF_ABOVE_BAND",
                f"按 {bands.effective_from} 起施行的赔付标准，{cause}自付 {out_of_pocket} 元"
                f"最多赔付 {ceiling} 元，不能赔付 {amount} 元",
                "amount",
            )
        paid = sum((p.amount for p in self.payouts.values() if p.occurred_on.year == on.year),
                   Decimal(0))
        if paid + amount > bands.yearly_cap:
            raise RuleViolation(
                "RELIEF_CAP_EXCEEDED",
                f"本户 {on.year} 年已赔付 {paid} 元，再赔付 {amount} 元将超过年度上限 "
                f"{bands.yearly_cap} 元",
                "amount",
            )
        return ceiling

    def _helpable_case(self, field: str) -> Case:
        case = self.active_case
        if case is None or not case.helpable:
            raise RuleViolation(
                "NOT_UNDER_HELP",
                "只有监测对象（或已开启绿色通道的案件）才能研判风险、落实帮扶措施",
                field,
            )
        return case

    def _measure(self, measure_id: str) -> Measure:
        measure = self.measures.get(measure_id)
        if measure is None:
            raise NotFound("MEASURE_NOT_FOUND", f"本户没有编号为 {measure_id} 的帮扶措施", "measure_id")
        return measure
