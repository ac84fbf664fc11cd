"""Objections and appeals (异议与申诉, domain.md §14): against a refusal, a category or an
elimination; answered by the unit that decided; upheld reopens the decision."""

from __future__ import annotations

from datetime import date, timedelta

from household_kit import (
    COUNTY,
    TOWNSHIP,
    VILLAGE,
    eliminate,
    help_until_eliminable,
    include,
    raise_alert,
    refused,
    registered,
    replay,
    when,
)

from domain.codes import (
    AppealSubject,
    Category,
    Decision,
    Finding,
    HouseholdType,
    ObjectionOutcome,
    RiskType,
)
from domain.household import Household

D = date(2023, 3, 1)


def refused_at_county(household: Household) -> int:
    number = raise_alert(household, D).case_number
    household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(D + timedelta(1)))
    household.conclude_village_deliberation(number, Decision.PASSED, notice_from=D + timedelta(2),
                                            notice_to=D + timedelta(6), **when(D + timedelta(7)))
    household.complete_township_review(number, Decision.PASSED, **when(D + timedelta(3), TOWNSHIP))
    household.decide_at_county(number, Decision.REJECTED, reason="存款超过标准",
                               **when(D + timedelta(8), COUNTY))
    return number


def lodge(household: Household, number: int, against: AppealSubject, on: date, appeal_id: str = "SS-1"):
    household.lodge_appeal(number, against, appeal_id=appeal_id, appellant="张三", content="存款是借的",
                           by_household=True, **when(on, VILLAGE))


def test_an_upheld_appeal_against_a_refusal_reopens_the_county_decision() -> None:
    household = registered()
    number = refused_at_county(household)
    assert household.cases[0].closed
    lodge(household, number, AppealSubject.REFUSAL, D + timedelta(10))
    appeal = household.cases[0].appeals[0]
    assert (appeal.due_on, appeal.deciding_role.value) == (D + timedelta(25), "县防贫中心")
    # the township did not decide: it cannot answer
    with refused(household, "APPEAL_NOT_DECIDING_UNIT", "appeal_id"):
        household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD, **when(D + timedelta(12), TOWNSHIP))
    household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD, reason="借款有凭据",
                            **when(D + timedelta(12), COUNTY))
    case = household.cases[0]
    assert case.active and not case.closed and case.identification.county_decision is None
    # and the county decides again, through the same step
    household.decide_at_county(number, Decision.PASSED, category=Category.EDGE_OF_POVERTY,
                               asset_comparison="借款已核实", **when(D + timedelta(13), COUNTY))
    assert household.is_monitoring_object
    assert replay(household.collect_events()).cases[0].included_on == D + timedelta(13)


def test_an_appeal_not_upheld_says_why_and_the_decision_stands() -> None:
    household = registered()
    number = refused_at_county(household)
    lodge(household, number, AppealSubject.REFUSAL, D + timedelta(10))
    with refused(household, "APPEAL_OPEN", "case_number"):
        lodge(household, number, AppealSubject.REFUSAL, D + timedelta(11), "SS-2")
    with refused(household, "REQUIRED", "reason"):
        household.answer_appeal(number, "SS-1", ObjectionOutcome.NOT_UPHELD,
                                **when(D + timedelta(12), COUNTY))
    household.answer_appeal(number, "SS-1", ObjectionOutcome.NOT_UPHELD, reason="存款属实",
                            **when(D + timedelta(30), COUNTY))
    appeal = household.cases[0].appeals[0]
    assert household.cases[0].closed and appeal.answered_on > appeal.due_on  # answered late
    with refused(household, "APPEAL_ANSWERED", "appeal_id"):
        household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD, **when(D + timedelta(31), COUNTY))


def test_a_category_appeal_gives_the_new_category_and_it_must_fit() -> None:
    household = registered(HouseholdType.LIFTED_OUT)
    number = include(household, D, category=Category.SUDDEN_SEVERE_HARDSHIP)
    lodge(household, number, AppealSubject.CATEGORY, D + timedelta(20))
    with refused(household, "CATEGORY_REQUIRED", "new_category"):
        household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD, **when(D + timedelta(21), COUNTY))
    with refused(household, "CATEGORY_MISMATCH", "category"):
        household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD,
                                new_category=Category.EDGE_OF_POVERTY, **when(D + timedelta(21), COUNTY))
    household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD,
                            new_category=Category.UNSTABLE_LIFTED_OUT, **when(D + timedelta(21), COUNTY))
    assert household.category is Category.UNSTABLE_LIFTED_OUT


