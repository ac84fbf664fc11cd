"""Help (帮扶, domain.md §7): risk analysis, measures, medical-insurance subsidy, 防贫保."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from household_kit import (
    COUNTY,
    PAYOUT,
    RELIEF_BANDS,
    TOWNSHIP,
    analyse,
    eliminate,
    help_until_eliminable,
    include,
    make_id,
    other_members,
    raise_alert,
    refused,
    registered,
    when,
)

from domain import rules
from domain.codes import (
    Category,
    Department,
    Finding,
    HouseholdType,
    LabourCapacity,
    MeasureStatus,
    MeasureType,
    RiskType,
    SuddenHardship,
)
from domain.household import Household
from domain.relief import ReliefBand, ReliefBands

D = date(2023, 3, 1)
INCLUDED = D + timedelta(8)


def monitored(household_type: HouseholdType = HouseholdType.ORDINARY, **kw) -> Household:
    household = registered(household_type)
    include(household, D, **kw)
    assert household.is_monitoring_object
    return household


def under_help(**kw) -> Household:
    """A monitoring object whose case was analysed on inclusion: needs 就业、健康帮扶 and 综合保障."""
    household = monitored(**kw)
    analyse(household, INCLUDED)
    return household


def green_channel_case(risk: RiskType = RiskType.ACCIDENT) -> Household:
    """A case in the green channel on D+2: help may start, steps 2–4 are still owed."""
    household = registered()
    raise_alert(household, D, risk_types=(risk,))
    household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(D + timedelta(1)))
    household.open_green_channel(1, SuddenHardship.ACCIDENT, studied_on=D + timedelta(1),
                                 approved_on=D + timedelta(2), **when(D + timedelta(2), COUNTY))
    return household


def assign(household: Household, measure_id: str = "M-1", on: date = INCLUDED + timedelta(1), **kw) -> None:
    fields = {
        "measure_type": MeasureType.EMPLOYMENT,
        "department": Department.HUMAN_RESOURCES,
        "responsible_person": "人社所刘",
        **kw,
    }
    household.assign_measure(measure_id=measure_id, **fields, **when(on, TOWNSHIP))


class TestRiskAnalysis:
    def test_given_a_monitored_case_then_the_analysis_is_recorded(self):
        household = monitored()
        household.analyse_risk(
            causes=[RiskType.ILLNESS, RiskType.ILLNESS],
            labour_capacity=LabourCapacity.WEAK,
            needs=[MeasureType.HEALTH, MeasureType.EMPLOYMENT],
            notes="户主慢病",
            **when(INCLUDED, TOWNSHIP),
        )
        analysis = household.analyses[0]
        assert analysis.case_number == 1 and analysis.occurred_on == INCLUDED
        assert analysis.causes == (RiskType.ILLNESS,)
        assert analysis.needs == (MeasureType.HEALTH, MeasureType.EMPLOYMENT)

    def test_given_no_causes_then_CAUSES_REQUIRED(self):
        household = monitored()
        with refused(household, "CAUSES_REQUIRED", "causes"):
            household.analyse_risk(
                causes=[], labour_capacity=LabourCapacity.WEAK, needs=[MeasureType.HEALTH], **when(INCLUDED)
            )

    def test_given_no_needs_then_NEEDS_REQUIRED(self):
        household = monitored()
        with refused(household, "NEEDS_REQUIRED", "needs"):
            household.analyse_risk(
                causes=[RiskType.ILLNESS], labour_capacity=LabourCapacity.WEAK, needs=[], **when(INCLUDED)
            )

    def test_given_a_household_not_under_help_then_NOT_UNDER_HELP(self):
        household = registered()
        raise_alert(household, D)
        with refused(household, "NOT_UNDER_HELP", "causes"):
            household.analyse_risk(
                causes=[RiskType.ILLNESS],
                labour_capacity=LabourCapacity.WEAK,
                needs=[MeasureType.HEALTH],
                **when(D),
            )


class TestMeasureLifecycle:
    def test_planned_then_in_place_then_ended(self):
        household = under_help()
        assign(household, amount=Decimal("1200.50"))
        measure = household.measures["M-1"]
        assert measure.status is MeasureStatus.PLANNED
        assert measure.case_number == 1
        assert measure.started_on == INCLUDED + timedelta(1)
        assert measure.amount == Decimal("1200.50")
        assert measure.department is Department.HUMAN_RESOURCES
        assert measure.responsible_person == "人社所刘"
        household.put_measure_in_place("M-1", **when(INCLUDED + timedelta(5)))
        assert measure.status is MeasureStatus.IN_PLACE
        assert measure.in_place_on == INCLUDED + timedelta(5)
        household.end_measure("M-1", "已稳定就业", **when(INCLUDED + timedelta(90)))
        assert measure.status is MeasureStatus.ENDED
        assert measure.ended_on == INCLUDED + timedelta(90)
        assert measure.end_reason == "已稳定就业"

    def test_a_planned_measure_may_be_cancelled(self):
        household = under_help()
        assign(household)
        household.end_measure("M-1", "需求变化，取消", **when(INCLUDED + timedelta(1)))
        measure = household.measures["M-1"]
        assert measure.status is MeasureStatus.ENDED and measure.in_place_on is None

    def test_a_measure_in_place_the_same_day_it_starts_is_allowed(self):
        household = under_help()
        assign(household, on=INCLUDED)
        household.put_measure_in_place("M-1", **when(INCLUDED))
        assert household.measures["M-1"].in_place_on == INCLUDED
        assert (household.measures["M-1"].in_place_on - INCLUDED).days <= rules.MEASURE_WITHIN_DAYS

    def test_given_a_measure_already_in_place_then_MEASURE_NOT_PLANNED(self):
        household = under_help()
        assign(household)
        household.put_measure_in_place("M-1", **when(INCLUDED + timedelta(5)))
        with refused(household, "MEASURE_NOT_PLANNED", "measure_id") as info:
            household.put_measure_in_place("M-1", **when(INCLUDED + timedelta(6)))
        assert "已落实" in info.value.message

    def test_given_an_ended_measure_then_it_cannot_be_put_in_place(self):
        household = under_help()
        assign(household)
        household.end_measure("M-1", "取消", **when(INCLUDED + timedelta(2)))
        with refused(household, "MEASURE_NOT_PLANNED", "measure_id"):
            household.put_measure_in_place("M-1", **when(INCLUDED + timedelta(3)))

    def test_given_an_ended_measure_when_ended_again_then_MEASURE_ENDED(self):
        household = under_help()
        assign(household)
        household.end_measure("M-1", "取消", **when(INCLUDED + timedelta(2)))
        with refused(household, "MEASURE_ENDED", "measure_id"):
            household.end_measure("M-1", "再次取消", **when(INCLUDED + timedelta(3)))

    def test_given_a_measure_id_already_used_then_MEASURE_ID_TAKEN(self):
        household = under_help()
        assign(household)
        with refused(household, "MEASURE_ID_TAKEN", "measure_id"):
            assign(household, measure_type=MeasureType.HEALTH)

    def test_given_an_unknown_measure_then_MEASURE_NOT_FOUND(self):
        household = under_help()
        with refused(household, "MEASURE_NOT_FOUND", "measure_id"):
            household.put_measure_in_place("M-9", **when(INCLUDED))
        with refused(household, "MEASURE_NOT_FOUND", "measure_id"):
            household.end_measure("M-9", "x", **when(INCLUDED))

    @pytest.mark.parametrize("amount", [Decimal("-0.01"), Decimal("NaN"), Decimal("Infinity"), 100])
    def test_given_a_negative_or_non_decimal_amount_then_AMOUNT_INVALID(self, amount):
        household = under_help()
        with refused(household, "AMOUNT_INVALID", "amount"):
            assign(household, amount=amount)

    def test_a_zero_amount_or_no_amount_is_allowed(self):
        household = under_help()
        assign(household, "M-1", amount=Decimal(0))
        assign(household, "M-2")
        assert household.measures["M-1"].amount == 0
        assert household.measures["M-2"].amount is None

    def test_given_an_empty_id_or_responsible_person_then_REQUIRED(self):
        household = under_help()
        with refused(household, "REQUIRED", "measure_id"):
            assign(household, " ")
        with refused(household, "REQUIRED", "responsible_person"):
            assign(household, responsible_person="")

    def test_given_in_place_before_the_start_then_DATE_ORDER(self):
        household = under_help()
        assign(household, on=INCLUDED + timedelta(3))
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.put_measure_in_place("M-1", **when(INCLUDED + timedelta(2)))

    def test_given_an_end_before_it_was_in_place_then_DATE_ORDER(self):
        household = under_help()
        assign(household, on=INCLUDED + timedelta(1))
        household.put_measure_in_place("M-1", **when(INCLUDED + timedelta(5)))
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.end_measure("M-1", "完成", **when(INCLUDED + timedelta(4)))

    def test_given_an_end_before_a_planned_measure_started_then_DATE_ORDER(self):
        household = under_help()
        assign(household, on=INCLUDED + timedelta(3))
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.end_measure("M-1", "取消", **when(INCLUDED + timedelta(2)))

    def test_given_an_end_without_reason_then_REQUIRED(self):
        household = under_help()
        assign(household)
        with refused(household, "REQUIRED", "reason"):
            household.end_measure("M-1", "  ", **when(INCLUDED + timedelta(2)))

    def test_given_the_risk_eliminated_then_new_measures_are_NOT_UNDER_HELP(self):
        household = monitored()
        ready = help_until_eliminable(household, INCLUDED)
        eliminate(household, ready)
        with refused(household, "NOT_UNDER_HELP", "measure_type"):
            assign(household, "M-late", on=ready + timedelta(20))


class TestMissingWhatIsNeeded:
    """缺什么补什么 (domain.md §7): a measure answers a need the case's analysis found."""

    def test_given_no_risk_analysis_then_ANALYSIS_REQUIRED(self):
        household = monitored()
        with refused(household, "ANALYSIS_REQUIRED", "measure_type") as info:
            assign(household)
        assert "先研判" in info.value.message

    def test_given_an_analysis_dated_after_the_measure_then_ANALYSIS_REQUIRED(self):
        household = monitored()
        analyse(household, INCLUDED + timedelta(5))
        with refused(household, "ANALYSIS_REQUIRED", "measure_type"):
            assign(household, on=INCLUDED + timedelta(4))
        assign(household, on=INCLUDED + timedelta(5))

    def test_given_a_type_not_among_the_analysed_needs_then_MEASURE_NOT_A_NEED(self):
        household = monitored()
        analyse(household, INCLUDED, needs=(MeasureType.HEALTH,))
        with refused(household, "MEASURE_NOT_A_NEED", "measure_type") as info:
            assign(household, measure_type=MeasureType.INDUSTRY)
        assert "产业帮扶" in info.value.message and "健康帮扶" in info.value.message
        assign(household, measure_type=MeasureType.HEALTH)

    def test_a_changed_need_is_a_new_analysis_with_its_reason(self):
        household = monitored()
        analyse(household, INCLUDED, needs=(MeasureType.HEALTH,))
        with refused(household, "REASON_REQUIRED", "reason"):
            analyse(household, INCLUDED + timedelta(2), needs=(MeasureType.INDUSTRY,))
        analyse(household, INCLUDED + timedelta(2), needs=(MeasureType.INDUSTRY,),
                reason="病愈后有意发展养殖")
        assert household.analyses[-1].reason == "病愈后有意发展养殖"
        with refused(household, "MEASURE_NOT_A_NEED"):
            assign(household, measure_type=MeasureType.HEALTH, on=INCLUDED + timedelta(3))
        assign(household, measure_type=MeasureType.INDUSTRY, on=INCLUDED + timedelta(3))
        # a measure dated before the new analysis answers the needs in force on its day
        assign(household, "M-2", measure_type=MeasureType.HEALTH, on=INCLUDED + timedelta(1))

    @pytest.mark.parametrize("labour", [LabourCapacity.ORDINARY, LabourCapacity.SKILLED])
    def test_given_protection_for_a_household_able_to_work_then_PROTECTION_NEEDS_REASON(self, labour):
        household = monitored()
        analyse(household, INCLUDED, needs=(MeasureType.SOCIAL_SECURITY,), labour=labour)
        with refused(household, "PROTECTION_NEEDS_REASON", "reason") as info:
            assign(household, measure_type=MeasureType.SOCIAL_SECURITY)
        assert labour in info.value.message and "兜底" in info.value.message
        documented = "户主突发重病，经民政审核纳入临时救助"
        assign(household, measure_type=MeasureType.SOCIAL_SECURITY, reason=documented)
        assert household.measures["M-1"].reason == documented

    @pytest.mark.parametrize("labour", [LabourCapacity.WEAK, LabourCapacity.LOST, LabourCapacity.NONE])
    def test_protection_where_the_analysis_found_weak_or_no_labour_needs_no_reason(self, labour):
        household = monitored()
        analyse(household, INCLUDED, needs=(MeasureType.SOCIAL_SECURITY,), labour=labour)
        assign(household, measure_type=MeasureType.SOCIAL_SECURITY)
        assert household.measures["M-1"].case_number == 1


