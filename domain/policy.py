"""The county's yearly income lines (年度调整机制): the income monitoring line (收入监测标准), which
decides who is at risk, and the poverty line (扶贫标准, domain.md §12), lower, which decides who has
fallen into poverty (返贫致贫人数).

One aggregate holds the whole history of both lines, so any day's line can be looked up as it
was known at any recorded time (load the aggregate as of that time, then ask `line_on` or
`poverty_line_on`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import InvalidValue
from domain.governance.recorded import RecordedEvent
from domain.periods import in_force
from domain.rules import is_amount, local_date
from domain.values import Actor


class Line(StrEnum):
    """The two yearly lines the policy keeps."""

    MONITORING = "收入监测标准"
    POVERTY = "扶贫标准"


INCOME_LINE_POLICY_ID: UUID = uuid5(NAMESPACE_URL, "https://fangpin.example/policy/income-line")


@dataclass
class IncomeLine:
    """One year's line and the day it takes effect."""

    year: int
    yuan_per_capita: Decimal
    effective_from: date
    reason: str


class IncomeLinePolicy(Aggregate):
    """The county's yearly income monitoring line and poverty line."""

    TOPIC = "fangpin:IncomeLinePolicy"

    lines: dict[int, IncomeLine]
    poverty_lines: dict[int, IncomeLine]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:IncomeLinePolicy.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:IncomeLinePolicy.Started"

        def apply_to(self, policy: IncomeLinePolicy) -> None:
            policy.lines = {}
            policy.poverty_lines = {}
            policy.command_ids = {}

    class IncomeLineSet(Event):
        """The line for a year was set; setting a year again supersedes (and says why)."""

        TOPIC = "fangpin:IncomeLinePolicy.IncomeLineSet"
        year: int
        yuan_per_capita: Decimal
        effective_from: date
        reason: str

        def apply_to(self, policy: IncomeLinePolicy) -> None:
            policy.lines[self.year] = IncomeLine(
                self.year, self.yuan_per_capita, self.effective_from, self.reason
            )

    class PovertyLineSet(IncomeLineSet):
        """The poverty line (扶贫标准) for a year was set; again supersedes (and says why)."""

        TOPIC = "fangpin:IncomeLinePolicy.PovertyLineSet"

        def apply_to(self, policy: IncomeLinePolicy) -> None:
            policy.poverty_lines[self.year] = IncomeLine(
                self.year, self.yuan_per_capita, self.effective_from, self.reason
            )

    def __init__(self) -> None:
        """State is set by `Started.apply_to`; use `IncomeLinePolicy.start`."""

    @classmethod
    def start(cls, *, occurred_on: date, by: Actor, at: datetime) -> IncomeLinePolicy:
        return cls._create(
            cls.Started, id=INCOME_LINE_POLICY_ID, timestamp=at, occurred_on=occurred_on,
            recorded_by=by, command_id="",
        )

    def set_line(
        self, *, year: int, yuan_per_capita: Decimal, effective_from: date | None = None,
        reason: str = "", occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Set the monitoring line for ``year`` (yuan per capita per year), effective from
        1 January unless another day is given. Setting a year that has a line needs a reason;
        the line stays above the poverty line in force on every day it is in force."""
        self._set(Line.MONITORING, year, yuan_per_capita, effective_from, reason, occurred_on, by,
                  at, command_id)

    def set_poverty_line(
        self, *, year: int, yuan_per_capita: Decimal, effective_from: date | None = None,
        reason: str = "", occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Set the poverty line (扶贫标准) for ``year``, as `set_line`; it stays below the
        monitoring line in force on every day it is in force (domain.md §12)."""
        self._set(Line.POVERTY, year, yuan_per_capita, effective_from, reason, occurred_on, by, at,
                  command_id)

    def _set(
        self, line: Line, year: int, yuan_per_capita: Decimal, effective_from: date | None,
        reason: str, occurred_on: date, by: Actor, at: datetime, command_id: str,
    ) -> None:
        monitoring = line is Line.MONITORING
        own, other = (self.lines, self.poverty_lines) if monitoring else (self.poverty_lines, self.lines)
        effective_from = self._check_line(
            line.value, own, year, yuan_per_capita, effective_from, reason, occurred_on, at)
        replaced = {**own, year: IncomeLine(year, yuan_per_capita, effective_from, reason)}
        breach = line_order_breach(own, replaced, other, monitoring=monitoring)
        if breach is not None:
            day, paired = breach
            other_name = Line.POVERTY.value if monitoring else Line.MONITORING.value
            raise InvalidValue(
                "LINE_ORDER", f"{line.value}须{'高于' if monitoring else '低于'}{day} 施行的"
                f"{other_name} {paired} 元", "yuan_per_capita")
        self.trigger_event(
            self.IncomeLineSet if monitoring else self.PovertyLineSet, timestamp=at,
            occurred_on=occurred_on, recorded_by=by, command_id=command_id, year=year,
            yuan_per_capita=yuan_per_capita, effective_from=effective_from, reason=reason.strip(),
        )

    @staticmethod
    def _check_line(
        name: str, lines: dict[int, IncomeLine], year: int, yuan_per_capita: Decimal,
        effective_from: date | None, reason: str, occurred_on: date, at: datetime,
    ) -> date:
        """The rules every yearly line keeps; answers its effective date."""
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise InvalidValue("YEAR_INVALID", "年度须在2000年至2100年之间", "year")
        if not is_amount(yuan_per_capita) or yuan_per_capita <= 0:
            raise InvalidValue("AMOUNT_INVALID", f"{name}须为大于0的金额", "yuan_per_capita")
        effective_from = effective_from or date(year, 1, 1)
        if effective_from.year != year:
            raise InvalidValue("EFFECTIVE_DATE", "生效日期须在该年度内", "effective_from")
        if occurred_on > local_date(at):
            raise InvalidValue("DATE_IN_FUTURE", f"发生日期 {occurred_on} 晚于登记日期", "occurred_on")
        if year in lines and not reason.strip():
            raise InvalidValue("REASON_REQUIRED", f"{year} 年度已有{name}，调整须说明原因", "reason")
        return effective_from

    def line_on(self, day: date) -> Decimal | None:
        """The monitoring line in force on ``day``: the latest whose effective date is not after it."""
        return _in_force(self.lines, day)

    def poverty_line_on(self, day: date) -> Decimal | None:
        """The poverty line in force on ``day`` (None before the first is set)."""
        return _in_force(self.poverty_lines, day)

    def poverty_lines_in_force(self) -> tuple[tuple[date, Decimal], ...]:
        """Every poverty line as (effective from, yuan), in date order: what an indicator needs
        to judge any day without the aggregate."""
        return tuple(sorted((line.effective_from, line.yuan_per_capita)
                            for line in self.poverty_lines.values()))


def line_order_breach(
    before: dict[int, IncomeLine], after: dict[int, IncomeLine], other: dict[int, IncomeLine],
    *, monitoring: bool,
) -> tuple[date, Decimal] | None:
    """The first day, and the other line then in force, on which a line changed from ``before``
    to ``after`` is in the wrong order with the ``other`` line (the monitoring line must stay
    above the poverty line, domain.md §12); None if it keeps the order on every day it changed.

    Lines change only on effective dates, so each of those days stands for the days up to the
    next. Days whose line did not change are not judged again (an old pair stays as recorded).
    """
    days = sorted({line.effective_from for lines in (before, after, other)
                   for line in lines.values()})
    for day in days:
        mine, theirs = _in_force(after, day), _in_force(other, day)
        if mine is None or theirs is None or mine == _in_force(before, day):
            continue
        if (mine <= theirs) if monitoring else (mine >= theirs):
            return day, theirs
    return None


def _in_force(lines: dict[int, IncomeLine], day: date) -> Decimal | None:
    return in_force(((line.effective_from, line.yuan_per_capita) for line in lines.values()), day)
