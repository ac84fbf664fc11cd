"""Green channel (绿色通道): help before steps 2–4 for sudden risks, steps still owed (§6)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from household_kit import (
    COUNTY,
    TOWNSHIP,
    include,
    raise_alert,
    refused,
    registered,
    when,
)

from domain.codes import (
    CaseStage,
    Category,
    Decision,
    Department,
    DisasterKind,
    Finding,
    LabourCapacity,
    MeasureType,
    RiskType,
    SuddenHardship,
)
from domain.household import Household

D = date(2023, 7, 20)


def d(n: int) -> date:
    return D + timedelta(n)


def visited(risk_types=(RiskType.NATURAL_DISASTER,), **kw) -> Household:
    household = registered()
    if RiskType.NATURAL_DISASTER in risk_types:
        kw.setdefault("disaster_kind", DisasterKind.FLOOD)
    raise_alert(household, D, risk_types=risk_types, **kw)
    household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(d(1)))
    return household


def open_channel(
    household: Household,
    hardship=SuddenHardship.NATURAL_DISASTER,
    *,
    studied: int = 1,
    approved: int = 2,
    on: int = 2,
) -> None:
    household.open_green_channel(
        1, hardship, studied_on=d(studied), approved_on=d(approved), **when(d(on), COUNTY)
    )


def assign(household: Household, measure_id: str = "M-1", on: int = 3) -> None:
    household.assign_measure(
        measure_id=measure_id,
        measure_type=MeasureType.HOUSING_SAFETY,
        department=Department.HOUSING,
        responsible_person="住建所长",
        **when(d(on), TOWNSHIP),
    )


def analyse(household: Household, on: int = 3) -> None:
    household.analyse_risk(
        causes=[RiskType.NATURAL_DISASTER],
        labour_capacity=LabourCapacity.WEAK,
        needs=[MeasureType.HOUSING_SAFETY],
        **when(d(on), TOWNSHIP),
    )


class TestOpeningTheGreenChannel:
    @pytest.mark.parametrize(
        ("risk_types", "hardship"),
        [
            ((RiskType.NATURAL_DISASTER,), SuddenHardship.NATURAL_DISASTER),
            ((RiskType.ACCIDENT,), SuddenHardship.ACCIDENT),
            ((RiskType.ILLNESS,), SuddenHardship.EPIDEMIC),
            ((RiskType.SCHOOLING, RiskType.ACCIDENT), SuddenHardship.ACCIDENT),
        ],
    )
    def test_given_a_confirmed_sudden_risk_then_the_channel_opens(self, risk_types, hardship):
        household = visited(risk_types)
        open_channel(household, hardship)
        channel = household.cases[0].green_channel
        assert channel is not None
        assert (channel.opened_on, channel.hardship) == (d(2), hardship)
        assert (channel.studied_on, channel.approved_on) == (d(1), d(2))
        assert household.cases[0].helpable and not household.cases[0].included

    def test_given_no_home_visit_yet_then_GREEN_CHANNEL_BEFORE_VISIT(self):
        household = registered()
        raise_alert(household, D, risk_types=(RiskType.ACCIDENT,))
        with refused(household, "GREEN_CHANNEL_BEFORE_VISIT", "case_number"):
            open_channel(household, SuddenHardship.ACCIDENT)

    def test_given_the_visit_found_no_risk_then_the_closed_case_refuses(self):
        household = registered()
        raise_alert(household, D, risk_types=(RiskType.ACCIDENT,))
        household.verify_at_home(1, Finding.NO_RISK, **when(d(1)))
        with refused(household, "CASE_CLOSED", "case_number"):
            open_channel(household, SuddenHardship.ACCIDENT)

    @pytest.mark.parametrize("hardship", list(SuddenHardship))
    def test_given_schooling_risk_then_GREEN_CHANNEL_NOT_SUDDEN(self, hardship):
        household = visited((RiskType.SCHOOLING,))
        with refused(household, "GREEN_CHANNEL_NOT_SUDDEN", "hardship") as info:
            open_channel(household, hardship)
        assert "因学" in info.value.message

    def test_given_a_hardship_that_does_not_match_the_risk_then_GREEN_CHANNEL_NOT_SUDDEN(self):
        household = visited((RiskType.ILLNESS,))
        with refused(household, "GREEN_CHANNEL_NOT_SUDDEN", "hardship"):
            open_channel(household, SuddenHardship.NATURAL_DISASTER)

    def test_given_the_channel_already_open_then_GREEN_CHANNEL_OPEN(self):
        household = visited()
        open_channel(household)
        with refused(household, "GREEN_CHANNEL_OPEN", "case_number"):
            open_channel(household, on=3)

    def test_given_the_study_before_the_visit_then_DATE_ORDER(self):
        household = visited()
        with refused(household, "DATE_ORDER", "studied_on"):
            open_channel(household, studied=0)

    def test_given_an_approval_after_the_opening_then_DATE_ORDER(self):
        household = visited()
        with refused(household, "DATE_ORDER", "approved_on"):
            open_channel(household, approved=3, on=2)

    def test_given_an_included_case_then_CASE_DECIDED(self):
        household = registered()
        include(household, D, risk_types=(RiskType.ACCIDENT,))
        with refused(household, "CASE_DECIDED", "case_number"):
            household.open_green_channel(
                1, SuddenHardship.ACCIDENT, studied_on=d(9), approved_on=d(9), **when(d(9))
            )


class TestHelpBeforeInclusion:
    def test_given_the_green_channel_open_then_analysis_and_measures_are_allowed(self):
        household = visited()
        open_channel(household)
        analyse(household)
        assign(household)
        assert household.analyses[0].case_number == 1
        assert household.analyses[0].needs == (MeasureType.HOUSING_SAFETY,)
        assert household.measures["M-1"].case_number == 1
        assert household.cases[0].stage is CaseStage.IDENTIFYING

    def test_given_a_case_in_identification_without_green_channel_then_NOT_UNDER_HELP(self):
        household = visited()
        with refused(household, "NOT_UNDER_HELP", "causes"):
            analyse(household)
        with refused(household, "NOT_UNDER_HELP", "measure_type"):
            assign(household)

    def test_given_no_case_at_all_then_NOT_UNDER_HELP(self):
        household = registered()
        with refused(household, "NOT_UNDER_HELP", "measure_type"):
            assign(household)

    def test_given_the_green_channel_case_rejected_later_then_help_stops(self):
        household = visited()
        open_channel(household)
        household.complete_township_review(
            1, Decision.REJECTED, reason="已获保险理赔", **when(d(4), TOWNSHIP)
        )
        assert not household.cases[0].helpable
        with refused(household, "NOT_UNDER_HELP"):
            assign(household, on=5)


class TestOwedSteps:
    def test_steps_two_to_four_stay_owed_and_shrink_as_they_are_completed(self):
        household = visited()
        open_channel(household)
        case = household.cases[0]
        owed = [case.identification.owed_steps]
        household.complete_township_review(1, Decision.PASSED, **when(d(3), TOWNSHIP))
        owed.append(case.identification.owed_steps)
        household.conclude_village_deliberation(
            1, Decision.PASSED, notice_from=d(3), notice_to=d(7), **when(d(8))
        )
        owed.append(case.identification.owed_steps)
        household.decide_at_county(
            1,
            Decision.PASSED,
            category=Category.SUDDEN_SEVERE_HARDSHIP,
            simplified=True,
            **when(d(9), COUNTY),
        )
        owed.append(case.identification.owed_steps)
        assert owed == [
            ("village_notice", "township_review", "county_decision"),
            ("village_notice", "county_decision"),
            ("county_decision",),
            (),
        ]
        assert case.included and case.green_channel is not None
        assert case.days_to_inclusion == 9