class TestFourDoNotRemove:
    """四个不摘 (domain.md §7): a 脱贫户 that is not a monitoring object still gets follow-up help,
    recorded as measures of no case and counted apart."""

    def test_a_lifted_out_household_that_is_not_monitored_gets_a_follow_up_measure(self):
        household = registered(HouseholdType.LIFTED_OUT)
        assign(household, "F-1", measure_type=MeasureType.INDUSTRY, on=D)
        measure = household.measures["F-1"]
        assert measure.case_number is None and measure.follow_up
        household.put_measure_in_place("F-1", **when(D + timedelta(3)))
        household.end_measure("F-1", "产业项目验收", **when(D + timedelta(90)))
        assert measure.status is MeasureStatus.ENDED

    def test_a_lifted_out_household_being_identified_still_gets_follow_up(self):
        household = registered(HouseholdType.LIFTED_OUT)
        raise_alert(household, D)
        assign(household, "F-1", on=D)
        assert household.measures["F-1"].follow_up

    def test_after_elimination_a_lifted_out_household_gets_follow_up(self):
        household = monitored(HouseholdType.LIFTED_OUT)
        ready = help_until_eliminable(household, INCLUDED)
        eliminate(household, ready)
        assign(household, "F-1", on=ready + timedelta(20))
        assert household.measures["F-1"].follow_up

    def test_a_lifted_out_monitoring_object_gets_measures_of_its_case_answering_its_needs(self):
        household = monitored(HouseholdType.LIFTED_OUT)
        with refused(household, "ANALYSIS_REQUIRED"):
            assign(household)
        analyse(household, INCLUDED)
        assign(household)
        assert household.measures["M-1"].case_number == 1 and not household.measures["M-1"].follow_up

    def test_an_ordinary_household_that_is_not_monitored_is_NOT_UNDER_HELP(self):
        household = registered(HouseholdType.ORDINARY)
        with refused(household, "NOT_UNDER_HELP", "measure_type"):
            assign(household, on=D)


