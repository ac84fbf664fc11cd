"""Finding risk: the three channels, what an alert must carry, duplicates, and which case an alert
opens or joins (domain.md §5)."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from household_kit import (
    DEPARTMENT,
    at,
    eliminate,
    help_until_eliminable,
    include,
    make_id,
    other_members,
    raise_alert,
    refused,
    when,
)

from domain import rules
from domain.codes import (
    CaseStage,
    Channel,
    Decision,
    Department,
    DisasterKind,
    Finding,
    LeaveReason,
    Problem,
    RiskType,
    Tier,
)
from domain.errors import DomainError
from domain.household import AlertOutcome

DAY = date(2023, 3, 1)


def push(
    household,
    on=DAY,
    *,
    tier=Tier.PROVINCIAL,
    department=Department.MEDICAL_INSURANCE,
    risk_types=(RiskType.ILLNESS,),
    **kw,
) -> AlertOutcome:
    """A department alert (部门筛查预警)."""
    return raise_alert(
        household,
        on,
        channel=Channel.DEPARTMENT_ALERT,
        department=department,
        tier=tier,
        risk_types=risk_types,
        **kw,
    )


class TestThreeChannels:
    @pytest.mark.parametrize("channel", [Channel.SELF_DECLARATION, Channel.CADRE_SCREENING])
    def test_given_a_household_or_cadre_alert_then_it_opens_a_case(self, household, channel):
        outcome = raise_alert(household, DAY, channel=channel, alert_id="A-1", description="住院花费大")
        assert outcome == AlertOutcome("A-1", 1, None, True)
        alert = household.alerts["A-1"]
        assert alert.channel is channel
        assert alert.discovered_on == DAY
        assert alert.department is None and alert.tier is None
        assert alert.description == "住院花费大"
        assert alert.case_number == 1
        case = household.cases[0]
        assert case.opened_on == DAY
        assert case.alert_ids == ["A-1"]
        assert case.risk_types == (RiskType.ILLNESS,)
        assert case.stage is CaseStage.AWAITING_VISIT
        assert not case.re_entry

    def test_given_a_department_push_with_department_tier_and_batch_then_recorded(self, household):
        outcome = push(household, alert_id="D-1", batch_id="2023-03-上", tier=Tier.COUNTY)
        assert outcome.new_case and outcome.case_number == 1
        alert = household.alerts["D-1"]
        assert alert.department is Department.MEDICAL_INSURANCE
        assert alert.tier is Tier.COUNTY
        assert alert.batch_id == "2023-03-上"

    def test_the_alert_is_about_the_named_member_and_records_problem_flags(self, household):
        child = other_members(household)[1]
        raise_alert(
            household,
            DAY,
            person=child,
            risk_types=(RiskType.SCHOOLING,),
            alert_id="A-1",
            problems=[Problem.OUT_OF_SCHOOL, Problem.OUT_OF_SCHOOL],
        )
        alert = household.alerts["A-1"]
        assert alert.person_id_number == child
        assert alert.problems == (Problem.OUT_OF_SCHOOL,)

    def test_the_period_defaults_to_the_month_of_discovery(self, household):
        raise_alert(household, date(2023, 3, 31), alert_id="A-1")
        raise_alert(household, date(2023, 4, 2), alert_id="A-2", period=" 2023-04上半月 ")
        assert household.alerts["A-1"].period == "2023-03"
        assert household.alerts["A-2"].period == "2023-04上半月"


class TestDepartmentAndTier:
    def test_given_a_department_alert_without_department_then_DEPARTMENT_REQUIRED(self, household):
        with refused(household, "DEPARTMENT_REQUIRED", "department"):
            push(household, department=None)

    def test_given_a_department_alert_without_tier_then_TIER_REQUIRED(self, household):
        with refused(household, "TIER_REQUIRED", "tier"):
            push(household, tier=None)

    @pytest.mark.parametrize("channel", [Channel.SELF_DECLARATION, Channel.CADRE_SCREENING])
    @pytest.mark.parametrize(
        ("department", "tier"),
        [
            (Department.HEALTH, None),
            (None, Tier.PROVINCIAL),
            (Department.HEALTH, Tier.COUNTY),
        ],
    )
    def test_given_department_or_tier_on_another_channel_then_DEPARTMENT_UNEXPECTED(
        self, household, channel, department, tier
    ):
        with refused(household, "DEPARTMENT_UNEXPECTED", "department"):
            raise_alert(household, DAY, channel=channel, department=department, tier=tier)


class TestWhatAnAlertMustCarry:
    def test_given_a_natural_disaster_without_its_kind_then_DISASTER_KIND_REQUIRED(self, household):
        with refused(household, "DISASTER_KIND_REQUIRED", "disaster_kind"):
            raise_alert(household, DAY, risk_types=(RiskType.NATURAL_DISASTER,))

    def test_given_a_natural_disaster_with_its_kind_then_recorded(self, household):
        raise_alert(
            household,
            DAY,
            alert_id="A-1",
            risk_types=(RiskType.NATURAL_DISASTER,),
            disaster_kind=DisasterKind.FLOOD,
        )
        assert household.alerts["A-1"].disaster_kind is DisasterKind.FLOOD

    def test_given_a_disaster_kind_without_natural_disaster_then_DISASTER_KIND_UNEXPECTED(self, household):
        with refused(household, "DISASTER_KIND_UNEXPECTED", "disaster_kind"):
            raise_alert(household, DAY, disaster_kind=DisasterKind.FLOOD)

    def test_given_no_risk_type_then_RISK_TYPES_REQUIRED(self, household):
        with refused(household, "RISK_TYPES_REQUIRED", "risk_types"):
            raise_alert(household, DAY, risk_types=())

    def test_given_five_risk_types_then_accepted(self, household):
        five = (
            RiskType.ILLNESS,
            RiskType.DISABILITY,
            RiskType.SCHOOLING,
            RiskType.ACCIDENT,
            RiskType.LACK_OF_LABOUR,
        )
        raise_alert(household, DAY, risk_types=five)
        assert household.cases[0].risk_types == five

    def test_given_six_risk_types_then_RISK_TYPES_TOO_MANY(self, household):
        six = (
            RiskType.ILLNESS,
            RiskType.DISABILITY,
            RiskType.SCHOOLING,
            RiskType.ACCIDENT,
            RiskType.LACK_OF_LABOUR,
            RiskType.OTHER,
        )
        with refused(household, "RISK_TYPES_TOO_MANY", "risk_types"):
            raise_alert(household, DAY, risk_types=six)

    def test_repeated_risk_types_count_once(self, household):
        repeated = (RiskType.ILLNESS,) * 4 + (RiskType.DISABILITY,) * 3
        raise_alert(household, DAY, risk_types=repeated, alert_id="A-1")
        assert household.alerts["A-1"].risk_types == (RiskType.ILLNESS, RiskType.DISABILITY)

    def test_given_a_person_of_no_member_then_PERSON_NOT_MEMBER(self, household):
        with refused(household, "PERSON_NOT_MEMBER", "person_id_number"):
            raise_alert(household, DAY, person=make_id())

    def test_given_a_member_who_left_before_discovery_then_PERSON_NOT_MEMBER(self, household):
        spouse = other_members(household)[0]
        household.leave_member(spouse, LeaveReason.MOVED_OUT, **when(date(2023, 2, 1)))
        with refused(household, "PERSON_NOT_MEMBER", "person_id_number"):
            raise_alert(household, DAY, person=spouse)

    def test_given_a_member_who_left_after_discovery_then_accepted(self, household):
        spouse = other_members(household)[0]
        household.leave_member(spouse, LeaveReason.MOVED_OUT, **when(date(2023, 2, 1)))
        outcome = raise_alert(household, date(2023, 1, 20), person=spouse)
        assert outcome.new_case

    def test_given_an_invalid_id_number_then_the_id_rule_refuses(self, household):
        with refused(household, "ID_NUMBER_FORMAT", "person_id_number"):
            raise_alert(household, DAY, person="123")

    def test_given_an_alert_id_already_used_then_ALERT_ID_TAKEN(self, household):
        raise_alert(household, DAY, alert_id="A-1")
        with refused(household, "ALERT_ID_TAKEN", "alert_id"):
            raise_alert(household, DAY, alert_id="A-1", risk_types=(RiskType.DISABILITY,))

    def test_given_an_empty_alert_id_then_REQUIRED(self, household):
        with refused(household, "REQUIRED", "alert_id"):
            raise_alert(household, DAY, alert_id="  ")

    def test_given_a_discovery_after_the_recording_day_then_DATE_IN_FUTURE(self, household):
        with refused(household, "DATE_IN_FUTURE", "occurred_on"):
            household.raise_alert(
                alert_id="A-1",
                channel=Channel.SELF_DECLARATION,
                person_id_number=household.head.id_number,
                risk_types=[RiskType.ILLNESS],
                occurred_on=DAY + timedelta(1),
                by=DEPARTMENT,
                at=at(DAY),
            )


class TestDuplicates:
    def test_given_a_provincial_push_when_the_county_pushes_the_same_then_duplicate_of_first(self, household):
        first = push(household, tier=Tier.PROVINCIAL, alert_id="P-1")
        second = push(household, DAY + timedelta(3), tier=Tier.COUNTY, alert_id="C-1")
        assert first.new_case
        assert second == AlertOutcome("C-1", None, "P-1", False)
        assert household.alerts["C-1"].duplicate_of == "P-1"
        assert household.alerts["C-1"].case_number is None
        assert len(household.cases) == 1
        assert household.cases[0].alert_ids == ["P-1"]

    def test_a_duplicate_points_at_the_first_alert_not_the_previous_duplicate(self, household):
        push(household, alert_id="P-1")
        push(household, alert_id="C-1", tier=Tier.COUNTY)
        third = push(household, alert_id="C-2", tier=Tier.COUNTY)
        assert third.duplicate_of == "P-1"

    def test_given_a_different_period_then_not_a_duplicate_and_it_joins_the_case(self, household):
        push(household, alert_id="P-1")
        later = push(household, date(2023, 4, 2), alert_id="P-2")
        assert later == AlertOutcome("P-2", 1, None, False)
        assert household.cases[0].alert_ids == ["P-1", "P-2"]

    def test_given_an_explicit_different_period_then_not_a_duplicate(self, household):
        push(household, alert_id="P-1", period="2023-03上半月")
        later = push(household, alert_id="P-2", period="2023-03下半月")
        assert later.duplicate_of is None

    def test_given_another_department_then_not_a_duplicate(self, household):
        push(household, alert_id="P-1")
        other = push(household, alert_id="P-2", department=Department.HEALTH)
        assert other.duplicate_of is None and other.case_number == 1

    def test_given_another_person_then_not_a_duplicate(self, household):
        push(household, alert_id="P-1")
        other = push(household, alert_id="P-2", person=other_members(household)[0])
        assert other.duplicate_of is None

    def test_given_one_new_risk_type_among_known_ones_then_not_a_duplicate(self, household):
        push(household, alert_id="P-1")
        wider = push(household, alert_id="P-2", risk_types=(RiskType.ILLNESS, RiskType.DISABILITY))
        assert wider.duplicate_of is None
        assert household.cases[0].risk_types == (RiskType.ILLNESS, RiskType.DISABILITY)

    def test_given_a_subset_of_known_risk_types_then_a_duplicate(self, household):
        push(household, alert_id="P-1", risk_types=(RiskType.ILLNESS, RiskType.DISABILITY))
        narrower = push(household, alert_id="P-2", risk_types=(RiskType.DISABILITY,), tier=Tier.COUNTY)
        assert narrower.duplicate_of == "P-1"

    def test_a_self_declaration_twice_in_a_month_is_a_duplicate(self, household):
        raise_alert(household, DAY, alert_id="S-1")
        again = raise_alert(household, DAY + timedelta(5), alert_id="S-2")
        assert again.duplicate_of == "S-1"

    def test_a_self_declaration_and_a_cadre_screening_are_different_sources(self, household):
        raise_alert(household, DAY, alert_id="S-1")
        cadre = raise_alert(household, DAY, alert_id="K-1", channel=Channel.CADRE_SCREENING)
        assert cadre.duplicate_of is None and cadre.case_number == 1

    def test_the_duplicate_rule_outlives_a_closed_case_in_the_same_period(self, household):
        push(household, alert_id="P-1")
        household.verify_at_home(1, Finding.NO_RISK, **when(DAY + timedelta(1)))
        again = push(household, DAY + timedelta(2), alert_id="C-1", tier=Tier.COUNTY)
        assert again.duplicate_of == "P-1" and not again.new_case
        assert len(household.cases) == 1


class TestWhichCase:
    def test_given_an_active_case_then_a_new_alert_joins_it(self, household):
        raise_alert(household, DAY, alert_id="A-1")
        joined = raise_alert(
            household,
            DAY + timedelta(2),
            alert_id="A-2",
            channel=Channel.CADRE_SCREENING,
            risk_types=(RiskType.DISABILITY,),
        )
        assert joined == AlertOutcome("A-2", 1, None, False)
        case = household.cases[0]
        assert case.alert_ids == ["A-1", "A-2"]
        assert case.opened_on == DAY  # the clock runs from the first discovery
        assert case.risk_types == (RiskType.ILLNESS, RiskType.DISABILITY)

    def test_given_a_monitored_household_then_a_new_alert_joins_the_monitored_case(self, household):
        include(household, DAY)
        joined = raise_alert(household, date(2023, 5, 1), risk_types=(RiskType.DISABILITY,))
        assert joined.case_number == 1 and not joined.new_case
        assert len(household.cases) == 1

    def test_given_a_case_rejected_then_a_new_alert_opens_a_new_case_without_re_entry(self, household):
        raise_alert(household, DAY)
        household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(DAY + timedelta(1)))
        household.complete_township_review(
            1, Decision.REJECTED, reason="家庭收入较高", **when(DAY + timedelta(2))
        )
        outcome = raise_alert(household, date(2023, 4, 3))
        assert outcome.new_case and outcome.case_number == 2
        assert household.cases[1].re_entry is False
        assert household.cases[1].opened_on == date(2023, 4, 3)
        assert household.active_case is household.cases[1]

    def test_given_a_case_closed_by_no_risk_then_a_new_alert_opens_a_new_case(self, household):
        raise_alert(household, DAY)
        household.verify_at_home(1, Finding.NO_RISK, **when(DAY + timedelta(1)))
        outcome = raise_alert(household, date(2023, 4, 3))
        assert outcome.case_number == 2 and not household.cases[1].re_entry

    def test_given_the_risk_was_eliminated_then_a_new_alert_opens_a_re_entry_case(self, household):
        include(household, DAY)
        ready = help_until_eliminable(household, household.cases[0].included_on)
        eliminate(household, ready)
        assert household.cases[0].stage is CaseStage.ELIMINATED
        later = ready + timedelta(60)
        outcome = raise_alert(household, later)
        assert outcome.new_case and outcome.case_number == 2
        assert household.cases[1].re_entry is True
        assert household.cases[1].opened_on == later

    def test_a_monitored_case_never_carries_more_than_five_risk_types(self, household):
        include(household, DAY, risk_types=(RiskType.ILLNESS, RiskType.DISABILITY, RiskType.SCHOOLING))
        with contextlib.suppress(DomainError):
            raise_alert(
                household,
                date(2023, 5, 1),
                risk_types=(RiskType.ACCIDENT, RiskType.LACK_OF_LABOUR, RiskType.OTHER),
            )
        assert len(household.cases[0].risk_types) <= rules.MAX_RISK_TYPES