def test_an_upheld_appeal_against_an_elimination_makes_the_household_monitored_again() -> None:
    household = registered()
    number = include(household, D)
    start = help_until_eliminable(household, D + timedelta(8))
    eliminate(household, start)
    assert not household.is_monitoring_object
    with refused(household, "NOTHING_TO_APPEAL", "against"):
        lodge(household, number, AppealSubject.CATEGORY, start + timedelta(9))
    with refused(household, "DATE_ORDER", "occurred_on"):
        lodge(household, number, AppealSubject.ELIMINATION, start + timedelta(7))
    lodge(household, number, AppealSubject.ELIMINATION, start + timedelta(9))
    household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD, reason="仍靠借债看病",
                            **when(start + timedelta(10), COUNTY))
    assert household.is_monitoring_object and household.cases[0].elimination is None
    # the four steps start over
    eliminate(household, start + timedelta(11))
    assert not household.is_monitoring_object


def test_an_appeal_is_on_the_latest_case_and_never_reopens_one_a_new_case_followed() -> None:
    household = registered()
    first = refused_at_county(household)
    lodge(household, first, AppealSubject.REFUSAL, D + timedelta(10))
    second = raise_alert(household, D + timedelta(11), risk_types=(RiskType.DISABILITY,)).case_number
    assert second == 2
    with refused(household, "APPEAL_SUPERSEDED", "outcome"):
        household.answer_appeal(first, "SS-1", ObjectionOutcome.UPHELD, **when(D + timedelta(12), COUNTY))
    with refused(household, "APPEAL_NOT_LATEST_CASE", "case_number"):
        lodge(household, first, AppealSubject.REFUSAL, D + timedelta(12), "SS-2")


def test_appeals_answered_within_fifteen_days_are_counted_on_time() -> None:
    """申诉按期办结率: each appeal counts in the period its 15-day deadline falls in, once the
    deadline is over or it was answered; answered after it is late."""
    from test_indicators import figure, tally

    on_time, late, waiting = registered(), registered(), registered()
    for household, answered in ((on_time, 14), (late, 20), (waiting, None)):
        number = refused_at_county(household)
        lodge(household, number, AppealSubject.REFUSAL, D + timedelta(10))
        if answered:
            household.answer_appeal(number, "SS-1", ObjectionOutcome.NOT_UPHELD, reason="存款属实",
                                    **when(D + timedelta(10 + answered), COUNTY))

    def on(today: date) -> tuple[int, int]:
        return figure(tally([on_time, late, waiting], "2023-03", today), "appeals_on_time")

    # due 2023-03-26: on the 25th only the one already answered counts
    assert on(date(2023, 3, 25)) == (1, 1)
    assert on(date(2023, 4, 30)) == (1, 3)


def test_the_village_answers_an_appeal_against_its_deliberation_and_a_category_appeal_needs_a_monitored_case(
        ) -> None:
    household = registered()
    number = raise_alert(household, D).case_number
    household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(D + timedelta(1)))
    household.conclude_village_deliberation(number, Decision.REJECTED, notice_from=D + timedelta(2),
                                            notice_to=D + timedelta(6), reason="评议认为收入较高",
                                            **when(D + timedelta(7)))
    lodge(household, number, AppealSubject.REFUSAL, D + timedelta(8))
    assert household.cases[0].appeals[0].deciding_role.value == "村联络站"
    with refused(household, "APPEAL_NOT_DECIDING_UNIT", "appeal_id"):
        household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD, **when(D + timedelta(9), TOWNSHIP))
    household.answer_appeal(number, "SS-1", ObjectionOutcome.UPHELD, reason="收入系一次性补偿",
                            **when(D + timedelta(9), VILLAGE))
    assert household.cases[0].identification.village_notice is None and household.active_case

    # a category appeal still open when the risk was eliminated cannot rewrite the category
    other = registered()
    case = include(other, D)
    lodge(other, case, AppealSubject.CATEGORY, D + timedelta(9))
    start = help_until_eliminable(other, D + timedelta(8))
    eliminate(other, start)
    with refused(other, "NOTHING_TO_APPEAL", "against"):
        other.answer_appeal(case, "SS-1", ObjectionOutcome.UPHELD,
                            new_category=Category.SUDDEN_SEVERE_HARDSHIP,
                            **when(start + timedelta(9), COUNTY))


def test_an_appeal_is_due_by_the_deadline_it_was_lodged_under() -> None:
    """Given the county's answer deadline of 10 days, the appeal is due 10 days after it was
    lodged; one recorded before deadlines were recorded is due after the 15 days of then."""
    household = registered()
    number = refused_at_county(household)
    lodged_on = D + timedelta(10)
    household.lodge_appeal(number, AppealSubject.REFUSAL, appeal_id="SS-1", appellant="张三",
                           content="存款是借的", by_household=True, answer_within_days=10,
                           **when(lodged_on, VILLAGE))
    appeal = household.cases[0].appeals[0]
    assert appeal.due_on == lodged_on + timedelta(10) == appeal.answer_by
    appeal.answer_by = None  # as an appeal lodged before the deadline was recorded
    assert appeal.due_on == lodged_on + timedelta(15)
    assert replay(list(household.collect_events())).cases[0].appeals[0].answer_by == lodged_on + timedelta(10)
