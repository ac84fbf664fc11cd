"""Identification (认定): the four steps, their order and dates, the county's simplified approval,
the category, and where a case stands (domain.md §6)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from household_kit import (
    COUNTY,
    LINE,
    TOWNSHIP,
    VILLAGE,
    at,
    eliminate,
    help_until_eliminable,
    include,
    raise_alert,
    refused,
    registered,
    when,
)

from domain import rules
from domain.codes import (
    CaseStage,
    Category,
    Decision,
    EliminationMode,
    Finding,
    HouseholdType,
    ObjectionOutcome,
    RiskType,
)
from domain.household import Household
from domain.values import Objection

D = date(2023, 3, 1)  # discovery
UPHELD = Objection("村民反映该户有经营性货车", ObjectionOutcome.UPHELD, "经核实该户名下货车在营运")
NOT_UPHELD = Objection("村民反映该户子女收入稳定", ObjectionOutcome.NOT_UPHELD,
                       "经核实子女务工不稳定，年内两次失业")


def d(n: int) -> date:
    return D + timedelta(n)


def opened(household: Household | None = None, **kw) -> Household:
    """A household with case 1 opened by an alert discovered on D."""
    household = household or registered()
    raise_alert(household, D, **kw)
    return household


def visited(household: Household | None = None, *, risk_clear: bool = True) -> Household:
    household = opened(household)
    household.verify_at_home(1, Finding.RISK_CONFIRMED, risk_clear=risk_clear, **when(d(1)))
    return household


def notice(
    household: Household,
    decision=Decision.PASSED,
    *,
    on: int = 7,
    objections=(),
    reason: str = "",
    frm: int = 2,
    to: int = 6,
) -> None:
    household.conclude_village_deliberation(
        1,
        decision,
        notice_from=d(frm),
        notice_to=d(to),
        objections=objections,
        reason=reason,
        **when(d(on)),
    )


def review(
    household: Household,
    decision=Decision.PASSED,
    *,
    on: int = 3,
    disqualifying: bool = False,
    reason: str = "",
) -> None:
    household.complete_township_review(
        1, decision, disqualifying_found=disqualifying, reason=reason, **when(d(on), TOWNSHIP)
    )


def reviewed(household: Household | None = None, **kw) -> Household:
    """Steps 1–3 passed; awaiting the county."""
    household = visited(household, risk_clear=kw.pop("risk_clear", True))
    notice(household, objections=kw.pop("objections", ()))
    review(household, disqualifying=kw.pop("disqualifying", False))
    return household


def county(household: Household, decision=Decision.PASSED, *, on: int = 8, **kw) -> None:
    kw.setdefault("category", Category.EDGE_OF_POVERTY if decision is Decision.PASSED else None)
    household.decide_at_county(1, decision, **kw, **when(d(on), COUNTY))


class TestStepOneHomeVisit:
    def test_given_the_risk_confirmed_then_the_case_moves_on_to_deliberation(self):
        household = visited()
        case = household.cases[0]
        assert case.identification.home_visit.occurred_on == d(1)
        assert case.identification.home_visit.decision is Decision.PASSED
        assert case.risk_clear
        assert case.stage is CaseStage.IDENTIFYING

    def test_given_the_risk_confirmed_but_unclear_then_risk_clear_is_false(self):
        assert not visited(risk_clear=False).cases[0].risk_clear

    def test_given_no_risk_found_then_the_case_is_closed_with_a_reason(self):
        household = opened()
        household.verify_at_home(1, Finding.NO_RISK, **when(d(1)))
        case = household.cases[0]
        assert case.closed and not case.active
        assert case.closed_on == d(1)
        assert case.closed_reason == "入户核查无返贫致贫风险"
        assert case.stage is CaseStage.CLOSED
        assert not case.risk_clear
        assert household.active_case is None

    def test_given_no_risk_found_with_notes_then_the_notes_are_the_reason(self):
        household = opened()
        household.verify_at_home(1, Finding.NO_RISK, notes="已外出务工，收入稳定", **when(d(1)))
        assert household.cases[0].closed_reason == "已外出务工，收入稳定"

    def test_given_a_closed_case_then_any_further_step_is_CASE_CLOSED(self):
        household = opened()
        household.verify_at_home(1, Finding.NO_RISK, **when(d(1)))
        with refused(household, "CASE_CLOSED", "case_number"):
            notice(household)
        with refused(household, "CASE_CLOSED", "case_number"):
            review(household)
        with refused(household, "CASE_CLOSED", "case_number"):
            county(household)
        with refused(household, "CASE_CLOSED", "case_number"):
            household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(d(2)))

    def test_given_the_visit_already_done_then_STEP_DONE(self):
        household = visited()
        with refused(household, "STEP_DONE", "case_number"):
            household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(d(2)))

    def test_given_a_visit_before_discovery_then_DATE_ORDER(self):
        household = opened()
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(d(-1)))

    def test_given_a_visit_on_the_discovery_day_then_accepted(self):
        household = opened()
        household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(D))
        assert household.cases[0].identification.home_visit.occurred_on == D

    def test_given_a_visit_dated_after_the_recording_day_then_DATE_IN_FUTURE(self):
        household = opened()
        with refused(household, "DATE_IN_FUTURE", "occurred_on"):
            household.verify_at_home(1, Finding.RISK_CONFIRMED, occurred_on=d(2), by=VILLAGE, at=at(d(1)))

    @pytest.mark.parametrize("number", [0, 2, -1, "1"])
    def test_given_an_unknown_case_number_then_CASE_NOT_FOUND(self, number):
        household = opened()
        with refused(household, "CASE_NOT_FOUND", "case_number"):
            household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(d(1)))


class TestStepsTwoAndThreeInEitherOrder:
    def test_given_no_home_visit_then_village_deliberation_is_STEP_OUT_OF_ORDER(self):
        household = opened()
        with refused(household, "STEP_OUT_OF_ORDER", "case_number") as info:
            notice(household)
        assert "入户核查核实" in info.value.message

    def test_given_no_home_visit_then_township_review_is_STEP_OUT_OF_ORDER(self):
        household = opened()
        with refused(household, "STEP_OUT_OF_ORDER", "case_number"):
            review(household)

    def test_village_then_township(self):
        household = visited()
        notice(household, on=7)
        assert household.cases[0].stage is CaseStage.IDENTIFYING
        review(household, on=8)
        assert household.cases[0].stage is CaseStage.AWAITING_COUNTY

    def test_township_then_village(self):
        household = visited()
        review(household, on=2)
        assert household.cases[0].identification.township_review.occurred_on == d(2)
        assert household.cases[0].stage is CaseStage.IDENTIFYING
        notice(household, on=7)
        assert household.cases[0].stage is CaseStage.AWAITING_COUNTY

    def test_both_on_the_same_day(self):
        household = visited()
        review(household, on=7)
        notice(household, on=7)
        assert household.cases[0].identification.owed_steps == ("county_decision",)

    def test_given_a_step_already_taken_then_STEP_DONE(self):
        household = reviewed()
        with refused(household, "STEP_DONE", "case_number"):
            notice(household, on=9)
        with refused(household, "STEP_DONE", "case_number"):
            review(household, on=9)

    def test_given_a_step_dated_before_the_home_visit_then_DATE_ORDER(self):
        household = opened()
        household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(d(3)))
        with refused(household, "DATE_ORDER", "occurred_on"):
            review(household, on=2)

    def test_the_objections_are_kept_with_their_outcomes_without_blank_entries(self):
        household = visited()
        notice(household, objections=[
            Objection(" 邻居反映有车辆 ", ObjectionOutcome.NOT_UPHELD, " 车辆已转让 "),
            Objection("  ", None, " "),
        ])
        assert household.cases[0].objections == (
            Objection("邻居反映有车辆", ObjectionOutcome.NOT_UPHELD, "车辆已转让"),)


class TestVillageNotice:
    def test_given_a_notice_of_exactly_five_days_then_accepted(self):
        household = visited()
        notice(household, frm=2, to=6)
        assert household.cases[0].identification.village_notice is not None

    def test_given_a_notice_of_four_days_then_NOTICE_TOO_SHORT(self):
        household = visited()
        with refused(household, "NOTICE_TOO_SHORT", "notice_to") as info:
            notice(household, frm=2, to=5)
        assert "4天" in info.value.message and str(rules.MIN_NOTICE_DAYS) in info.value.message

    def test_given_a_notice_ending_before_it_starts_then_NOTICE_TOO_SHORT(self):
        household = visited()
        with refused(household, "NOTICE_TOO_SHORT", "notice_to"):
            notice(household, frm=6, to=2)

    def test_given_a_notice_starting_before_the_home_visit_then_DATE_ORDER(self):
        household = visited()
        with refused(household, "DATE_ORDER", "notice_from"):
            notice(household, frm=0, to=6)

    def test_given_a_result_before_the_notice_ended_then_DATE_ORDER(self):
        household = visited()
        with refused(household, "DATE_ORDER", "notice_to"):
            notice(household, frm=2, to=8, on=7)

    def test_given_a_rejection_without_reason_then_REQUIRED(self):
        household = visited()
        with refused(household, "REQUIRED", "reason"):
            notice(household, Decision.REJECTED)


class TestNoticeObjections:
    """Each objection to the notice is recorded with how it was resolved: upheld 成立 or not
    upheld 不成立, and why (domain.md §6 step 2). Only one that stands rules out the county's
    simplified approval."""

    def test_given_an_upheld_objection_when_the_county_approves_simplified_then_refused_naming_it(self):
        household = reviewed(objections=[NOT_UPHELD, UPHELD])
        with refused(household, "SIMPLIFIED_NOTICE_OBJECTED", "simplified") as info:
            county(household, simplified=True)
        assert "“村民反映该户有经营性货车”成立" in info.value.message
        assert "子女收入稳定" not in info.value.message
        county(household, simplified=False, asset_comparison="比对存款、房产、车辆：有营运货车一辆")
        assert household.cases[0].included and not household.cases[0].simplified_approval

    def test_given_only_objections_not_upheld_when_the_county_approves_simplified_then_included(self):
        household = reviewed(objections=[NOT_UPHELD])
        county(household, simplified=True)
        case = household.cases[0]
        assert case.included and case.simplified_approval
        assert case.objections == (NOT_UPHELD,)

    def test_given_an_objection_from_before_outcomes_were_recorded_then_it_still_blocks(self):
        """An old log's objection has its text alone: nobody can say it was not upheld."""
        household = reviewed()
        household.cases[0].objections = (Objection("有人反映有存款", None),)
        blockers = rules.simplified_approval_blockers(household.cases[0])
        assert [code for code, _ in blockers] == ["SIMPLIFIED_NOTICE_OBJECTED"]
        assert "“有人反映有存款”（未记录处理结果）" in blockers[0][1]

    def test_given_an_objection_without_outcome_then_OBJECTION_OUTCOME_REQUIRED_naming_it(self):
        household = visited()
        with refused(household, "OBJECTION_OUTCOME_REQUIRED", "objections[1].outcome") as info:
            notice(household, objections=[NOT_UPHELD, Objection("村民反映有存款", None, "")])
        assert "村民反映有存款" in info.value.message and "成立或不成立" in info.value.message

    @pytest.mark.parametrize("outcome", list(ObjectionOutcome))
    def test_given_an_outcome_without_its_reason_then_REQUIRED(self, outcome):
        household = visited()
        with refused(household, "REQUIRED", "objections[0].reason") as info:
            notice(household, objections=[Objection("村民反映有存款", outcome, "  ")])
        assert outcome in info.value.message

    def test_given_an_outcome_without_the_objection_then_REQUIRED(self):
        household = visited()
        with refused(household, "REQUIRED", "objections[0].content"):
            notice(household, objections=[Objection(" ", ObjectionOutcome.UPHELD, "属实")])


