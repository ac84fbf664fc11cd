"""The province's read models of the §12 indicators: every county's figures, per month.

The province's figures for county X *are* X's own result: computed by X's own code
(`Indicators.compute`) from X's log at a position P, so that anyone can check them against X
(``fangpin --county X verify RESULT.json`` on the stored result). A refresh computes the year
in one pass (the year's figures, and each month of it so far as the result's trend) and
replaces that county's rows for the year — figures, P, digest, as-of time, evaluation day and
the published result — in ONE transaction of the province's store: killed at any moment, the
county has either all its old rows or all its new ones, and the stored P always names the log
position the rows were computed at (the tracking position: exactly once).

Why from the log and not the county's read models: the province is a process of its own that
owns none of the county's read models (whether the county's projection process is running,
stopped at an event or rebuilding is the county's business), and a result from the log at P is
reproducible as it stands — `Indicators.verify` recomputes exactly that, from the log. The cost
is a replay of the county's households per refresh, paid only when the county's log has moved
(`catch_up`). Reading the county's ``indicator_facts`` read model would give the same figures
faster, at the read model's own position, once the province may rely on it being current.

Besides the indicators (push compliance is the 部门推送及时率 indicator), each refresh counts, at
the year's cutoff (its end, or the evaluation day), the monitoring objects by category and the
overdue cases as the county's reports list them: from the same facts in the same pass, so they
are as verifiable as the figures (their inputs are in the digest).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from application.app import CaseFiles
from application.indicators import Cadences, IndicatorResult, Indicators, figure_rows
from application.province.deployment import County, Deployment
from application.results import result_json
from application.store.beside import beside_log, placeholder
from application.store.chain import values
from application.store.ddl import schema_lock
from domain.errors import InvalidValue
from domain.indicators import Area, Figure, HouseholdFacts
from domain.indicators.definitions import INDICATOR_BY_CODE
from domain.periods import FIRST_YEAR, LAST_YEAR, Period, year_period

FIGURES_TABLE = "fangpin_province_figures"
#: The province keeps the year before current too, until the end of this month (the annual
#: assessment reads it, and late records of it still arrive).
LAST_YEAR_UNTIL_MONTH = 3
RESULTS_TABLE = "fangpin_province_results"


@dataclass(frozen=True)
class CountyFigures:
    """One county's figures for a year as the province holds them: the county's own result at
    log ``position`` (``result``: its published JSON, verifiable by the county), the figures of
    each period (the year's label and each month's), and the counts of the same pass."""

    code: str
    name: str
    year: int
    position: int
    digest: str
    as_of: datetime
    evaluated_on: date
    refreshed_at: datetime
    periods: dict[str, list[Figure]]
    monitoring_objects: dict[str, int] = field(default_factory=dict)  # by category
    overdue_cases: int = 0
    result: dict[str, Any] | None = None

    def figure(self, code: str, period: str | None = None, level: str = "county",
               name: str | None = None) -> Figure | None:
        """The figure of indicator ``code`` in ``period`` (default: the year) for an area
        (default: the county)."""
        for f in self.periods.get(period or str(self.year), []):
            if f.indicator.code == code and f.area.level == level \
                    and (name is None or f.area.name == name):
                return f
        return None


class _Counts:
    """Monitoring objects by category and overdue cases at ``cutoff``, household by household."""

    def __init__(self, cutoff: date) -> None:
        self.cutoff = cutoff
        self.categories: Counter[str] = Counter()
        self.overdue = 0

    def __call__(self, h: HouseholdFacts) -> None:
        monitored = next((c for c in h.cases if c.monitored_on(self.cutoff)), None)
        if monitored is not None and monitored.category:
            self.categories[monitored.category] += 1
        self.overdue += sum(1 for c in h.cases if c.identification_overdue_on(self.cutoff))


class ProvincialFigures:
    """The province's tables of every county's figures, kept in the province's store."""

    def __init__(self, province: CaseFiles, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.datastore = province.factory.datastore  # type: ignore[attr-defined]
        self.backend = province.settings.backend
        self.clock = clock or province.clock
        self._p = placeholder(self.backend)
        self.figures_table = beside_log(self.datastore, self.backend, FIGURES_TABLE)
        self.results_table = beside_log(self.datastore, self.backend, RESULTS_TABLE)
        self._create_tables()

    # ------------------------------------------------------------------ following the counties

    def catch_up(self, county: County, app: CaseFiles, year: int | None = None) -> int:
        """Bring ``county``'s figures for ``year`` (default: the current year on the county's
        clock, and the year before while the assessment reads it, until `LAST_YEAR_UNTIL_MONTH`)
        up to its log and its day: recomputed when the log has moved past the stored position,
        the figures were evaluated on an earlier day (deadlines, overdue counts and the month
        columns move with the day), or the year has none. Returns the current year's position."""
        today = app.today()
        if year is not None:
            return self._catch_up(county, app, year, today)
        if today.month <= LAST_YEAR_UNTIL_MONTH:
            self._catch_up(county, app, today.year - 1, today)
        return self._catch_up(county, app, today.year, today)

    def _catch_up(self, county: County, app: CaseFiles, year: int, today: date) -> int:
        stored = self._stored(county.code, year)
        if stored is not None and stored[0] >= app.max_position() and stored[1] >= today:
            return stored[0]
        return self.refresh(county, app, year)

    def refresh(self, county: County, app: CaseFiles, year: int) -> int:
        """Recompute ``county``'s figures for ``year`` from its log, now, and replace its rows
        in one transaction. Returns the position computed at."""
        period = _year(year)
        indicators = Indicators(app, None, Cadences.load(app.settings.cadences_path))
        today = app.today()
        while True:  # once more in the rare case the county's day ended meanwhile
            months = [m for m in period.months() if m.start <= today]
            counts = _Counts(min(period.end, today))
            result = indicators.compute(period, from_log=True, months=months, also=[counts])
            if result.evaluated_on == today:
                break
            today = result.evaluated_on
        unmatched = indicators.unmatched_as_of(result.position, result.as_of)
        held = unmatched.overdue(counts.cutoff) if unmatched is not None else []
        counts.overdue += sum(1 for a in held if a.pending)
        self._replace(county, year, result, counts)
        return result.position

    def _replace(self, county: County, year: int, result: IndicatorResult, counts: _Counts) -> None:
        """Every row of ``county``'s ``year``, in one transaction (never behind a later one)."""
        p = self._p
        rows = [(county.code, year, label, f.indicator.code, f.area.level, f.area.name,
                 f.numerator, f.denominator)
                for label, figures in [(str(year), result.figures), *result.trend.items()]
                for f in figures]
        extra = json.dumps({"monitoring_objects": dict(sorted(counts.categories.items())),
                            "overdue_cases": counts.overdue}, ensure_ascii=False)
        with self.datastore.transaction(commit=True) as cursor:
            if self.backend == "postgres":  # two refreshes of one county: one after the other
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))",
                               (RESULTS_TABLE, f"{county.code}:{year}"))
            cursor.execute(f"SELECT position FROM {self.results_table} "
                           f"WHERE county = {p} AND year = {p}", (county.code, year))
            found = cursor.fetchone()
            if found is not None and values(found)[0] > result.position:
                return  # another refresh got further first: keep its rows
            cursor.execute(f"DELETE FROM {self.figures_table} WHERE county = {p} AND year = {p}",
                           (county.code, year))
            cursor.execute(f"DELETE FROM {self.results_table} WHERE county = {p} AND year = {p}",
                           (county.code, year))
            _write_figures(cursor, self.figures_table, p, rows)
            cursor.execute(
                f"INSERT INTO {self.results_table} (county, name, year, position, digest, as_of, "
                f"evaluated_on, refreshed_at, counts, result) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
                (county.code, county.name, year, result.position, result.digest,
                 result.as_of.isoformat(), result.evaluated_on.isoformat(),
                 self.clock().isoformat(), extra,
                 json.dumps(result_json(result), ensure_ascii=False)))

    # ------------------------------------------------------------------ reading

    def position(self, code: str, year: int) -> int | None:
        """The log position county ``code``'s figures for ``year`` were computed at (None:
        none stored)."""
        stored = self._stored(code, year)
        return None if stored is None else stored[0]

    def _stored(self, code: str, year: int) -> tuple[int, date] | None:
        """The position and the evaluation day of county ``code``'s figures for ``year``."""
        p = self._p
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT position, evaluated_on FROM {self.results_table} "
                           f"WHERE county = {p} AND year = {p}", (code, year))
            found = cursor.fetchone()
        if found is None:
            return None
        position, evaluated_on = values(found)
        return int(position), date.fromisoformat(str(evaluated_on))

    def figures(self, year: int, level: str = "county") -> list[CountyFigures]:
        """Every county's figures for ``year`` at ``level`` (counties × indicators, by county
        code), each with its position and digest."""
        return self._read(_year(year), None, level)

    def county_result(self, code: str, year: int) -> CountyFigures | None:
        """County ``code``'s figures for ``year`` at every level (county, townships,
        departments), with its published result (the drill-down); None before a refresh."""
        found = self._read(_year(year), code, None)
        return found[0] if found else None

    def _read(self, period: Period, code: str | None, level: str | None) -> list[CountyFigures]:
        p, year = self._p, int(period.label)
        where, params = f"year = {p}", [year]
        if code is not None:
            where, params = f"{where} AND county = {p}", [*params, code]
        figure_where = f"{where} AND level = {p}" if level else where
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT county, name, position, digest, as_of, evaluated_on, "
                           f"refreshed_at, counts, result FROM {self.results_table} "
                           f"WHERE {where} ORDER BY county", params)
            heads = [values(row) for row in cursor.fetchall()]
            cursor.execute(f"SELECT county, period, indicator, level, area, numerator, denominator "
                           f"FROM {self.figures_table} WHERE {figure_where} "
                           f"ORDER BY county, period, indicator, level, area",
                           [*params, level] if level else params)
            rows = [values(row) for row in cursor.fetchall()]
        periods: dict[str, dict[str, list[Figure]]] = {}
        for county, label, indicator, area_level, area, numerator, denominator in rows:
            known = INDICATOR_BY_CODE.get(indicator)
            if known is not None:  # an indicator since retired is not shown
                periods.setdefault(county, {}).setdefault(label, []).append(
                    Figure(known, Area(area_level, area), int(numerator), int(denominator)))
        order = {i: n for n, i in enumerate(INDICATOR_BY_CODE)}
        for by_label in periods.values():
            for figures in by_label.values():
                figures.sort(key=lambda f: (order[f.indicator.code], f.area.level != "county"))
        found = []
        for county, name, position, digest, as_of, evaluated_on, refreshed_at, extra, result in heads:
            counts = json.loads(extra)
            found.append(CountyFigures(
                code=county, name=name, year=year, position=int(position), digest=digest,
                as_of=datetime.fromisoformat(as_of), evaluated_on=date.fromisoformat(evaluated_on),
                refreshed_at=datetime.fromisoformat(refreshed_at),
                periods=dict(sorted(periods.get(county, {}).items())),
                monitoring_objects=counts["monitoring_objects"],
                overdue_cases=counts["overdue_cases"],
                result=json.loads(result) if code is not None else None))
        return found

    # ------------------------------------------------------------------ the tables

    def _create_tables(self) -> None:
        with schema_lock(self.datastore, self.backend), \
                self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.figures_table} ("
                "county TEXT NOT NULL, year INTEGER NOT NULL, period TEXT NOT NULL, "
                "indicator TEXT NOT NULL, level TEXT NOT NULL, area TEXT NOT NULL, "
                "numerator BIGINT NOT NULL, denominator BIGINT NOT NULL, "
                "PRIMARY KEY (county, year, period, indicator, level, area))")
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.results_table} ("
                "county TEXT NOT NULL, name TEXT NOT NULL, year INTEGER NOT NULL, "
                "position BIGINT NOT NULL, digest TEXT NOT NULL, as_of TEXT NOT NULL, "
                "evaluated_on TEXT NOT NULL, refreshed_at TEXT NOT NULL, counts TEXT NOT NULL, "
                "result TEXT NOT NULL, PRIMARY KEY (county, year))")


