"""The county's income monitoring line (收入监测标准), adjusted every year (年度调整机制).

One aggregate holds the whole history of the line, so any day's line can be looked up as it was
known at any recorded time (load the aggregate as of that time, then ask `line_on`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import InvalidValue
from domain.governance.recorded import RecordedEvent
from domain.rules import is_amount, local_date
from domain.values import Actor

INCOME_LINE_POLICY_ID: UUID = uuid5(NAMESPACE_URL, "https://fangpin.example/policy/income-line")


@dataclass
class IncomeLine:
    """One year's line and the day it takes effect."""

    year: int
    yuan_per_capita: Decimal
    effective_from: date
    reason: str


class IncomeLinePolicy(Aggregate):
    """The county's yearly income monitoring line."""

    TOPIC = "fangpin:IncomeLinePolicy"

    lines: dict[int, IncomeLine]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:IncomeLinePolicy.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:IncomeLinePolicy.Started"

        def apply_to(self, policy: IncomeLinePolicy) -> None:
            policy.lines = {}
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
        """Set the line for ``year`` (yuan per capita per year), effective from 1 January unless
        another day is given. Setting a year that has a line needs a reason."""
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise InvalidValue("YEAR_INVALID", "年度须在2000年至2100年之间", "year")
        if not is_amount(yuan_per_capita) or yuan_per_capita <= 0:
            raise InvalidValue("AMOUNT_INVALID", "收入监测标准须为大于0的金额", "yuan_per_capita")
        effective_from = effective_from or date(year, 1, 1)
        if effective_from.year != year:
            raise InvalidValue("EFFECTIVE_DATE", "生效日期须在该年度内", "effective_from")
        if occurred_on > local_date(at):
            raise InvalidValue("DATE_IN_FUTURE", f"发生日期 {occurred_on} 晚于登记日期", "occurred_on")
        if year in self.lines and not reason.strip():
            raise InvalidValue(
                "REASON_REQUIRED", f"{year} 年度已有收入监测标准，调整须说明原因", "reason"
            )
        self.trigger_event(
            self.IncomeLineSet, timestamp=at, occurred_on=occurred_on, recorded_by=by,
            command_id=command_id, year=year, yuan_per_capita=yuan_per_capita,
            effective_from=effective_from, reason=reason.strip(),
        )

    def line_on(self, day: date) -> Decimal | None:
        """The line in force on ``day``: the latest line whose effective date is not after it."""
        in_force = [line for line in self.lines.values() if line.effective_from <= day]
        if not in_force:
            return None
        return max(in_force, key=lambda line: line.effective_from).yuan_per_capita
