"""Help (帮扶): risk analysis (研判), help measures from planned to in place to ended, the
resident medical-insurance subsidy (医保参保资助) and 防贫保 relief payouts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from domain import rules
from domain.codes import Department, LabourCapacity, MeasureStatus, MeasureType, RiskType
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.household.state import Event, HouseholdState, require_amount, require_text
from domain.values import Actor, Case, Measure, ReliefPayout, RiskAnalysis


class RiskAnalysed(Event):
    """研判: causes, labour capacity and needs."""

    TOPIC = "fangpin:Household.RiskAnalysed"
    case_number: int
    causes: tuple[RiskType, ...]
    labour_capacity: LabourCapacity
    needs: tuple[MeasureType, ...]
    notes: str

    def apply_to(self, household: HouseholdState) -> None:
        household.analyses.append(RiskAnalysis(
            self.case_number, self.occurred_on, self.causes, self.labour_capacity,
            self.needs, self.notes,
        ))


class MeasureAssigned(Event):
    TOPIC = "fangpin:Household.MeasureAssigned"
    measure_id: str
    case_number: int
    measure_type: MeasureType
    department: Department
    responsible_person: str
    amount: Decimal | None

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
    """防贫保 payout for a sudden hardship; no fee is ever charged."""

    TOPIC = "fangpin:Household.ReliefInsurancePaid"
    payout_id: str
    case_number: int
    cause: RiskType
    amount: Decimal
    beneficiary_id_number: str | None

    def subject(self) -> str:
        return f"payout:{self.payout_id}"

    def apply_to(self, household: HouseholdState) -> None:
        household.payouts[self.payout_id] = ReliefPayout(
            self.payout_id, self.case_number, self.occurred_on, self.cause, self.amount,
            self.beneficiary_id_number,
        )


class HelpChapter(HouseholdState):
    """Analysing the risk and helping: measures, 医保 subsidy, 防贫保."""

    def analyse_risk(
        self, *, causes: Sequence[RiskType], labour_capacity: LabourCapacity,
        needs: Sequence[MeasureType], notes: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Analyse the risk of the case under help: causes, labour capacity, needs (缺什么补什么)."""
        case = self._helpable_case("causes")
        if not causes:
            raise InvalidValue("CAUSES_REQUIRED", "须填写风险原因", "causes")
        if not needs:
            raise InvalidValue("NEEDS_REQUIRED", "须填写帮扶需求", "needs")
        self._record(
            RiskAnalysed, occurred_on, by, at, command_id,
            case_number=case.number, causes=tuple(dict.fromkeys(causes)),
            labour_capacity=labour_capacity, needs=tuple(dict.fromkeys(needs)), notes=notes,
        )

    def assign_measure(
        self, *, measure_id: str, measure_type: MeasureType, department: Department,
        responsible_person: str, amount: Decimal | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Assign a help measure (planned) to the case under help; ``occurred_on`` is its start."""
        case = self._helpable_case("measure_type")
        measure_id = require_text(measure_id, "measure_id", "措施编号")
        if measure_id in self.measures:
            raise RuleViolation("MEASURE_ID_TAKEN", f"措施编号已存在：{measure_id}", "measure_id")
        person = require_text(responsible_person, "responsible_person", "责任人")
        if amount is not None:
            require_amount(amount, "amount", "帮扶金额")
        self._record(
            MeasureAssigned, occurred_on, by, at, command_id,
            measure_id=measure_id, case_number=case.number, measure_type=measure_type,
            department=department, responsible_person=person, amount=amount,
        )

    def put_measure_in_place(
        self, measure_id: str, *, occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A planned measure is now in place (落实)."""
        measure = self._measure(measure_id)
        if self.cases[measure.case_number - 1].closed:
            raise RuleViolation(
                "CASE_CLOSED", "该措施所属案件已关闭（未认定为监测对象），请结束该措施", "measure_id"
            )
        if measure.status is not MeasureStatus.PLANNED:
            raise RuleViolation(
                "MEASURE_NOT_PLANNED", f"措施状态为“{measure.status}”，只有计划中的措施可以落实",
                "measure_id",
            )
        if occurred_on < measure.started_on:
            raise RuleViolation("DATE_ORDER", "落实日期不能早于措施开始日期", "occurred_on")
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
            raise RuleViolation("DATE_ORDER", "结束日期不能早于措施开始或落实日期", "occurred_on")
        self._record(
            MeasureEnded, occurred_on, by, at, command_id, measure_id=measure_id, reason=reason
        )

    def subsidise_medical_insurance(
        self, id_number: str, year: int, amount: Decimal, *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Pay a member's resident medical-insurance premium subsidy (应保尽保)."""
        if self.monitored_case is None:
            raise RuleViolation(
                "SUBSIDY_NOT_MONITORED", "只有监测对象家庭成员可享受医保参保资助", "id_number"
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
        self, *, payout_id: str, cause: RiskType, amount: Decimal, fee: Decimal = Decimal(0),
        basic_living_in_difficulty: bool = True, beneficiary_id_number: str | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Pay 防贫保 relief (notice §五).

        Only monitoring objects of the three categories, only for a sudden hardship
        (灾/病/疫/意外) that leaves basic living in difficulty, and never with a fee.
        """
        case = self.monitored_case
        if case is None:
            raise RuleViolation(
                "RELIEF_NOT_MONITORING_OBJECT",
                "“防贫保”救助对象限定为脱贫不稳定户、边缘易致贫户、突发严重困难户三类监测对象",
                "payout_id",
            )
        if cause not in rules.RELIEF_CAUSES:
            raise RuleViolation(
                "RELIEF_CAUSE_NOT_SUDDEN",
                f"“防贫保”只救助因灾因病因疫因意外等突发困难，不救助“{cause}”",
                "cause",
            )
        if not basic_living_in_difficulty:
            raise RuleViolation(
                "RELIEF_LIVING_NOT_AFFECTED", "“防贫保”只救助基本生活存在困难的监测对象",
                "basic_living_in_difficulty",
            )
        if not isinstance(fee, Decimal) or fee != 0:
            raise RuleViolation(
                "RELIEF_FEE_CHARGED", "经办机构不得以任何理由收取管理费、手续费等费用", "fee"
            )
        require_amount(amount, "amount", "救助金额", positive=True)
        payout_id = require_text(payout_id, "payout_id", "救助编号")
        if payout_id in self.payouts:
            raise RuleViolation("PAYOUT_ID_TAKEN", f"救助编号已存在：{payout_id}", "payout_id")
        if beneficiary_id_number is not None:
            beneficiary_id_number = self._current_member(
                beneficiary_id_number, "beneficiary_id_number"
            ).id_number
        self._record(
            ReliefInsurancePaid, occurred_on, by, at, command_id,
            payout_id=payout_id, case_number=case.number, cause=cause, amount=amount,
            beneficiary_id_number=beneficiary_id_number,
        )

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
