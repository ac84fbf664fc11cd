"""Help for a case: the analysis, help measures, 医保 subsidies and 防贫保 payouts (domain.md §7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from msgspec import Meta

from application.commands.base import (
    COUNTY,
    COUNTY_AND_TOWNSHIP,
    MEASURE_HOLDERS,
    HouseholdCommand,
    Recording,
)
from application.commands.fields import MAX_LIST, Happened, Id, IdNumber, Money, Name, Text, Year
from domain.codes import Department, LabourCapacity, MeasureType, RiskType
from domain.household import Household


class AnalyseRisk(HouseholdCommand, kw_only=True):
    """研判 of the case under help: causes, labour capacity, needs (缺什么补什么)."""

    name = "analyse_risk"
    roles = COUNTY_AND_TOWNSHIP
    added_fields = ("reason",)

    causes: Annotated[list[RiskType], Meta(max_length=MAX_LIST)]
    labour_capacity: LabourCapacity
    needs: Annotated[list[MeasureType], Meta(max_length=MAX_LIST)]
    notes: Text = ""
    reason: Annotated[Text, Meta(description="重新研判（需求变化）的原因；本案已有研判时必填")] = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.analyse_risk(causes=self.causes, labour_capacity=self.labour_capacity,
                               needs=self.needs, notes=self.notes, reason=self.reason,
                               occurred_on=self.occurred_on, by=on.by, at=on.at,
                               command_id=on.command_id)


class AssignMeasure(HouseholdCommand, kw_only=True):
    """Assign a help measure (planned); ``occurred_on`` is its start. For a monitoring object
    its type must be among the needs of the case's latest analysis (缺什么补什么); for a 脱贫户
    that is not one, it is a follow-up measure (四个不摘)."""

    name = "assign_measure"
    roles = COUNTY_AND_TOWNSHIP
    new_record = ("measure_id", "M")
    added_fields = ("reason",)

    measure_id: Id | None = None
    measure_type: MeasureType
    department: Department
    responsible_person: Name
    amount: Money | None = None
    reason: Annotated[Text, Meta(
        description="安排依据；研判认定有劳动能力而安排综合保障（兜底）时必填")] = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.assign_measure(
            measure_id=self.measure_id, measure_type=self.measure_type, department=self.department,
            responsible_person=self.responsible_person, amount=self.amount, reason=self.reason,
            occurred_on=self.occurred_on, by=on.by, at=on.at, command_id=on.command_id,
        )


class PutMeasureInPlace(HouseholdCommand, kw_only=True):
    """A planned measure is in place (落实): by the county, the township, or the department
    the measure is assigned to."""

    name = "put_measure_in_place"
    roles = MEASURE_HOLDERS
    on_assigned_measure = True
    path_fields = ("measure_id",)

    measure_id: Id
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.put_measure_in_place(self.measure_id, occurred_on=self.occurred_on, by=on.by,
                                       at=on.at, command_id=on.command_id)


class EndMeasure(HouseholdCommand, kw_only=True):
    """A measure ends, for a reason: by the county, the township, or the department the
    measure is assigned to."""

    name = "end_measure"
    roles = MEASURE_HOLDERS
    on_assigned_measure = True
    path_fields = ("measure_id",)

    measure_id: Id
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.end_measure(self.measure_id, self.reason, occurred_on=self.occurred_on, by=on.by,
                              at=on.at, command_id=on.command_id)


class SubsidiseMedicalInsurance(HouseholdCommand, kw_only=True):
    """医保参保资助 for a member of a monitored household (应保尽保)."""

    name = "subsidise_medical_insurance"
    roles = COUNTY_AND_TOWNSHIP

    id_number: IdNumber
    year: Year
    amount: Money
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.subsidise_medical_insurance(self.id_number, self.year, self.amount,
                                              occurred_on=self.occurred_on, by=on.by, at=on.at,
                                              command_id=on.command_id)


class PayReliefInsurance(HouseholdCommand, kw_only=True):
    """防贫保 payout (notice §五), judged by the county's payout bands in force on its day."""

    name = "pay_relief_insurance"
    roles = COUNTY
    new_record = ("payout_id", "P")
    weighs_relief = True

    payout_id: Id | None = None
    cause: RiskType
    out_of_pocket: Annotated[Money, Meta(description="自付费用或损失（元）：按赔付标准的档次计算可赔金额")]
    amount: Money
    insurer: Annotated[Name, Meta(description="经办机构（承保的保险机构）")]
    basic_living_in_difficulty: Annotated[bool, Meta(
        description="核实结论：基本生活是否存在困难（须写明；只有存在困难才可赔付）")]
    fee: Money = Decimal(0)
    beneficiary_id_number: IdNumber | None = None
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.pay_relief_insurance(
            payout_id=self.payout_id, cause=self.cause, out_of_pocket=self.out_of_pocket,
            amount=self.amount, insurer=self.insurer,
            basic_living_in_difficulty=self.basic_living_in_difficulty, bands=on.relief_bands,
            fee=self.fee, beneficiary_id_number=self.beneficiary_id_number,
            occurred_on=self.occurred_on, by=on.by, at=on.at, command_id=on.command_id,
        )