class TestMedicalInsuranceSubsidy:
    def test_given_a_monitored_household_then_each_member_is_subsidised_once_a_year(self):
        household = monitored()
        for number in [household.head.id_number, *other_members(household)]:
            household.subsidise_medical_insurance(
                number, 2023, Decimal("350"), **when(INCLUDED + timedelta(1))
            )
        assert len(household.subsidies) == 3
        assert household.subsidies[f"{household.head.id_number}:2023"] == Decimal("350")

    def test_given_the_same_member_and_year_again_then_SUBSIDY_ALREADY_PAID(self):
        household = monitored()
        head = household.head.id_number
        household.subsidise_medical_insurance(head, 2023, Decimal("350"), **when(INCLUDED))
        with refused(household, "SUBSIDY_ALREADY_PAID", "year") as info:
            household.subsidise_medical_insurance(head, 2023, Decimal("100"), **when(INCLUDED))
        assert "2023" in info.value.message

    def test_the_same_member_may_be_subsidised_for_another_year(self):
        household = monitored()
        head = household.head.id_number
        household.subsidise_medical_insurance(head, 2023, Decimal("350"), **when(INCLUDED))
        household.subsidise_medical_insurance(head, 2024, Decimal("380"), **when(INCLUDED))
        assert {f"{head}:2023", f"{head}:2024"} <= set(household.subsidies)

    def test_given_a_household_not_monitored_then_SUBSIDY_NOT_MONITORED(self):
        household = registered()
        with refused(household, "SUBSIDY_NOT_MONITORED", "id_number"):
            household.subsidise_medical_insurance(household.head.id_number, 2023, Decimal("350"), **when(D))

    def test_given_a_case_still_being_identified_then_SUBSIDY_NOT_MONITORED(self):
        household = registered()
        raise_alert(household, D)
        with refused(household, "SUBSIDY_NOT_MONITORED"):
            household.subsidise_medical_insurance(household.head.id_number, 2023, Decimal("350"), **when(D))

    def test_given_a_green_channel_case_under_way_then_its_members_are_subsidised(self):
        household = green_channel_case()
        household.subsidise_medical_insurance(household.head.id_number, 2023, Decimal("350"),
                                              **when(D + timedelta(3)))
        assert household.subsidies[f"{household.head.id_number}:2023"] == Decimal("350")

    def test_given_a_stranger_then_MEMBER_NOT_FOUND(self):
        household = monitored()
        with refused(household, "MEMBER_NOT_FOUND", "id_number"):
            household.subsidise_medical_insurance(make_id(), 2023, Decimal("350"), **when(INCLUDED))

    def test_given_a_negative_amount_then_AMOUNT_INVALID(self):
        household = monitored()
        with refused(household, "AMOUNT_INVALID", "amount"):
            household.subsidise_medical_insurance(
                household.head.id_number, 2023, Decimal("-1"), **when(INCLUDED)
            )


