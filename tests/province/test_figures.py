"""The province's figures of each county are the county's own: the same numbers as the
county computes, at a log position and digest the county verifies; a county that records
more is caught up alone; a refresh killed half-way leaves the figures it had."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

import application.province.figures as figures_module
from application.app import CaseFiles
from application.demo import load_demo
from application.indicators import IndicatorResult, Indicators
from application.province import County, Deployment
from application.province.figures import ProvincialFigures, catch_up_all, county_json
from application.reports import monthly_report
from application.results import result_json
from application.settings import Settings
from domain.codes import Department, Role
from domain.errors import InvalidValue
from domain.periods import month_period, year_period
from domain.rules import CHINA_TIME
from domain.values import Actor
from interfaces.cli import main
from tests.conftest import FakeClock

UNTIL = date(2025, 6, 30)
#: The morning after the demos' last day, in the county: the province's and the counties' now.
MORNING = datetime.combine(date(2025, 7, 1), time(9), tzinfo=CHINA_TIME).astimezone(UTC)
COUNTY = Actor("county", Role.COUNTY_CENTRE)


@dataclass
class Province:
    deployment: Deployment
    figures: ProvincialFigures
    counties: dict[str, tuple[County, CaseFiles]]
    clock: FakeClock


@pytest.fixture
def province(settings: Settings) -> Iterator[Province]:
    """Two counties of one deployment, each with a small demo of its own seed."""
    clock = FakeClock(MORNING)
    deployment = Deployment(settings, clock=clock)
    counties = {}
    for seed, (code, name) in enumerate([("130630", "涞源县"), ("130633", "易县")], start=1):
        county = deployment.add(code, name)
        app = CaseFiles(deployment.county_settings(code), clock=clock)
        load_demo(app, 12, seed=seed, until=UNTIL, now=clock())
        counties[code] = (county, app)
    figures = ProvincialFigures(deployment.province())
    yield Province(deployment, figures, counties, clock)
    for _county, app in counties.values():
        app.close()
    deployment.close()


def own_result(app: CaseFiles, period: str, as_of: datetime, position: int) -> IndicatorResult:
    return Indicators(app).compute(period, as_of=as_of, position=position, from_log=True)


def test_each_countys_figures_are_its_own_and_verify(province: Province) -> None:
    positions = catch_up_all(province.deployment, province.figures)
    table = province.figures.figures(2025)
    assert [c.code for c in table] == ["130630", "130633"]
    assert [c.name for c in table] == ["涞源县", "易县"]
    for county in table:
        _, app = province.counties[county.code]
        assert county.position == positions[county.code] == app.max_position()
        own = own_result(app, "2025", county.as_of, county.position)
        assert county.digest == own.digest
        assert [(f.indicator.code, f.numerator, f.denominator, f.rate) for f in county.periods["2025"]] \
            == [(f.indicator.code, f.numerator, f.denominator, f.rate) for f in own.figures
                if f.area.level == "county"]
        # each month so far is the county's own month too (same log position, same moment)
        assert sorted(county.periods) == ["2025", *(f"2025-{m:02d}" for m in range(1, 8))]
        march = own_result(app, "2025-03", county.as_of, county.position)
        assert [(f.numerator, f.denominator) for f in county.periods["2025-03"]] \
            == [(f.numerator, f.denominator) for f in march.figures if f.area.level == "county"]
        # the drill-down carries the county's published result, which the county verifies
        drill = province.figures.county_result(county.code, 2025)
        assert drill is not None and drill.result is not None
        assert drill.result == result_json(own)
        check = Indicators(app).verify(drill.result)
        assert check.matches, check.differences
        assert {f.area.level for f in drill.periods["2025"]} >= {"county", "township", "department"}
    two = {c.code: c for c in table}
    assert two["130630"].digest != two["130633"].digest


def test_the_counts_are_the_countys_own(province: Province) -> None:
    """Monitoring objects by category and overdue cases, as the county's facts give them."""
    catch_up_all(province.deployment, province.figures)
    for county in province.figures.figures(2025):
        _, app = province.counties[county.code]
        objects: dict[str, int] = {}
        for code in app.iter_households():
            household = app.household(code)
            if household.category is not None:
                key = household.category.value
                objects[key] = objects.get(key, 0) + 1
        assert county.monitoring_objects == objects and sum(objects.values()) > 0
        # the county's monthly report of this month lists its overdue cases at the same cutoff
        report = monthly_report(Indicators(app), "2025-07")
        overdue = next(t for t in report.tables if t.name == "超期未认定")
        assert county.overdue_cases == len(overdue.rows)


