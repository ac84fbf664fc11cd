"""Every figure is what the rules give, however it is computed. On demo counties of a few sizes
and seeds, both back ends, as the clock moves on without new events (what falls due and what is
overdue changes by itself): each figure of each indicator, unit and period — current, from the
read models, and as of a past time, from the log — equals a straightforward tally of every
household's facts by the indicators' rules; the current result recomputed from the log has the
same digest, figures and pushes; a drill-down lists the same households."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from application.demo import load_demo
from application.indicator_reads import FACTS_DECODER
from application.indicators import COUNTY, IndicatorResult, Indicators, end_of_day, figure_rows
from domain.indicators import INDICATORS, Area, Evaluation, HouseholdFacts, household_facts
from domain.periods import Period, month_period, quarter_period, year_period
from domain.policy import Line
from domain.rules import CHINA_TIME
from projections.runner import Projections
from tests.builders import COUNTY as COUNTY_CENTRE
from tests.indicator_sums import Figures, plain_sums

#: (households, seed, the demo's last day): a county within a year, and one across two.
COUNTIES = [(60, 3, date(2025, 7, 19)), (160, 2025, date(2025, 12, 31))]


def straightforward(facts: list[HouseholdFacts], period: Period, on: Evaluation) -> Figures:
    """Every household rule's items summed per unit, as the notice reads (`plain_sums`);
    indicators with nothing to count show for the county as 0 of 0."""
    sums = plain_sums(facts, period, on)
    for indicator in INDICATORS:
        if indicator.rule is not None:
            sums.setdefault((indicator.code, "county", COUNTY), (0, 0))
    return sums


def household_figures(result: IndicatorResult) -> Figures:
    return {(f.indicator.code, f.area.level, f.area.name): (f.numerator, f.denominator)
            for f in result.figures if f.indicator.rule is not None}


def evaluation(app, result: IndicatorResult) -> Evaluation:
    """The evaluation a result was judged on: its day, the last day over, the poverty lines in
    force and the day the county began recording."""
    today = result.evaluated_on
    ended = today if end_of_day(today) <= result.as_of else today - timedelta(days=1)
    policy = app.income_line_policy(result.as_of)
    lines = policy.poverty_lines_in_force() if policy else ()
    return Evaluation(today, ended, lines, result.began_on)


def facts_of_read_model(store) -> list[HouseholdFacts]:
    table = store.qualified("rm_indicator_facts")
    return [FACTS_DECODER.decode(row["facts"].encode())
            for row in store.fetch(f"SELECT facts FROM {table} ORDER BY household_id")]


def periods(year: int) -> list[Period]:
    return [year_period(year - 1), year_period(year), year_period(year + 1),
            *(quarter_period(year, q) for q in range(1, 5)),
            *(month_period(year, m) for m in range(1, 13))]


def evaluation_moments(last_day: date) -> list[datetime]:
    """The morning after the demo's last day, the last moment of a day (the day itself is
    over), then weeks, months and a year later: deadlines fall due, months end, anniversaries
    pass, with nothing recorded in between."""
    morning = datetime.combine(last_day + timedelta(days=1), time(9), CHINA_TIME)
    return [morning.astimezone(UTC),
            end_of_day(last_day + timedelta(days=2)).astimezone(UTC),
            (morning + timedelta(days=16)).astimezone(UTC),
            (morning + timedelta(days=47)).astimezone(UTC),
            (morning + timedelta(days=400)).astimezone(UTC)]


@pytest.mark.parametrize(("households", "seed", "last_day"), COUNTIES,
                         ids=[f"{n}-households-seed-{s}" for n, s, _ in COUNTIES])
def test_current_and_past_figures_are_the_rules_tally_of_every_household(
        make_app, clock, households, seed, last_day):
    moments = evaluation_moments(last_day)
    clock.now = moments[0]
    app = make_app()
    load_demo(app, households, seed=seed, until=last_day, now=clock())
    with Projections(app) as projections:
        projections.catch_up()
        indicators = Indicators(app, projections.store)
        indicators.adopt_cadences()
        projections.catch_up()
        facts = facts_of_read_model(projections.store)
        assert len(facts) == households
        counted = 0
        for moment in moments:
            clock.now = moment
            for period in periods(last_day.year):
                current = indicators.compute(period)
                assert current.source == "read_models"
                expected = straightforward(facts, period, evaluation(app, current))
                assert household_figures(current) == expected, (moment, period.label)
                counted += sum(1 for n, d in expected.values() if n or d)
            # The year and the demo's last month, recomputed from the log as of the current
            # result's time and position: the same inputs, so the same digest and figures.
            for period in (year_period(last_day.year), month_period(last_day.year, last_day.month)):
                current = indicators.compute(period)
                again = indicators.compute(period, as_of=current.as_of, position=current.position)
                assert again.source == "log"
                assert again.digest == current.digest
                assert figure_rows(again.figures) == figure_rows(current.figures)
                assert [(p.duty, p.period, p.status) for p in again.pushes] == [
                    (p.duty, p.period, p.status) for p in current.pushes]
        assert counted > 100  # the counties do count things


@pytest.mark.parametrize(("households", "seed", "last_day"), COUNTIES[:1],
                         ids=[f"{n}-households-seed-{s}" for n, s, _ in COUNTIES[:1]])
def test_figures_as_of_a_past_time_are_the_rules_tally_of_the_households_then(
        make_app, clock, households, seed, last_day):
    clock.now = evaluation_moments(last_day)[0]
    app = make_app()
    load_demo(app, households, seed=seed, until=last_day, now=clock())
    indicators = Indicators(app)
    for days_before in (1, 40, 120):
        as_of = end_of_day(last_day - timedelta(days=days_before))
        position = app.position_at(as_of, app.max_position())
        then = [household_facts(h) for h in indicators.households_as_of(position, as_of)]
        for period in (year_period(last_day.year), quarter_period(last_day.year, 2),
                       month_period(last_day.year, 3)):
            result = indicators.compute(period, as_of=as_of)
            assert result.source == "log"
            assert household_figures(result) == straightforward(
                then, period, evaluation(app, result)), (as_of, period.label)


def test_a_drill_down_lists_every_household_the_rules_count(make_app, clock):
    households, seed, last_day = COUNTIES[1]
    clock.now = evaluation_moments(last_day)[0]
    app = make_app()
    load_demo(app, households, seed=seed, until=last_day, now=clock())
    with Projections(app) as projections:
        projections.catch_up()
        indicators = Indicators(app, projections.store)
        facts = facts_of_read_model(projections.store)
        period = year_period(last_day.year)
        current = indicators.compute(period)
        on = evaluation(app, current)
        shown = 0
        for figure in current.figures:
            indicator = figure.indicator
            if indicator.rule is None or not (figure.numerator or figure.denominator):
                continue
            area = figure.area
            detail = indicators.compute(period, detail=(indicator.code, area))
            expected = sorted(
                (item for h in facts for item in indicator.rule(h, period, on)
                 if area.level == "county"
                 or (area.level == "township" and item.township == area.name)
                 or (area.level == "department" and item.department == area.name)),
                key=lambda i: i.key)
            assert detail.items == expected, (indicator.code, area)
            assert detail.digest == current.digest
            shown += 1
        assert shown > 10
        assert Area("county", COUNTY) in {f.area for f in current.figures}


def test_a_year_counted_from_settled_counts_follows_a_poverty_line_changed_afterwards(
        make_app, clock):
    # Given a demo year long over, its households' counts for it settled in the read model
    households, seed, last_day = COUNTIES[1]
    moments = evaluation_moments(last_day)
    clock.now = moments[0]
    app = make_app()
    load_demo(app, households, seed=seed, until=last_day, now=clock())
    clock.now = moments[-1]
    year = year_period(last_day.year)
    with Projections(app) as projections:
        projections.catch_up()
        indicators = Indicators(app, projections.store)
        facts = facts_of_read_model(projections.store)
        before = indicators.compute(year)
        ended = evaluation(app, before).ended
        table = projections.store.qualified("rm_indicator_tallies")
        settled = projections.store.fetch(f"SELECT settled_on FROM {table} WHERE year = {year.label}")
        assert settled and all(row["settled_on"] <= ended for row in settled)
        assert household_figures(before) == straightforward(facts, year, evaluation(app, before))

        # When the county raises that year's poverty line, and no household records anything
        app.set_income_line(year=last_day.year, yuan_per_capita=Decimal(6200), reason="更正",
                            occurred_on=clock.now.date(), by=COUNTY_CENTRE, line=Line.POVERTY)
        projections.catch_up()
        after = indicators.compute(year)

        # Then the year is judged by the new line, as the rules judge it
        assert household_figures(after) == straightforward(facts, year, evaluation(app, after))
        assert after.figure("fell_into_poverty").numerator > before.figure(
            "fell_into_poverty").numerator