BANDS = RELIEF_BANDS


def pay(
    household: Household, payout_id: str = "P-1", *, cause=RiskType.ILLNESS, amount=Decimal("5000"),
    on: date = INCLUDED + timedelta(1), **kw
) -> None:
    fields = {**PAYOUT, **kw}
    household.pay_relief_insurance(
        payout_id=payout_id, cause=cause, amount=amount, **fields, **when(on)
    )


class TestReliefInsurance:
    @pytest.mark.parametrize(
        ("household_type", "category"),
        [
            (HouseholdType.LIFTED_OUT, Category.UNSTABLE_LIFTED_OUT),
            (HouseholdType.ORDINARY, Category.EDGE_OF_POVERTY),
            (HouseholdType.ORDINARY, Category.SUDDEN_SEVERE_HARDSHIP),
        ],
    )
    @pytest.mark.parametrize("cause", sorted(rules.RELIEF_CAUSES))
    def test_given_a_monitoring_object_with_a_sudden_hardship_among_its_risks_then_paid(
        self, household_type, category, cause
    ):
        household = monitored(household_type, category=category, risk_types=(cause,))
        spouse = other_members(household)[0]
        pay(household, cause=cause, beneficiary_id_number=spouse, fee=Decimal("0.00"))
        payout = household.payouts["P-1"]
        assert (payout.case_number, payout.cause, payout.amount) == (1, cause, Decimal("5000"))
        assert payout.beneficiary_id_number == spouse
        assert payout.occurred_on == INCLUDED + timedelta(1)
        assert (payout.insurer, payout.out_of_pocket, payout.basic_living_in_difficulty) == (
            "人保财险涞源支公司", Decimal("20000"), True)
        assert payout.bands_from == BANDS.effective_from
        assert payout.ceiling == BANDS.ceiling(cause, Decimal("20000"))

    def test_given_a_household_that_is_no_monitoring_object_then_RELIEF_NOT_MONITORING_OBJECT(self):
        household = registered()
        raise_alert(household, D)
        with refused(household, "RELIEF_NOT_MONITORING_OBJECT", "payout_id") as info:
            pay(household)
        assert "三类监测对象" in info.value.message

    def test_given_an_eliminated_household_then_RELIEF_NOT_MONITORING_OBJECT(self):
        household = monitored()
        ready = help_until_eliminable(household, INCLUDED)
        eliminate(household, ready)
        with refused(household, "RELIEF_NOT_MONITORING_OBJECT"):
            pay(household, amount=Decimal("100"), on=ready + timedelta(30))

    def test_given_a_green_channel_case_under_way_then_paid_before_steps_2_to_4(self):
        household = green_channel_case(RiskType.ACCIDENT)
        assert not household.is_monitoring_object
        pay(household, cause=RiskType.ACCIDENT, amount=Decimal("3000"), on=D + timedelta(3))
        assert household.payouts["P-1"].case_number == 1

    @pytest.mark.parametrize("cause", sorted(set(RiskType) - rules.RELIEF_CAUSES))
    def test_given_a_cause_that_is_not_sudden_then_RELIEF_CAUSE_NOT_SUDDEN(self, cause):
        household = monitored()
        with refused(household, "RELIEF_CAUSE_NOT_SUDDEN", "cause") as info:
            pay(household, cause=cause)
        assert cause in info.value.message

    def test_given_a_sudden_cause_that_is_not_among_the_case_risks_then_RELIEF_CAUSE_NOT_IDENTIFIED(self):
        household = monitored(risk_types=(RiskType.ILLNESS,))
        with refused(household, "RELIEF_CAUSE_NOT_IDENTIFIED", "cause") as info:
            pay(household, cause=RiskType.ACCIDENT)
        assert "因病" in info.value.message and "因意外事故" in info.value.message

    @pytest.mark.parametrize("fee", [Decimal("0.01"), Decimal("20"), Decimal("-5")])
    def test_given_any_fee_then_RELIEF_FEE_CHARGED(self, fee):
        household = monitored()
        with refused(household, "RELIEF_FEE_CHARGED", "fee"):
            pay(household, fee=fee)

    @pytest.mark.parametrize("amount", [Decimal(0), Decimal("-100")])
    def test_given_a_zero_or_negative_amount_then_AMOUNT_INVALID(self, amount):
        household = monitored()
        with refused(household, "AMOUNT_INVALID", "amount"):
            pay(household, amount=amount)

    def test_given_basic_living_not_in_difficulty_then_RELIEF_LIVING_NOT_AFFECTED(self):
        household = monitored()
        with refused(household, "RELIEF_LIVING_NOT_AFFECTED", "basic_living_in_difficulty"):
            pay(household, basic_living_in_difficulty=False)

    @pytest.mark.parametrize("finding", [None, "是", 1])
    def test_given_no_finding_on_basic_living_then_LIVING_FINDING_REQUIRED(self, finding):
        household = monitored()
        with refused(household, "LIVING_FINDING_REQUIRED", "basic_living_in_difficulty"):
            pay(household, basic_living_in_difficulty=finding)

    def test_the_finding_is_never_a_default(self):
        household = monitored()
        with pytest.raises(TypeError):
            household.pay_relief_insurance(
                payout_id="P-1", cause=RiskType.ILLNESS, out_of_pocket=Decimal(20000),
                amount=Decimal(5000), insurer="人保财险", bands=BANDS, **when(INCLUDED),
            )

    @pytest.mark.parametrize("insurer", ["", "  "])
    def test_given_no_insurer_then_REQUIRED(self, insurer):
        household = monitored()
        with refused(household, "REQUIRED", "insurer"):
            pay(household, insurer=insurer)

    def test_given_no_bands_in_force_then_RELIEF_BANDS_MISSING(self):
        household = monitored()
        with refused(household, "RELIEF_BANDS_MISSING", "occurred_on"):
            pay(household, bands=None)

    def test_given_a_cost_below_the_threshold_then_RELIEF_BELOW_BAND(self):
        household = monitored()
        with refused(household, "RELIEF_BELOW_BAND", "out_of_pocket") as info:
            pay(household, out_of_pocket=Decimal("5000"), amount=Decimal("100"))
        assert "5000" in info.value.message

    def test_given_more_than_the_bands_give_for_the_cost_then_RELIEF_ABOVE_BAND(self):
        household = monitored()
        # 20,000 of illness: (20,000 − 5,000) × 50% = 7,500 at most
        with refused(household, "RELIEF_ABOVE_BAND", "amount") as info:
            pay(household, amount=Decimal("7500.01"))
        assert "7500" in info.value.message
        pay(household, amount=Decimal("7500"))

    def test_the_bands_add_up_band_by_band_and_stop_at_the_cap(self):
        household = monitored()
        # 40,000 of illness: 15,000 × 50% + 20,000 × 70% = 21,500
        with refused(household, "RELIEF_ABOVE_BAND", "amount"):
            pay(household, out_of_pocket=Decimal(40000), amount=Decimal("21500.01"))
        pay(household, out_of_pocket=Decimal(40000), amount=Decimal("21500"))
        assert BANDS.ceiling(RiskType.ILLNESS, Decimal(1_000_000)) == BANDS.yearly_cap

    def test_given_the_years_cap_reached_then_RELIEF_CAP_EXCEEDED(self):
        household = monitored()
        pay(household, "P-1", out_of_pocket=Decimal(80000), amount=Decimal(45000))
        with refused(household, "RELIEF_CAP_EXCEEDED", "amount") as info:
            pay(household, "P-2", out_of_pocket=Decimal(80000), amount=Decimal("5000.01"))
        assert "45000" in info.value.message and "50000" in info.value.message
        pay(household, "P-2", out_of_pocket=Decimal(80000), amount=Decimal(5000))

    def test_the_999999_yuan_payout_is_refused(self):
        household = monitored()
        with refused(household, "RELIEF_ABOVE_BAND", "amount"):
            pay(household, out_of_pocket=Decimal(999999), amount=Decimal(999999))

    def test_a_payout_is_judged_by_the_bands_it_is_given_and_records_them(self):
        household = monitored()
        everything = (ReliefBand(RiskType.ILLNESS, Decimal(0), None, Decimal(1)),)
        generous = ReliefBands(date(2023, 3, 1), everything, Decimal(100000))
        pay(household, amount=Decimal(20000), bands=generous)
        assert household.payouts["P-1"].bands_from == date(2023, 3, 1)
        assert household.payouts["P-1"].ceiling == Decimal(20000)

    def test_given_a_payout_id_already_used_then_PAYOUT_ID_TAKEN(self):
        household = monitored()
        pay(household)
        with refused(household, "PAYOUT_ID_TAKEN", "payout_id"):
            pay(household)

    def test_given_a_beneficiary_who_is_no_member_then_MEMBER_NOT_FOUND(self):
        household = monitored()
        with refused(household, "MEMBER_NOT_FOUND", "beneficiary_id_number"):
            pay(household, beneficiary_id_number=make_id())
