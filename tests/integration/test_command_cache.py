"""The cache of recently used households, as commands and readers meet it, on both back ends: a
refusal leaves it as it was, a command that breaks a rule half-way leaves no trace, and a cache
far smaller than the county keeps within its bound while every answer stays right."""

from __future__ import annotations

from datetime import date

import pytest

from application.commands import RaiseAlert, RecordVisit
from application.commands.base import Recording
from domain.codes import Channel, Check, RiskType
from domain.errors import DomainError
from domain.household import Household
from tests.builders import COUNTY, VILLAGE, family, registering

CODE = "130630101001"
ALL_PASSED = dict.fromkeys(Check, True)


class HalfWayVisit(RecordVisit, kw_only=True):
    """A visit recorded, then a rule broken after it: nothing of it may be kept."""

    def run(self, household: Household, on: Recording) -> None:
        super().run(household, on)
        raise DomainError("BROKEN_AFTER_A_CHANGE", "记录后违反规则")


def visited(household: Household) -> set[str]:
    return {v.visit_id for v in household.visits}


def visit(visit_id: str) -> RecordVisit:
    return RecordVisit(visit_id=visit_id, visitor="网格员", checks=ALL_PASSED,
                       occurred_on=date(2025, 1, 1))


def test_a_refused_command_leaves_the_cached_household_as_it_was(make_app):
    app = make_app()
    app.register_household(registering(), by=COUNTY)
    before = app.household(CODE)
    fill = app.cache_fill()
    assert fill.entries == 1
    # When an alert names a person who is not in the household
    with pytest.raises(DomainError):
        app.execute(CODE, RaiseAlert(alert_id="A1", channel=Channel.SELF_DECLARATION,
                                     person_id_number=family(7)[0].id_number,
                                     risk_types=[RiskType.ILLNESS], occurred_on=date(2025, 1, 1)),
                    by=VILLAGE)
    # Then the household is still cached, as it was
    assert app.cache_fill() == fill
    assert app.household(CODE) == before


def test_a_command_that_breaks_a_rule_half_way_leaves_no_trace(make_app):
    app = make_app()
    app.register_household(registering(), by=COUNTY)
    app.execute(CODE, visit("V1"), by=VILLAGE)
    assert app.cache_fill().entries == 1
    # When a command changes the household and then breaks a rule
    with pytest.raises(DomainError):
        app.execute(CODE, HalfWayVisit(visit_id="V2", visitor="网格员", checks=ALL_PASSED,
                                       occurred_on=date(2025, 1, 1)), by=VILLAGE)
    # Then the household it changed is not kept: it is read again as the log has it
    assert app.cache_fill().entries == 0
    household = app.household(CODE)
    assert household.version == 2 and visited(household) == {"V1"}
    # …and the next command starts from there
    assert app.execute(CODE, visit("V3"), by=VILLAGE).version == 3
    assert visited(app.household(CODE)) == {"V1", "V3"}


def test_a_cache_smaller_than_the_county_keeps_within_its_bound_and_every_answer_right(make_app):
    # Given a cache of 16 kB: room for a few households, not for twenty
    app = make_app(aggregate_cache_mb=16 / 1024)
    codes = [f"1306301010{n:02d}" for n in range(1, 21)]
    for n, code in enumerate(codes, 1):
        app.register_household(registering(code, members=family(n)), by=COUNTY)
    # When each is read and visited twice, in turn
    for round_ in (1, 2):
        for code in codes:
            app.household(code)
            app.execute(code, visit(f"V{round_}"), by=VILLAGE)
            fill = app.cache_fill()
            assert fill.bytes <= fill.bound == 16 * 1024
    # Then the cache held some, never all…
    assert 0 < app.cache_fill().entries < len(codes)
    # …and every household has both visits, as the log has them
    log = make_app(aggregate_cache_mb=0)
    for code in codes:
        assert app.household(code) == log.household(code)
        assert visited(log.household(code)) == {"V1", "V2"} and log.household(code).version == 3