class TestRejectionAtAnyStep:
    def test_given_the_village_rejects_then_the_case_closes_and_later_steps_are_refused(self):
        household = visited()
        notice(household, Decision.REJECTED, reason="群众评议不认可")
        case = household.cases[0]
        assert case.closed and case.stage is CaseStage.CLOSED
        assert case.closed_on == d(7) and case.closed_reason == "群众评议不认可"
        with refused(household, "CASE_CLOSED", "case_number") as info:
            review(household, on=8)
        assert "群众评议不认可" in info.value.message
        with refused(household, "CASE_CLOSED"):
            county(household, on=9)

    def test_given_the_township_rejects_then_the_case_closes_and_later_steps_are_refused(self):
        household = visited()
        review(household, Decision.REJECTED, reason="有财政供养人员")
        assert household.cases[0].closed_reason == "有财政供养人员"
        with refused(household, "CASE_CLOSED", "case_number"):
            notice(household)

    def test_given_the_township_rejects_without_reason_then_REQUIRED(self):
        household = visited()
        with refused(household, "REQUIRED", "reason"):
            review(household, Decision.REJECTED, reason=" ")

    def test_given_the_county_rejects_then_the_case_is_closed(self):
        household = reviewed()
        county(household, Decision.REJECTED, reason="比对发现有商品房")
        case = household.cases[0]
        assert case.closed and not case.included
        assert case.closed_on == d(8) and case.closed_reason == "比对发现有商品房"
        assert case.category is None and not household.is_monitoring_object
        assert [type(e).__name__ for e in household.pending_events][-1] == "IdentificationRejected"
        with refused(household, "CASE_CLOSED", "case_number"):
            county(household, on=9)

    def test_given_the_county_rejects_without_reason_then_REQUIRED(self):
        household = reviewed()
        with refused(household, "REQUIRED", "reason"):
            county(household, Decision.REJECTED)


