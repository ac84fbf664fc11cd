"""Property tests of the tally: on random households' facts, periods and evaluation days, the
`Tally` gives exactly the plain sum of every indicator's items per unit, drill-down included;
a rule never counts a household it does not apply to; a household no indicator may count
adds nothing."""

from __future__ import annotations

import inspect
from datetime import date, timedelta
from decimal import Decimal

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from domain.cadences import Duty
from domain.codes import Department, HouseholdType
from domain.indicators import (
    INDICATORS,
    AlertFacts,
    Area,
    CaseFacts,
    Evaluation,
    HouseholdFacts,
    MemberFacts,
    Tally,
    definitions,
    may_count,
    settled_counts,
)
from domain.periods import Period, month_period, quarter_period, year_period
from tests.indicator_sums import COUNTY, plain_sums

TOWNSHIPS = ("东团堡乡", "王安镇")
DEPARTMENTS = (Department.MEDICAL_INSURANCE.value, Department.CIVIL_AFFAIRS.value, None)
FIRST = date(2024, 1, 1)

days = st.integers(min_value=0, max_value=3 * 366).map(lambda n: FIRST + timedelta(days=n))
maybe_days = st.none() | days


@st.composite
def case_facts(draw: st.DrawFn, number: int) -> CaseFacts:
    opened = draw(days)
    after = st.integers(min_value=0, max_value=120).map(lambda n: opened + timedelta(days=n))
    maybe_after = st.none() | after
    included = draw(maybe_after)
    appeals = draw(st.lists(st.tuples(after, after, maybe_after), max_size=2))
    return CaseFacts(
        number=number, opened_on=opened, channel=draw(st.sampled_from(["部门预警", "农户自主申报"])),
        department=draw(st.sampled_from(DEPARTMENTS)), re_entry=draw(st.booleans()),
        persons=draw(st.integers(1, 6)), home_visit_on=draw(maybe_after),
        village_on=draw(maybe_after), township_on=draw(maybe_after),
        green_channel_on=draw(maybe_after), procedure_done_on=draw(maybe_after),
        included_on=included, category="边缘易致贫户" if included else None,
        closed_on=draw(maybe_after), closed_how=draw(st.sampled_from([None, "核查无风险"])),
        first_in_place_on=draw(maybe_after), needs=tuple(draw(st.lists(st.just("因病"), max_size=1))),
        needs_met_on=draw(maybe_after), elimination_started_on=draw(maybe_after),
        elimination_refused_on=draw(maybe_after), eliminated_on=draw(maybe_after),
        appeals=tuple((f"S{number}-{n}", lodged, due, answered)
                      for n, (lodged, due, answered) in enumerate(appeals)),
    )


@st.composite
def household_facts(draw: st.DrawFn, code: str) -> HouseholdFacts:
    cases = tuple(draw(case_facts(n)) for n in range(1, draw(st.integers(0, 2)) + 1))
    alerts = tuple(
        AlertFacts(alert_id=f"{code}-A{n}", channel=draw(st.sampled_from(["部门预警", "农户自主申报"])),
                   department=draw(st.sampled_from(DEPARTMENTS)), tier=None, batch_id=None,
                   discovered_on=(found := draw(days)), received_on=found + timedelta(days=draw(
                       st.integers(0, 5))),
                   duplicate_of=draw(st.sampled_from([None, f"{code}-A0"])),
                   case_number=draw(st.sampled_from([None, *(c.number for c in cases)])),
                   risk_types=("因病",), problems=())
        for n in range(draw(st.integers(0, 2))))
    members = tuple(MemberFacts(spans=((draw(maybe_days), draw(maybe_days)),),
                                subsidised_years=tuple(draw(st.sets(st.sampled_from([2024, 2025]))))
                                ) for _ in range(draw(st.integers(1, 3))))
    incomes = tuple(sorted(draw(st.lists(st.tuples(days, st.integers(2000, 9000).map(Decimal)),
                                         max_size=3))))
    return HouseholdFacts(
        code=code, township=draw(st.sampled_from(TOWNSHIPS)), village="村", registered_on=draw(days),
        household_type=draw(st.sampled_from([HouseholdType.LIFTED_OUT.value,
                                             HouseholdType.ORDINARY.value])),
        members=members, cases=cases, alerts=alerts,
        visits=tuple(sorted(draw(st.lists(days, max_size=6)))), incomes=incomes,
        lifted_out_year=draw(st.sampled_from([None, 2020, 2025])),
    )


counties = st.integers(1, 6).flatmap(
    lambda n: st.tuples(*(household_facts(f"1306300100{i:02d}") for i in range(n))))
periods = st.sampled_from(
    [year_period(2025), year_period(2024), quarter_period(2025, 2), month_period(2025, 3),
     month_period(2026, 1)])
