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
from domain.indicators.facts import HouseholdFacts
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

    def add_household(self, facts: HouseholdFacts) -> None:
        for indicator, rule in self._rules:
            for item in rule(facts, self.period, self.on):
                self._add(indicator, item)
        for a in facts.alerts:
            if a.department in self._event_departments and a.duplicate_of is None:
                self._event_alerts.append(AlertPush(
                    a.alert_id, Department(a.department), facts.township, a.risk_types,
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
        areas = [Area("county", self.county)]
        if "township" in indicator.levels and item.township:
            areas.append(Area("township", item.township))
        if "department" in indicator.levels and item.department:
            areas.append(Area("department", item.department))
        for area in areas:
            figure = self.figures.get((indicator.code, area))
            if figure is None:
                figure = self.figures[(indicator.code, area)] = Figure(indicator, area)
            figure.numerator += item.numerator
            figure.denominator += item.denominator
            if self.detail == (indicator.code, area):
                self.items.append(item)

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