def county_json(county: CountyFigures) -> dict[str, Any]:
    """A county's figures in plain form (the CLI's and the API's JSON): the figures rows of
    the published result, per period."""
    return {
        "county": county.code, "name": county.name, "year": county.year,
        "position": county.position, "digest": county.digest,
        "as_of": county.as_of.isoformat(), "evaluated_on": county.evaluated_on.isoformat(),
        "refreshed_at": county.refreshed_at.isoformat(),
        "monitoring_objects": county.monitoring_objects, "overdue_cases": county.overdue_cases,
        "figures": figure_rows(county.periods.get(str(county.year), [])),
        "months": {label: figure_rows(figures) for label, figures in county.periods.items()
                   if label != str(county.year)},
        **({"result": county.result} if county.result is not None else {}),
    }


def catch_up_all(deployment: Deployment, figures: ProvincialFigures,
                 counties: Iterable[County] | None = None, year: int | None = None) -> dict[str, int]:
    """Catch every county of ``deployment`` up (each opened on its own store, then closed), for
    ``year`` (default: as `ProvincialFigures.catch_up`); returns each county's position."""
    positions = {}
    for county in counties if counties is not None else deployment.counties():
        with CaseFiles(deployment.county_settings(county.code), clock=deployment.clock) as app:
            positions[county.code] = figures.catch_up(county, app, year)
    return positions


def _write_figures(cursor: Any, table: str, p: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        cursor.executemany(f"INSERT INTO {table} (county, year, period, indicator, level, area, "
                           f"numerator, denominator) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
                           rows)


def _year(year: int) -> Period:
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidValue("INVALID_YEAR", f"年份须在{FIRST_YEAR}年至{LAST_YEAR}年之间，不是 {year!r}",
                           "year")
    return year_period(year)
