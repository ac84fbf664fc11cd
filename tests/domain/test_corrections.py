"""Corrections (更正): a new event names the event it corrects, the new values and the reason;
the case file follows, the corrected event stays as it was."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from household_kit import (
    COUNTY,
    LINE,
    PAYOUT,
    TOWNSHIP,
    all_checks,
    analyse,
    at,
    eliminate,
    help_until_eliminable,
    include,
    make_id,
    member,
    raise_alert,
    refused,
    registered,
    replay,
    when,
)

from domain import rules
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    EliminationMode,
    Finding,
    HouseholdType,
    JoinReason,
    MeasureStatus,
    MeasureType,
    Relation,
    RiskType,
    SuddenHardship,
    Tier,
)
from domain.errors import DomainError
from domain.household import Household
from domain.values import Correction

D = date(2023, 3, 1)
LATER = date(2023, 4, 20)


def version_of(household: Household, subject: str) -> int:
    """The (last) version whose event recorded ``subject``."""
    return max(v for v, s in household.subjects.items() if s == subject)


def correct(
    household: Household, subject: str | int, changes: dict, reason: str = "录入错误", on: date = LATER
) -> None:
    version = subject if isinstance(subject, int) else version_of(household, subject)
    household.correct(version, changes, reason, **when(on, COUNTY))


def monitored(household_type=HouseholdType.ORDINARY) -> Household:
    household = registered(household_type)
    include(household, D)
    return household


class TestTheCorrectionEvent:
    def test_it_names_the_version_subject_changes_and_reason(self):
        household = monitored()
        version = version_of(household, "household")
        household.correct(
            version, {"address": " 王安村2号 "}, " 门牌号录错 ", **when(LATER, COUNTY, command_id="fix-1")
        )
        event = household.pending_events[-1]
        assert type(event).__name__ == "FactCorrected"
        assert event.corrects_version == version == 1
        assert event.corrects_subject == "household"
        assert event.changes == {"address": "王安村2号"}
        assert event.reason == "门牌号录错"
        assert household.address == "王安村2号"
        assert household.corrections == [
            Correction(1, "household", {"address": "王安村2号"}, "门牌号录错", LATER)
        ]
        assert household.command_ids["fix-1"] == household.version

    def test_the_corrected_event_is_left_as_it_was(self):
        household = registered()
        raise_alert(household, D, alert_id="A-1")
        events = list(household.collect_events())
        alert_event = events[-1]
        correct(household, "alert:A-1", {"discovered_on": "2023-02-25"})
        assert household.alerts["A-1"].discovered_on == date(2023, 2, 25)
        assert alert_event.occurred_on == D
        assert household.pending_events[-1].changes == {"discovered_on": "2023-02-25"}

    def test_new_values_are_stored_json_native(self):
        household = monitored()
        analyse(household, D + timedelta(8))
        household.assign_measure(
            measure_id="M-1",
            measure_type=MeasureType.HEALTH,
            department=Department.HEALTH,
            responsible_person="王",
            amount=Decimal("100"),
            **when(D + timedelta(9), TOWNSHIP),
        )
        correct(
            household,
            "measure:M-1",
            {
                "amount": Decimal("120.50"),
                "department": Department.MEDICAL_INSURANCE,
                "started_on": date(2023, 3, 10),
            },
        )
        assert household.pending_events[-1].changes == {
            "amount": "120.50",
            "department": "医保局",
            "started_on": "2023-03-10",
        }
        measure = household.measures["M-1"]
        assert measure.amount == Decimal("120.50")
        assert measure.department is Department.MEDICAL_INSURANCE
        assert measure.started_on == date(2023, 3, 10)

    def test_a_replay_gives_the_corrected_case_file(self):
        household = monitored()
        correct(
            household,
            "alert:" + household.cases[0].alert_ids[0],
            {"discovered_on": "2023-02-27", "description": "更正描述"},
        )
        correct(household, "case:1", {"category": "突发严重困难户"})
        assert replay(list(household.collect_events())) == household


class TestCorrectingAlerts:
    def test_correcting_the_discovery_date_moves_the_15_day_clock(self):
        household = monitored()
        case = household.cases[0]
        assert (case.opened_on, case.days_to_inclusion) == (D, 8)
        correct(household, f"alert:{case.alert_ids[0]}", {"discovered_on": "2023-02-20"})
        assert household.alerts[case.alert_ids[0]].discovered_on == date(2023, 2, 20)
        assert case.opened_on == date(2023, 2, 20)
        assert case.days_to_inclusion == 17

    def test_correcting_a_later_alert_of_the_case_leaves_the_clock_alone(self):
        household = registered()
        raise_alert(household, D, alert_id="A-1")
        raise_alert(household, D + timedelta(2), alert_id="A-2", risk_types=(RiskType.DISABILITY,))
        correct(household, "alert:A-2", {"discovered_on": "2023-03-02"})
        assert household.cases[0].opened_on == D

    def test_correcting_risk_types_before_the_decision_corrects_the_case(self):
        household = registered()
        raise_alert(household, D, alert_id="A-1")
        correct(household, "alert:A-1", {"risk_types": ["因残", "因残", "因学"]})
        assert household.alerts["A-1"].risk_types == (RiskType.DISABILITY, RiskType.SCHOOLING)
        assert household.cases[0].risk_types == (RiskType.DISABILITY, RiskType.SCHOOLING)

    def test_after_the_county_decided_its_risk_types_stand(self):
        household = monitored()
        alert_id = household.cases[0].alert_ids[0]
        correct(household, f"alert:{alert_id}", {"risk_types": ["因残"]})
        assert household.cases[0].risk_types == (RiskType.ILLNESS,)

    def test_a_duplicate_alert_may_be_corrected_without_touching_any_case(self):
        household = registered()
        common = {"channel": Channel.DEPARTMENT_ALERT, "department": Department.HEALTH}
        raise_alert(household, D, alert_id="P-1", tier=Tier.PROVINCIAL, **common)
        raise_alert(household, D, alert_id="C-1", tier=Tier.COUNTY, **common)
        correct(household, "alert:C-1", {"discovered_on": "2023-02-01"})
        assert household.cases[0].opened_on == D

    def test_the_duplicate_rule_follows_corrected_risk_types(self):
        household = registered()
        raise_alert(household, D, alert_id="A-1")  # 因病, wrongly
        correct(household, "alert:A-1", {"risk_types": ["因残"]})
        outcome = raise_alert(household, D + timedelta(3), alert_id="A-2")  # a real 因病 alert
        assert outcome.duplicate_of is None

    def test_given_six_corrected_risk_types_then_RISK_TYPES_TOO_MANY(self):
        household = registered()
        raise_alert(household, D, alert_id="A-1")
        with refused(household, "RISK_TYPES_TOO_MANY"):
            correct(
                household,
                "alert:A-1",
                {"risk_types": ["因病", "因残", "因学", "因意外事故", "缺劳动力", "其他"]},
            )

    def test_given_natural_disaster_corrected_in_without_its_kind_then_DISASTER_KIND_REQUIRED(self):
        household = registered()
        raise_alert(household, D, alert_id="A-1")
        with refused(household, "DISASTER_KIND_REQUIRED"):
            correct(household, "alert:A-1", {"risk_types": ["因自然灾害"]})


class TestCorrectingSteps:
    def test_correcting_a_rejected_home_visit_date_corrects_the_closing_date(self):
        household = registered()
        raise_alert(household, D)
        household.verify_at_home(1, Finding.NO_RISK, **when(D + timedelta(3)))
        correct(household, "step:1:identification:home_visit", {"occurred_on": "2023-03-02"})
        assert household.cases[0].closed_on == date(2023, 3, 2)

    def test_correcting_a_step_date_and_reason(self):
        household = monitored()
        correct(
            household,
            "step:1:identification:township_review",
            {"occurred_on": "2023-03-05", "reason": "补录初审意见"},
        )
        step = household.cases[0].identification.township_review
        assert (step.occurred_on, step.reason) == (date(2023, 3, 5), "补录初审意见")

    def test_correcting_the_county_rejection_date_corrects_the_closing_date(self):
        household = registered()
        raise_alert(household, D)
        household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(D + timedelta(1)))
        household.complete_township_review(1, Decision.PASSED, **when(D + timedelta(2)))
        household.conclude_village_deliberation(
            1,
            Decision.PASSED,
            notice_from=D + timedelta(2),
            notice_to=D + timedelta(6),
            **when(D + timedelta(7)),
        )
        household.decide_at_county(1, Decision.REJECTED, reason="有车辆", **when(D + timedelta(9), COUNTY))
        correct(
            household,
            "step:1:identification:county_decision",
            {"occurred_on": "2023-03-09", "reason": "比对发现有小轿车"},
        )
        assert household.cases[0].closed_on == date(2023, 3, 9)
        assert household.cases[0].closed_reason == "比对发现有小轿车"

    def test_correcting_the_inclusion_date_corrects_included_on_and_days_to_inclusion(self):
        household = monitored()
        correct(household, "case:1", {"occurred_on": "2023-03-12"})
        case = household.cases[0]
        assert case.included_on == date(2023, 3, 12)
        assert case.days_to_inclusion == 11

    def test_correcting_the_elimination_date_corrects_eliminated_on(self):
        household = monitored()
        ready = help_until_eliminable(household, D + timedelta(8))
        eliminate(household, ready)
        correct(
            household,
            "step:1:elimination:county_decision",
            {"occurred_on": (ready + timedelta(9)).isoformat()},
            on=ready + timedelta(20),
        )
        assert household.cases[0].eliminated_on == ready + timedelta(9)

    def test_given_a_corrected_date_after_the_recording_day_then_DATE_IN_FUTURE(self):
        household = monitored()
        with refused(household, "DATE_IN_FUTURE"):
            correct(household, "step:1:identification:home_visit", {"occurred_on": "2030-01-01"})

    def test_given_a_corrected_step_date_before_its_prerequisite_then_DATE_ORDER(self):
        household = monitored()
        with refused(household, "DATE_ORDER"):
            correct(household, "step:1:identification:village_notice", {"occurred_on": "2023-02-01"})

    def test_correcting_a_superseded_elimination_step_is_refused_as_a_domain_error(self):
        household = monitored()
        ready = help_until_eliminable(household, D + timedelta(8))
        household.verify_elimination_at_home(EliminationMode.BY_HELP, line_in_force=LINE, **when(ready))
        household.complete_elimination_review(Decision.PASSED, **when(ready))
        household.conclude_elimination_notice(
            Decision.PASSED,
            notice_from=ready,
            notice_to=ready + timedelta(4),
            **when(ready + timedelta(4)),
        )
        household.decide_elimination_at_county(
            Decision.REJECTED, line_in_force=LINE, reason="不稳定", **when(ready + timedelta(5))
        )
        rejected_version = household.version
        household.verify_elimination_at_home(
            EliminationMode.BY_HELP, line_in_force=LINE, **when(ready + timedelta(30))
        )
        with pytest.raises(DomainError):
            correct(household, rejected_version, {"reason": "补充理由"}, on=ready + timedelta(31))


class TestCorrectingOtherFacts:
    def test_a_joined_member_name_and_schooling(self):
        household = registered()
        child = make_id(date(2012, 1, 1))
        household.join_member(member("王小", child, Relation.SON), JoinReason.MOVED_IN, **when(D))
        correct(household, f"member:{child}", {"name": "王晓", "in_school": True})
        assert household.members[child].name == "王晓"
        assert household.members[child].in_school is True

    def test_a_registered_member_name_can_be_corrected(self):
        household = registered()
        head = household.head.id_number
        household.correct(1, {"name": "张叁"}, "姓名录错", member_id_number=head, **when(LATER, COUNTY))
        assert household.members[head].name == "张叁"
        event = household.pending_events[-1]
        assert event.corrects_version == 1 and event.corrects_subject == f"member:{head}"

    def test_a_joined_member_cannot_be_corrected_through_the_registration(self):
        household = registered()
        child = make_id(date(2012, 1, 1))
        household.join_member(member("王小", child, Relation.SON), JoinReason.BIRTH, **when(D))
        with refused(household, "CORRECTION_TARGET", "member_id_number"):
            household.correct(1, {"name": "王晓"}, "录错", member_id_number=child, **when(LATER, COUNTY))

    def test_an_assessment_correction_changes_the_per_capita_income(self):
        household = registered()
        household.assess_income(
            assessment_id="I-1",
            year=2022,
            wages=Decimal("9000"),
            business=Decimal(0),
            property=Decimal(0),
            transfers=Decimal(0),
            production_costs=Decimal(0),
            line_in_force=LINE,
            **when(D),
        )
        correct(household, "assessment:I-1", {"wages": "30000", "production_costs": 300})
        assessment = household.assessments[0]
        assert assessment.per_capita == Decimal("9900.00") and not assessment.below_line

    def test_a_visit_correction(self):
        household = registered()
        household.record_visit(visit_id="V-1", visitor="王", checks=all_checks(), **when(D))
        correct(household, "visit:V-1", {"occurred_on": "2023-02-28", "income_change": "-50"})
        visit = household.visits[0]
        assert visit.occurred_on == date(2023, 2, 28) and visit.income_change == Decimal("-50")

    def test_a_payout_correction(self):
        household = monitored()
        household.pay_relief_insurance(
            payout_id="P-1", cause=RiskType.ILLNESS, amount=Decimal("3000"), **PAYOUT,
            **when(D + timedelta(10)),
        )
        correct(household, "payout:P-1", {"amount": "3500"})
        assert household.payouts["P-1"].amount == Decimal("3500")

    def test_a_payout_is_not_corrected_above_what_its_bands_gave(self):
        household = monitored()
        household.pay_relief_insurance(  # a cost of 20,000 of illness: at most 7,500
            payout_id="P-1", cause=RiskType.ILLNESS, amount=Decimal("3000"), **PAYOUT,
            **when(D + timedelta(10)),
        )
        with refused(household, "RELIEF_ABOVE_BAND", "changes.amount"):
            correct(household, "payout:P-1", {"amount": "7500.01"})
        correct(household, "payout:P-1", {"amount": "7500"})

    def test_a_planned_measure_does_not_count_as_in_place_after_a_correction(self):
        household = monitored()
        analyse(household, D + timedelta(8))
        household.assign_measure(
            measure_id="M-1",
            measure_type=MeasureType.HEALTH,
            department=Department.HEALTH,
            responsible_person="王",
            **when(D + timedelta(9)),
        )
        with contextlib.suppress(DomainError):
            correct(household, "measure:M-1", {"in_place_on": "2023-03-11"})
        assert household.measures["M-1"].status is MeasureStatus.PLANNED
        blockers = rules.elimination_blockers(household, household.cases[0], date(2023, 12, 1), LINE)
        assert "ELIMINATION_NO_MEASURE" in [code for code, _ in blockers]


class TestCorrectingTheCategory:
    def test_given_a_category_that_fits_then_the_household_category_changes(self):
        household = monitored()
        correct(household, "case:1", {"category": "突发严重困难户"})
        assert household.category is Category.SUDDEN_SEVERE_HARDSHIP

    def test_given_a_category_that_does_not_fit_an_ordinary_household_then_CATEGORY_MISMATCH(self):
        household = monitored()
        with refused(household, "CATEGORY_MISMATCH", "category"):
            correct(household, "case:1", {"category": "脱贫不稳定户"})

    def test_given_a_category_that_does_not_fit_a_lifted_out_household_then_CATEGORY_MISMATCH(self):
        household = monitored(HouseholdType.LIFTED_OUT)
        with refused(household, "CATEGORY_MISMATCH", "category"):
            correct(household, "case:1", {"category": "边缘易致贫户"})


class TestRefusedCorrections:
    def test_given_a_field_that_is_not_correctable_then_FIELD_NOT_CORRECTABLE(self):
        household = monitored()
        with refused(household, "FIELD_NOT_CORRECTABLE", "changes.code") as info:
            correct(household, "household", {"code": "X"})
        assert "address" in info.value.message
        with refused(household, "FIELD_NOT_CORRECTABLE", "changes.decision"):
            correct(household, "step:1:identification:home_visit", {"decision": "不通过"})

    @pytest.mark.parametrize("version", [0, 999, -1])
    def test_given_an_unknown_version_then_CORRECTION_TARGET(self, version):
        household = monitored()
        with refused(household, "CORRECTION_TARGET", "corrects_version"):
            correct(household, version, {"address": "x"})

    def test_given_a_version_whose_event_records_nothing_correctable_then_CORRECTION_TARGET(self):
        household = monitored()
        correct(household, "household", {"address": "新地址"})
        with refused(household, "CORRECTION_TARGET"):
            correct(household, household.version, {"address": "再改"})  # a correction itself

    @pytest.mark.parametrize(
        ("subject", "changes", "field"),
        [
            ("household", {"address": "  "}, "changes.address"),
            ("alert:A-1", {"discovered_on": "2023-13-01"}, "changes.discovered_on"),
            ("alert:A-1", {"discovered_on": 20230301}, "changes.discovered_on"),
            ("alert:A-1", {"risk_types": []}, "changes.risk_types"),
            ("alert:A-1", {"risk_types": ["因穷"]}, "changes.risk_types"),
            ("alert:A-1", {"description": 5}, "changes.description"),
            ("step:1:identification:home_visit", {"occurred_on": None}, "changes.occurred_on"),
            ("assessment:I-1", {"wages": "-1"}, "changes.wages"),
            ("assessment:I-1", {"wages": "abc"}, "changes.wages"),
            ("assessment:I-1", {"wages": True}, "changes.wages"),
        ],
    )
    def test_given_a_value_of_the_wrong_kind_then_CORRECTION_VALUE(self, subject, changes, field):
        household = registered()
        raise_alert(household, D, alert_id="A-1")
        household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(D))
        household.assess_income(
            assessment_id="I-1",
            year=2022,
            wages=Decimal("9000"),
            business=Decimal(0),
            property=Decimal(0),
            transfers=Decimal(0),
            production_costs=Decimal(0),
            line_in_force=LINE,
            **when(D),
        )
        with refused(household, "CORRECTION_VALUE", field):
            correct(household, subject, changes)

    def test_given_a_flag_that_is_not_a_boolean_then_CORRECTION_VALUE(self):
        household = registered()
        child = make_id(date(2012, 1, 1))
        household.join_member(member("王小", child, Relation.SON), JoinReason.MOVED_IN, **when(D))
        with refused(household, "CORRECTION_VALUE", "changes.in_school"):
            correct(household, f"member:{child}", {"in_school": "yes"})

    def test_given_no_changes_then_CHANGES_REQUIRED(self):
        household = monitored()
        with refused(household, "CHANGES_REQUIRED", "changes"):
            correct(household, "household", {})

    def test_given_no_reason_then_REQUIRED(self):
        household = monitored()
        with refused(household, "REQUIRED", "reason"):
            correct(household, "household", {"address": "x"}, reason=" ")

    def test_given_a_correction_dated_after_the_recording_day_then_DATE_IN_FUTURE(self):
        household = monitored()
        with refused(household, "DATE_IN_FUTURE", "occurred_on"):
            household.correct(
                1, {"address": "x"}, "r", occurred_on=LATER + timedelta(1), by=COUNTY, at=at(LATER)
            )

    def test_a_visit_check_is_not_correctable(self):
        household = registered()
        household.record_visit(visit_id="V-1", visitor="王", checks=all_checks(), **when(D))
        with refused(household, "FIELD_NOT_CORRECTABLE"):
            correct(household, "visit:V-1", {"checks": {Check.FOOD: False}})


def test_a_correction_that_would_leave_no_head_is_refused():
    household = registered()
    head = household.head.id_number
    with refused(household, "HEAD_REQUIRED", "changes.relation"):
        household.correct(1, {"relation": "配偶"}, "录错", member_id_number=head, **when(LATER, COUNTY))


def test_the_home_visit_cannot_be_corrected_to_after_the_green_channel_it_led_to():
    household = registered()
    number = raise_alert(household, date(2025, 3, 1), risk_types=(RiskType.ACCIDENT,)).case_number
    household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(date(2025, 3, 2)))
    household.open_green_channel(number, SuddenHardship.ACCIDENT, studied_on=date(2025, 3, 3),
                                 approved_on=date(2025, 3, 4), **when(date(2025, 3, 4), COUNTY))
    visit_version = 3
    with refused(household, "DATE_ORDER", "changes.occurred_on"):
        household.correct(visit_version, {"occurred_on": "2025-03-04"}, "日期录错",
                          **when(date(2025, 3, 10), COUNTY))
    household.correct(visit_version, {"occurred_on": "2025-03-03"}, "日期录错",
                      **when(date(2025, 3, 10), COUNTY))
    assert household.cases[0].identification.home_visit.occurred_on == date(2025, 3, 3)