class TestCountyDecision:
    def test_given_steps_two_and_three_missing_then_STEP_OUT_OF_ORDER_naming_both(self):
        household = visited()
        with refused(household, "STEP_OUT_OF_ORDER", "case_number") as info:
            county(household)
        assert "村级评议公示" in info.value.message and "乡镇核查初审" in info.value.message

    def test_given_only_the_village_step_then_the_message_names_the_township_review(self):
        household = visited()
        notice(household)
        with refused(household, "STEP_OUT_OF_ORDER", "case_number") as info:
            county(household)
        assert "乡镇核查初审" in info.value.message
        assert "村级评议公示" not in info.value.message

    def test_given_only_the_township_step_then_the_message_names_the_village_step(self):
        household = visited()
        review(household)
        with refused(household, "STEP_OUT_OF_ORDER", "case_number") as info:
            county(household)
        assert "村级评议公示" in info.value.message
        assert "乡镇核查初审" not in info.value.message

    def test_given_no_step_at_all_then_a_rejection_is_refused_too(self):
        household = opened()
        with refused(household, "STEP_OUT_OF_ORDER"):
            county(household, Decision.REJECTED, reason="不符合")

    def test_given_a_decision_before_the_later_of_steps_two_and_three_then_DATE_ORDER(self):
        household = visited()
        review(household, on=3)
        notice(household, on=9)
        with refused(household, "DATE_ORDER", "occurred_on"):
            county(household, on=8)

    def test_given_a_simplified_approval_that_qualifies_then_included_without_comparison(self):
        household = reviewed()
        county(household, simplified=True)
        case = household.cases[0]
        assert case.included and case.included_on == d(8)
        assert case.simplified_approval is True
        assert case.category is Category.EDGE_OF_POVERTY
        assert case.stage is CaseStage.MONITORED
        assert household.is_monitoring_object
        assert household.category is Category.EDGE_OF_POVERTY
        assert household.monitored_case is case

    @pytest.mark.parametrize(
        ("condition", "code"),
        [
            ({"risk_clear": False}, "SIMPLIFIED_RISK_NOT_CLEAR"),
            ({"objections": [UPHELD]}, "SIMPLIFIED_NOTICE_OBJECTED"),
            ({"disqualifying": True}, "SIMPLIFIED_TOWNSHIP_DISQUALIFYING"),
        ],
    )
    def test_given_one_simplified_condition_unmet_then_refused_with_its_code(self, condition, code):
        household = reviewed(**condition)
        with refused(household, code, "simplified") as info:
            county(household, simplified=True)
        assert "简化审定" in info.value.message

    def test_given_all_simplified_conditions_unmet_then_the_first_code_and_all_reasons(self):
        household = reviewed(risk_clear=False, objections=[UPHELD], disqualifying=True)
        with refused(household, "SIMPLIFIED_RISK_NOT_CLEAR") as info:
            county(household, simplified=True)
        for reason in ("风险不明确", "有异议", "不予认定情形"):
            assert reason in info.value.message

    def test_given_a_full_approval_without_asset_comparison_then_ASSET_COMPARISON_REQUIRED(self):
        household = reviewed()
        with refused(household, "ASSET_COMPARISON_REQUIRED", "asset_comparison"):
            county(household, simplified=False, asset_comparison="  ")

    def test_given_a_full_approval_with_comparison_then_included_even_if_not_simple(self):
        household = reviewed(risk_clear=False, objections=[UPHELD], disqualifying=True)
        county(household, simplified=False, asset_comparison="无存款、无商品房、无车辆")
        case = household.cases[0]
        assert case.included and not case.simplified_approval

    def test_given_no_category_then_CATEGORY_REQUIRED(self):
        household = reviewed()
        with refused(household, "CATEGORY_REQUIRED", "category"):
            county(household, category=None, simplified=True)

    def test_given_unstable_lifted_out_for_an_ordinary_household_then_CATEGORY_MISMATCH(self):
        household = reviewed()
        with refused(household, "CATEGORY_MISMATCH", "category"):
            county(household, category=Category.UNSTABLE_LIFTED_OUT, simplified=True)

    def test_given_edge_of_poverty_for_a_lifted_out_household_then_CATEGORY_MISMATCH(self):
        household = reviewed(registered(HouseholdType.LIFTED_OUT))
        with refused(household, "CATEGORY_MISMATCH", "category"):
            county(household, category=Category.EDGE_OF_POVERTY, simplified=True)

    def test_given_unstable_lifted_out_for_a_lifted_out_household_then_included(self):
        household = reviewed(registered(HouseholdType.LIFTED_OUT))
        county(household, category=Category.UNSTABLE_LIFTED_OUT, simplified=True)
        assert household.category is Category.UNSTABLE_LIFTED_OUT

    @pytest.mark.parametrize("household_type", list(HouseholdType))
    def test_sudden_severe_hardship_fits_any_household(self, household_type):
        household = reviewed(registered(household_type))
        county(household, category=Category.SUDDEN_SEVERE_HARDSHIP, simplified=True)
        assert household.category is Category.SUDDEN_SEVERE_HARDSHIP

    def test_the_county_may_settle_the_risk_types(self):
        household = reviewed()
        county(
            household,
            simplified=True,
            risk_types=[RiskType.DISABILITY, RiskType.ILLNESS, RiskType.DISABILITY],
        )
        assert household.cases[0].risk_types == (RiskType.DISABILITY, RiskType.ILLNESS)

    def test_given_six_risk_types_at_county_then_RISK_TYPES_TOO_MANY(self):
        household = reviewed()
        six = [
            RiskType.ILLNESS,
            RiskType.DISABILITY,
            RiskType.SCHOOLING,
            RiskType.ACCIDENT,
            RiskType.LACK_OF_LABOUR,
            RiskType.OTHER,
        ]
        with refused(household, "RISK_TYPES_TOO_MANY", "risk_types"):
            county(household, simplified=True, risk_types=six)

    def test_given_a_decided_case_then_further_steps_are_CASE_DECIDED(self):
        household = reviewed()
        county(household, simplified=True)
        with refused(household, "CASE_DECIDED", "case_number"):
            county(household, on=9, simplified=True)
        with refused(household, "CASE_DECIDED", "case_number"):
            household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(d(9)))

    def test_given_a_decision_dated_after_the_recording_day_then_DATE_IN_FUTURE(self):
        household = reviewed()
        with refused(household, "DATE_IN_FUTURE", "occurred_on"):
            household.decide_at_county(
                1,
                Decision.PASSED,
                category=Category.EDGE_OF_POVERTY,
                simplified=True,
                occurred_on=d(9),
                by=COUNTY,
                at=at(d(8)),
            )