evaluations = st.builds(
    lambda today, ended_yesterday, lines, began: Evaluation(
        today, today - timedelta(days=int(ended_yesterday)), lines, began),
    days, st.booleans(),
    st.sampled_from([(), ((date(2024, 1, 1), Decimal(4600)),),
                     ((date(2024, 1, 1), Decimal(4600)), (date(2025, 7, 1), Decimal(5200)))]),
    st.none() | days)




def tally_of(facts: tuple[HouseholdFacts, ...], period: Period, on: Evaluation,
             detail: tuple[str, Area] | None = None) -> Tally:
    tally = Tally(period, on.today, COUNTY, detail=detail, ended=on.ended,
                  poverty_lines=on.poverty_lines, began=on.began)
    for h in facts:
        tally.add_household(h)
    return tally


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties, periods, evaluations)
def test_the_tally_is_the_plain_sum_of_every_rules_items(facts, period, on):
    tally = tally_of(facts, period, on)
    assert {(code, area.level, area.name): (f.numerator, f.denominator)
            for (code, area), f in tally.figures.items()} == plain_sums(facts, period, on)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties, periods, evaluations, st.sampled_from(
    [("timely_identification", Area("county", COUNTY)), ("visit_coverage", Area("township", TOWNSHIPS[0])),
     ("alert_verification", Area("department", DEPARTMENTS[0])), ("fell_back", Area("county", COUNTY))]))
def test_a_drill_down_keeps_the_items_of_its_indicator_and_unit_in_order(facts, period, on, detail):
    code, area = detail
    indicator = next(i for i in INDICATORS if i.code == code)
    expected = [item for h in facts for item in indicator.rule(h, period, on)
                if area.level == "county" or (area.level == "township" and item.township == area.name)
                or (area.level == "department" and item.department == area.name)]
    assert tally_of(facts, period, on, detail).items == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(household_facts("130630010001"), periods, evaluations)
def test_a_rule_counts_no_household_it_does_not_apply_to(h, period, on):
    for indicator in INDICATORS:
        if indicator.applies_to is not None and not indicator.applies_to(h):
            assert list(indicator.rule(h, period, on)) == [], indicator.code  # type: ignore[misc]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(household_facts("130630010001"), periods, evaluations)
def test_a_household_no_indicator_may_count_adds_nothing(h, period, on):
    quiet = HouseholdFacts(h.code, h.township, h.village, HouseholdType.ORDINARY.value,
                           h.registered_on, h.members, (), (), h.visits, (), h.lifted_out_year)
    assert not may_count(quiet)
    duties = (Duty("①", Department.MEDICAL_INSURANCE, "因病预警", "within_days_of_event", days=5),)
    tally = Tally(period, on.today, COUNTY, duties, ended=on.ended, poverty_lines=on.poverty_lines)
    tally.add_household(quiet)
    assert tally.figures == {} and tally.items == [] and tally.add_pushes([]) == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties, periods, evaluations, st.integers(0, 400))
def test_settled_counts_are_the_rules_counts_on_every_day_from_their_settled_day(
        facts, period, on, days_after):
    """Counted by their settled counts on a day at or after the day they settled, with the same
    poverty lines, households give the figures their facts give; before it, they are not used."""
    live = tally_of(facts, period, on)
    settled = Tally(period, on.today, COUNTY, ended=on.ended, poverty_lines=on.poverty_lines,
                    began=on.began)
    for h in facts:
        counts = settled_counts(h, period, on.poverty_lines)
        if counts.settled_on <= on.ended:
            settled.add_settled(counts.counts)
            settled.add_alerts(h.township, h.alerts)
        else:
            settled.add_household(h)
    assert settled.figures == live.figures
    # ...and on any day from the one they settled on, even years later
    h = facts[0]
    counts = settled_counts(h, period, on.poverty_lines)
    later = max(counts.settled_on, FIRST) + timedelta(days=days_after)
    again = Evaluation(later, later, on.poverty_lines)
    assert tally_of((h,), period, again).figures == _figures_from(counts.counts, period, again)


def _figures_from(counts, period, on):
    tally = Tally(period, on.today, COUNTY, ended=on.ended, poverty_lines=on.poverty_lines)
    tally.add_settled(counts)
    return tally.figures


def test_the_rules_ask_their_evaluation_about_days_and_never_read_its_days():
    """What makes settled counts sound: every question a rule asks about the evaluation day
    goes through the evaluation (which `Settling` notes)."""
    source = inspect.getsource(definitions)
    elsewhere = source.replace(inspect.getsource(definitions.Evaluation), "")
    assert ".today" not in elsewhere and ".ended" not in elsewhere

