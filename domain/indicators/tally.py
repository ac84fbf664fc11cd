"""Sums the items of every household, push and meeting into figures per area: the county, each
township, each department."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.cadences import AlertPush, Duty, ExpectedPush, event_pushes, expected_pushes
from domain.codes import Department
from domain.governance import Meeting, PushReceipt
from domain.indicators.definitions import (
    INDICATOR_BY_CODE,
    INDICATORS,
    Evaluation,
    HouseholdRule,
    Indicator,
    Item,
)
from domain.indicators.facts import AlertFacts, HouseholdFacts
from domain.indicators.settled import Count
from domain.periods import Period


@dataclass(frozen=True)
class Area:
    """Where a figure is for: the county, a township or a department."""

    level: str  # "county" | "township" | "department"
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class Figure:
    """An indicator's numerator and denominator for one area."""

    indicator: Indicator
    area: Area
    numerator: int = 0
    denominator: int = 0

    @property
    def rate(self) -> float | None:
        if self.indicator.kind != "rate" or not self.denominator:
            return None
        return round(self.numerator / self.denominator, 4)


def may_count(facts: HouseholdFacts) -> bool:
    """Whether any indicator may count the household, in some period on some day: a rule
    applies to it (`Indicator.applies_to`), or it has alerts (a department's push may be judged
    by them). A `Tally` adds nothing for any other household."""
    return bool(facts.alerts) or any(i.applies_to is None or i.applies_to(facts)
                                     for i in INDICATORS if i.rule is not None)


