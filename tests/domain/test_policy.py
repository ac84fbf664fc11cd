"""The county's income monitoring line, adjusted every year (domain.md §4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import NAMESPACE_URL, uuid5

import pytest
from household_kit import COUNTY, at, replay, when

from domain.errors import DomainError
from domain.policy import INCOME_LINE_POLICY_ID, IncomeLine, IncomeLinePolicy

START = date(2021, 1, 1)


def policy() -> IncomeLinePolicy:
    return IncomeLinePolicy.start(occurred_on=START, by=COUNTY, at=at(START))


def set_line(
    p: IncomeLinePolicy, year: int, yuan: str, effective_from: date | None = None, reason: str = "", **kw
) -> None:
    on = kw.pop("on", date(2024, 1, 1))
    p.set_line(
        year=year,
        yuan_per_capita=Decimal(yuan),
        effective_from=effective_from,
        reason=reason,
        **{**when(on, COUNTY), **kw},
    )


def refused(p: IncomeLinePolicy, code: str, field: str, **kw) -> None:
    before = (p.version, len(p.pending_events), dict(p.lines))
    with pytest.raises(DomainError) as info:
        set_line(p, **kw)
    assert (info.value.code, info.value.field) == (code, field)
    assert (p.version, len(p.pending_events), dict(p.lines)) == before


class TestStartingThePolicy:
    def test_there_is_one_policy_with_a_fixed_id_and_no_line_yet(self):
        p = policy()
        assert p.id == INCOME_LINE_POLICY_ID
        url = "https://fangpin.example/policy/income-line"
        assert uuid5(NAMESPACE_URL, url) == INCOME_LINE_POLICY_ID
        assert p.lines == {} and p.line_on(date(2023, 6, 1)) is None


class TestLineOnADay:
    def test_the_line_in_force_is_the_latest_whose_effective_date_is_not_after_the_day(self):
        p = policy()
        set_line(p, 2021, "6000")
        set_line(p, 2023, "8300")
        set_line(p, 2024, "8700", effective_from=date(2024, 7, 1))
        assert p.line_on(date(2020, 12, 31)) is None
        assert p.line_on(date(2021, 1, 1)) == Decimal("6000")
        assert p.line_on(date(2022, 12, 31)) == Decimal("6000")  # no 2022 line: 2021's holds
        assert p.line_on(date(2023, 1, 1)) == Decimal("8300")
        assert p.line_on(date(2024, 6, 30)) == Decimal("8300")
        assert p.line_on(date(2024, 7, 1)) == Decimal("8700")

    def test_the_effective_date_defaults_to_1_january_of_the_year(self):
        p = policy()
        set_line(p, 2023, "8300")
        assert p.lines[2023] == IncomeLine(2023, Decimal("8300"), date(2023, 1, 1), "")

    def test_lines_may_be_entered_in_any_order(self):
        p = policy()
        set_line(p, 2023, "8300")
        set_line(p, 2021, "6000")
        assert p.line_on(date(2022, 5, 1)) == Decimal("6000")
        assert p.line_on(date(2023, 5, 1)) == Decimal("8300")


class TestResettingAYear:
    def test_given_a_year_already_set_without_reason_then_REASON_REQUIRED(self):
        p = policy()
        set_line(p, 2023, "8300")
        refused(p, "REASON_REQUIRED", "reason", year=2023, yuan="8500", reason="  ")

    def test_given_a_reason_then_the_new_line_supersedes_the_old(self):
        p = policy()
        set_line(p, 2023, "8300")
        set_line(p, 2023, "8500", reason=" 省里调整 ")
        assert p.lines[2023].yuan_per_capita == Decimal("8500")
        assert p.lines[2023].reason == "省里调整"
        assert p.line_on(date(2023, 3, 1)) == Decimal("8500")


class TestRefusedLines:
    @pytest.mark.parametrize("year", [1999, 2101])
    def test_given_a_year_out_of_range_then_YEAR_INVALID(self, year):
        refused(policy(), "YEAR_INVALID", "year", year=year, yuan="8000")

    @pytest.mark.parametrize("yuan", ["0", "-1", "NaN", "Infinity"])
    def test_given_a_line_that_is_not_a_positive_amount_then_AMOUNT_INVALID(self, yuan):
        refused(policy(), "AMOUNT_INVALID", "yuan_per_capita", year=2023, yuan=yuan)

    def test_given_an_effective_date_in_another_year_then_EFFECTIVE_DATE(self):
        refused(
            policy(),
            "EFFECTIVE_DATE",
            "effective_from",
            year=2023,
            yuan="8300",
            effective_from=date(2022, 12, 31),
        )


class TestPolicyBookkeeping:
    def test_command_ids_and_replay(self):
        p = policy()
        set_line(p, 2023, "8300", command_id="line-2023")
        assert p.command_ids == {"line-2023": 2}
        assert replay(list(p.collect_events())) == p


class TestThePovertyLine:
    """扶贫标准 (domain.md §12): a yearly line like the monitoring line, lower than it."""

    def test_it_is_kept_apart_from_the_monitoring_line_and_looked_up_by_day(self):
        p = policy()
        set_line(p, 2024, "8000")
        p.set_poverty_line(year=2024, yuan_per_capita=Decimal("4600"), **when(date(2024, 1, 1), COUNTY))
        p.set_poverty_line(year=2025, yuan_per_capita=Decimal("4800"),
                           effective_from=date(2025, 3, 1), **when(date(2024, 1, 1), COUNTY))
        assert p.line_on(date(2024, 6, 1)) == Decimal("8000")
        assert p.poverty_line_on(date(2023, 12, 31)) is None
        assert p.poverty_line_on(date(2025, 2, 28)) == Decimal("4600")
        assert p.poverty_line_on(date(2025, 3, 1)) == Decimal("4800")
        assert p.poverty_lines_in_force() == ((date(2024, 1, 1), Decimal("4600")),
                                              (date(2025, 3, 1), Decimal("4800")))
        replayed = replay(p.collect_events())
        assert replayed.poverty_lines == p.poverty_lines and replayed.lines == p.lines

    def test_it_must_stay_below_the_monitoring_line_of_its_year_either_way_round(self):
        p = policy()
        set_line(p, 2024, "8000")
        with pytest.raises(DomainError) as info:
            p.set_poverty_line(year=2024, yuan_per_capita=Decimal("8000"), **when(date(2024, 1, 1), COUNTY))
        assert (info.value.code, info.value.field) == ("LINE_ORDER", "yuan_per_capita")
        p.set_poverty_line(year=2025, yuan_per_capita=Decimal("4800"), **when(date(2024, 1, 1), COUNTY))
        refused(p, "LINE_ORDER", "yuan_per_capita", year=2025, yuan="4800")
        assert p.poverty_lines[2025].yuan_per_capita == Decimal("4800") and 2025 not in p.lines

    def test_given_no_monitoring_line_of_its_year_then_the_one_in_force_that_year_bounds_it(self):
        """Given the 2027 monitoring line 8600 and none set for 2028, when the 2028 poverty line is
        set to 9000, then it is refused: 8600 is the monitoring line in force all of 2028."""
        p = policy()
        set_line(p, 2027, "8600")
        with pytest.raises(DomainError) as info:
            p.set_poverty_line(year=2028, yuan_per_capita=Decimal("9000"), **when(date(2024, 1, 1), COUNTY))
        assert (info.value.code, info.value.field) == ("LINE_ORDER", "yuan_per_capita")
        assert "8600" in info.value.message and "2028-01-01" in info.value.message
        assert p.poverty_lines == {}
        p.set_poverty_line(year=2028, yuan_per_capita=Decimal("5000"), **when(date(2024, 1, 1), COUNTY))

    def test_given_a_poverty_line_in_force_then_a_later_monitoring_line_must_stay_above_it(self):
        """Given the 2027 poverty line 7000 (none for 2028), when the 2028 monitoring line is set
        to 6500, then it is refused; so is one that starts mid-year below a line in force then."""
        p = policy()
        p.set_poverty_line(year=2027, yuan_per_capita=Decimal("7000"), **when(date(2024, 1, 1), COUNTY))
        refused(p, "LINE_ORDER", "yuan_per_capita", year=2028, yuan="6500")
        set_line(p, 2028, "9000")
        p.set_poverty_line(year=2029, yuan_per_capita=Decimal("8000"),
                           effective_from=date(2029, 7, 1), **when(date(2024, 1, 1), COUNTY))
        # in force from 1 January 2029: below the 2029 poverty line from 1 July
        refused(p, "LINE_ORDER", "yuan_per_capita", year=2029, yuan="7500")
        set_line(p, 2029, "8500")

    def test_a_poverty_line_that_starts_later_is_judged_against_each_monitoring_line_it_meets(self):
        """Given monitoring lines 8600 (2027) and 6000 from 1 July 2028, when the 2028 poverty
        line is set to 6500 from 1 January, then it is refused: it would pass 6000 on 1 July."""
        p = policy()
        set_line(p, 2027, "8600")
        set_line(p, 2028, "6000", effective_from=date(2028, 7, 1))
        with pytest.raises(DomainError) as info:
            p.set_poverty_line(year=2028, yuan_per_capita=Decimal("6500"),
                               effective_from=date(2028, 1, 1), **when(date(2024, 1, 1), COUNTY))
        assert info.value.code == "LINE_ORDER" and "2028-07-01" in info.value.message

    def test_setting_a_year_again_needs_a_reason(self):
        p = policy()
        p.set_poverty_line(year=2024, yuan_per_capita=Decimal("4600"), **when(date(2024, 1, 1), COUNTY))
        with pytest.raises(DomainError) as info:
            p.set_poverty_line(year=2024, yuan_per_capita=Decimal("4700"), **when(date(2024, 1, 1), COUNTY))
        assert info.value.code == "REASON_REQUIRED" and "扶贫标准" in info.value.message