class TestCategoryFits:
    @pytest.mark.parametrize(
        ("category", "household_type", "fits"),
        [
            (Category.UNSTABLE_LIFTED_OUT, HouseholdType.LIFTED_OUT, True),
            (Category.UNSTABLE_LIFTED_OUT, HouseholdType.ORDINARY, False),
            (Category.EDGE_OF_POVERTY, HouseholdType.ORDINARY, True),
            (Category.EDGE_OF_POVERTY, HouseholdType.LIFTED_OUT, False),
            (Category.SUDDEN_SEVERE_HARDSHIP, HouseholdType.ORDINARY, True),
            (Category.SUDDEN_SEVERE_HARDSHIP, HouseholdType.LIFTED_OUT, True),
        ],
    )
    def test_the_category_table(self, category, household_type, fits):
        assert rules.category_fits(category, household_type) is fits


class TestDaysToInclusionAndStage:
    def test_days_to_inclusion_counts_from_discovery_to_the_county_decision(self):
        household = reviewed()
        assert household.cases[0].days_to_inclusion is None
        county(household, on=8, simplified=True)
        assert household.cases[0].days_to_inclusion == 8

    def test_a_late_inclusion_is_allowed_and_shows_its_days(self):
        household = reviewed()
        county(household, on=rules.IDENTIFICATION_DAYS + 10, simplified=True)
        assert household.cases[0].days_to_inclusion == 25

    def test_the_clock_starts_at_the_first_alert_of_the_case(self):
        household = opened()
        raise_alert(household, d(4), risk_types=(RiskType.DISABILITY,))
        household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(d(5)))
        notice(household, frm=5, to=9, on=10)
        review(household, on=6)
        county(household, on=12, simplified=True)
        assert household.cases[0].days_to_inclusion == 12

    def test_the_stage_through_the_whole_lifecycle(self):
        household = registered()
        stages = []

        def stage() -> None:
            stages.append(household.cases[-1].stage)

        raise_alert(household, D)
        stage()
        household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(d(1)))
        stage()
        notice(household)
        stage()
        review(household)
        stage()
        county(household, simplified=True)
        stage()
        ready = help_until_eliminable(household, d(8))
        household.verify_elimination_at_home(EliminationMode.NATURAL, line_in_force=LINE, **when(ready))
        stage()
        household.conclude_elimination_notice(
            Decision.PASSED,
            notice_from=ready + timedelta(1),
            notice_to=ready + timedelta(5),
            **when(ready + timedelta(6)),
        )
        stage()
        household.complete_elimination_review(Decision.PASSED, **when(ready + timedelta(7), TOWNSHIP))
        stage()
        household.decide_elimination_at_county(
            Decision.PASSED, line_in_force=LINE, **when(ready + timedelta(8), COUNTY)
        )
        stage()
        assert stages == [
            CaseStage.AWAITING_VISIT,
            CaseStage.IDENTIFYING,
            CaseStage.IDENTIFYING,
            CaseStage.AWAITING_COUNTY,
            CaseStage.MONITORED,
            CaseStage.ELIMINATING,
            CaseStage.ELIMINATING,
            CaseStage.ELIMINATING,
            CaseStage.ELIMINATED,
        ]


class TestStageAfterElimination:
    def test_eliminated_then_stage_is_ELIMINATED_and_the_case_is_no_longer_active(self):
        household = registered()
        include(household, D)
        ready = help_until_eliminable(household, household.cases[0].included_on)
        eliminate(household, ready)
        case = household.cases[0]
        assert case.stage is CaseStage.ELIMINATED
        assert not case.active and not case.monitored and case.eliminated
        assert case.eliminated_on == ready + timedelta(8)
        assert case.elimination_mode is EliminationMode.BY_HELP