@dataclass
class Tally:
    """Sums the items of every household, push and meeting into figures per area.

    ``detail``: (indicator code, area) whose items are kept for a drill-down; None keeps none
    (a county's items would not fit in memory at province scale)."""

    period: Period
    today: date
    county: str
    duties: tuple[Duty, ...] = ()
    detail: tuple[str, Area] | None = None
    ended: date | None = None  # the last day that is over (default: ``today``)
    poverty_lines: tuple[tuple[date, Decimal], ...] = ()  # (effective from, yuan), in date order
    began: date | None = None  # the day the county began recording: nothing due before is owed
    figures: dict[tuple[str, Area], Figure] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    _event_alerts: list[AlertPush] = field(default_factory=list)
    _event_departments: set[str] = field(default_factory=set)
    _rules: list[tuple[Indicator, HouseholdRule]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.on = Evaluation(self.today, self.ended or self.today, self.poverty_lines, self.began)
        self._event_departments = {d.department.value for d in self.duties if not d.scheduled}
        self._rules = [(i, i.rule) for i in INDICATORS if i.rule is not None]
        # Each distinct test of which households a rule applies to, asked once per household;
        # the rules to ask, by the tests' answers.
        self._tests = tuple(dict.fromkeys(i.applies_to for i, _ in self._rules if i.applies_to))
        self._asked: dict[tuple[bool, ...], list[tuple[Indicator, HouseholdRule]]] = {}
        # The figures an item adds to, by (indicator, township, department), and whether it is
        # one of the drill-down's.
        self._targets: dict[tuple[str, str | None, str | None], tuple[tuple[Figure, ...], bool]] = {}

    def add_household(self, facts: HouseholdFacts) -> None:
        """Count one household's items (only the rules that apply to it are asked)."""
        answers = tuple(test(facts) for test in self._tests)
        rules = self._asked.get(answers)
        if rules is None:
            applies = dict(zip(self._tests, answers, strict=True))
            rules = self._asked[answers] = [
                (i, rule) for i, rule in self._rules if i.applies_to is None or applies[i.applies_to]]
        period, on = self.period, self.on
        for indicator, rule in rules:
            for item in rule(facts, period, on):
                self._add(indicator, item)
        self.add_alerts(facts.township, facts.alerts)

    def add_settled(self, counts: Iterable[Count]) -> None:
        """Count a household by its settled counts for the period (`settled_counts`, found on
        or before this evaluation with the same poverty lines): its figures without its items,
        so not for a drill-down. Its alerts go to `add_alerts`."""
        if self.detail is not None:
            raise ValueError("a drill-down lists items: count the household's facts instead")
        for code, township, department, numerator, denominator in counts:
            figures, _ = self._figures_of(INDICATOR_BY_CODE[code], township, department)
            for figure in figures:
                figure.numerator += numerator
                figure.denominator += denominator

    def add_alerts(self, township: str, alerts: Iterable[AlertFacts]) -> None:
        """A household's alerts that a department was due to push within days of each (its
        event duties), for `add_pushes`."""
        if not self._event_departments:
            return
        for a in alerts:
            if a.department in self._event_departments and a.duplicate_of is None:
                self._event_alerts.append(AlertPush(
                    a.alert_id, Department(a.department), township, a.risk_types,
                    a.problems, a.discovered_on, a.received_on, a.batch_id, a.tier,
                    a.sudden_hardship,
                ))

    def add_pushes(self, receipts: Iterable[PushReceipt]) -> list[ExpectedPush]:
        """Judge the pushes due in the period (call once, after every household)."""
        indicator = INDICATOR_BY_CODE["push_timeliness"]
        pushes = expected_pushes(self.duties, receipts, self.period, self.today, self.on.ended)
        pushes += event_pushes(self.duties, self._event_alerts, self.period, self.today,
                               self.on.ended)
        pushes = [push for push in pushes if self.on.owed(push.due_on)]
        for push in pushes:
            key = f"{push.duty.department}·{push.duty.number}·{push.period}"
            self._add(indicator, Item(key, None, None, push.duty.department.value,
                                      int(push.on_time), 1, f"应于{push.due_on}前推送，{push.status}"))
        return pushes

    def add_meetings(self, meetings: Iterable[Meeting]) -> None:
        indicator = INDICATOR_BY_CODE["consultations"]
        held = {f"{m.held_on:%Y-%m}": m for m in meetings
                if m.kind == "consultation" and m.held_on <= self.today}
        for month in self.period.months():
            meeting = held.get(month.label)
            if month.start > self.today or (month.end > self.on.ended and meeting is None):
                continue
            if not self.on.owed(month.end):
                continue
            note = f"{meeting.held_on}召开（{meeting.meeting_id}）" if meeting else "当月未召开会商"
            self._add(indicator, Item(month.label, None, None, None, int(meeting is not None), 1, note))

    def _add(self, indicator: Indicator, item: Item) -> None:
        figures, kept = self._figures_of(indicator, item.township, item.department)
        for figure in figures:
            figure.numerator += item.numerator
            figure.denominator += item.denominator
        if kept:
            self.items.append(item)

    def _figures_of(self, indicator: Indicator, township: str | None, department: str | None
                    ) -> tuple[tuple[Figure, ...], bool]:
        """The figures an item of ``indicator`` adds to: the county's, its township's and its
        department's where the indicator is kept at that level; and whether the drill-down
        keeps it."""
        key = (indicator.code, township, department)
        found = self._targets.get(key)
        if found is None:
            found = self._targets[key] = self._areas_of(indicator, township, department)
        return found

    def _areas_of(self, indicator: Indicator, township: str | None, department: str | None
                  ) -> tuple[tuple[Figure, ...], bool]:
        areas = [Area("county", self.county)]
        if "township" in indicator.levels and township:
            areas.append(Area("township", township))
        if "department" in indicator.levels and department:
            areas.append(Area("department", department))
        figures = []
        for area in areas:
            figure = self.figures.get((indicator.code, area))
            if figure is None:
                figure = self.figures[(indicator.code, area)] = Figure(indicator, area)
            figures.append(figure)
        kept = self.detail is not None and any(self.detail == (indicator.code, a) for a in areas)
        return tuple(figures), kept

    def table(self) -> list[Figure]:
        """Every figure: county first, then townships, then departments, each in indicator order."""
        order = {i.code: n for n, i in enumerate(INDICATORS)}
        levels = {"county": 0, "township": 1, "department": 2}
        figures = list(self.figures.values())
        # Indicators with nothing to count still show for the county, as 0 of 0.
        for indicator in INDICATORS:
            key = (indicator.code, Area("county", self.county))
            if key not in self.figures:
                figures.append(Figure(indicator, key[1]))
        return sorted(figures, key=lambda f: (levels[f.area.level], f.area.name, order[f.indicator.code]))