def test_a_county_that_records_more_is_caught_up_alone(province: Province) -> None:
    catch_up_all(province.deployment, province.figures)
    before = {c.code: c for c in province.figures.figures(2025)}
    county, app = province.counties["130633"]
    province.clock.now = datetime(2025, 7, 1, 3, tzinfo=UTC)
    app.hold_consultation(meeting_id="HS-2025-07", departments_present=[Department.HEALTH],
                          topics=["七月研判"], decisions=["无"], occurred_on=date(2025, 7, 1),
                          by=COUNTY)
    province.clock.now = datetime(2025, 7, 1, 4, tzinfo=UTC)
    # nothing new in the first county: nothing recomputed
    first, first_app = province.counties["130630"]
    assert province.figures.catch_up(first, first_app) == before["130630"].position
    assert province.figures.catch_up(county, app) == app.max_position() > before["130633"].position
    after = {c.code: c for c in province.figures.figures(2025)}
    assert after["130630"] == before["130630"]  # not refreshed: the same moment and rows
    moved = after["130633"]
    assert moved.position == app.max_position() and moved.digest != before["130633"].digest
    july = moved.figure("consultations", "2025-07")
    assert july is not None and july.numerator == before["130633"].figure(
        "consultations", "2025-07").numerator + 1  # type: ignore[union-attr]
    own = own_result(app, "2025", moved.as_of, moved.position)
    assert moved.digest == own.digest
    assert moved.figure("consultations").numerator == own.figure("consultations").numerator  # type: ignore[union-attr]


def test_a_new_day_or_year_is_caught_up_though_the_log_did_not_move(province: Province) -> None:
    county, app = province.counties["130630"]
    position = province.figures.catch_up(county, app)
    first = province.figures.county_result("130630", 2025)
    assert first is not None and first.evaluated_on == date(2025, 7, 1)
    province.clock.now = MORNING + timedelta(days=1)  # the next day: deadlines and counts move
    assert province.figures.catch_up(county, app) == position == app.max_position()
    assert province.figures.county_result("130630", 2025).evaluated_on == date(2025, 7, 2)  # type: ignore[union-attr]
    # February of the next year: the assessment reads last year, and this year begins
    province.clock.now = datetime(2026, 2, 1, 2, tzinfo=UTC)
    province.figures.catch_up(county, app)
    last = province.figures.county_result("130630", 2025)
    assert last is not None and last.evaluated_on == date(2026, 2, 1)  # judged as of today
    assert province.figures.position("130630", 2026) == app.max_position()


def test_a_refresh_that_fails_half_way_leaves_the_figures_it_had(
        province: Province, monkeypatch: pytest.MonkeyPatch) -> None:
    catch_up_all(province.deployment, province.figures)
    county, app = province.counties["130630"]
    before = province.figures.county_result(county.code, 2025)
    app.hold_consultation(meeting_id="HS-2025-07", departments_present=[Department.HEALTH],
                          topics=["七月研判"], decisions=["无"], occurred_on=date(2025, 7, 1),
                          by=COUNTY)

    def killed(*args: object) -> None:
        raise RuntimeError("killed after the delete")

    monkeypatch.setattr(figures_module, "_write_figures", killed)
    with pytest.raises(RuntimeError):
        province.figures.catch_up(county, app)
    assert province.figures.county_result(county.code, 2025) == before
    monkeypatch.undo()
    assert province.figures.catch_up(county, app) == app.max_position()
    assert province.figures.position(county.code, 2025) == app.max_position()


def test_a_named_year_is_refreshed_and_a_wrong_year_refused(province: Province) -> None:
    county, app = province.counties["130630"]
    assert province.figures.figures(2024) == []
    position = province.figures.refresh(county, app, 2024)
    (held,) = province.figures.figures(2024)
    assert held.position == position and sorted(held.periods) == [
        "2024", *(month_period(2024, m).label for m in range(1, 13))]
    own = Indicators(app).compute(year_period(2024), as_of=held.as_of, position=position,
                                  from_log=True)
    assert held.digest == own.digest
    assert county_json(held)["figures"][0]["code"] == own.figures[0].indicator.code
    with pytest.raises(InvalidValue) as refused:
        province.figures.figures(1899)
    assert refused.value.field == "year"


def test_the_command_line_prints_counties_by_indicators_with_positions_and_digests(
        province: Province, settings: Settings, cli_env: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    assert main(["province", "indicators", "2025"]) == 0
    assert "尚无 2025 年的数据" in capsys.readouterr().out
    catch_up_all(province.deployment, province.figures)
    assert main(["province", "indicators", "2025"]) == 0
    out = capsys.readouterr().out
    held = {c.code: c for c in province.figures.figures(2025)}
    for code, county in held.items():
        assert f"{code} {county.name}" in out and county.digest in out
        assert f"日志位置 {county.position}" in out
    visits = held["130630"].figure("visit_coverage")
    line = next(line for line in out.splitlines() if "走访覆盖率" in line)
    assert visits is not None and visits.rate is not None
    assert f"{visits.numerator}/{visits.denominator}" in line and f"{visits.rate:.1%}" in line
    # the JSON carries each county's result, which the county verifies on its own store
    assert main(["province", "indicators", "2025", "--format", "json"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert [c["county"] for c in published["counties"]] == ["130630", "130633"]
    result = tmp_path / "result.json"
    result.write_text(json.dumps(published["counties"][1]["result"]), encoding="utf-8")
    assert main(["--county", "130633", "verify", str(result)]) == 0
    assert "一致" in capsys.readouterr().out
    # --refresh catches every county up for the year of today's clock
    this_year = datetime.now(CHINA_TIME).year
    assert main(["province", "indicators", str(this_year), "--refresh", "--format", "json"]) == 0
    now = json.loads(capsys.readouterr().out)["counties"]
    assert [c["position"] for c in now] == [app.max_position() for _c, app in
                                            province.counties.values()]
    assert main(["province", "indicators", "1899"]) == 1
    assert "INVALID_YEAR" in capsys.readouterr().err
