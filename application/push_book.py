"""推送台账 as people read it: per department and push period, what was due (the cadence's
deadline and whether the county-tier push met it), what arrived — the county's own screening
(县级筛查) and the province's push (省级推送) apart — each batch's rows by outcome and the time
its receipt was recorded. Built from one indicator result (its judged pushes and the batches
received in the period), so it says what 部门推送及时率 counted.

The other list of pushes, `ReadModels.push_ledger`, is each batch's alerts followed to the
households of the reader's area (what became of them); this one is the departments' duty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import msgspec

from application.indicators import IndicatorResult
from domain.cadences import ExpectedPush
from domain.codes import Tier
from domain.governance import PushReceipt

#: The two lists of pushes, as every screen and command titles them.
BOOK_TITLE = "推送台账"
BATCH_LIST_TITLE = "各批次预警去向"

#: `BookRow`'s fields with their Chinese headers.
BOOK_COLUMNS = (
    ("department", "部门"), ("period", "期次"), ("duty", "推送要求"), ("due_on", "应推送截止"),
    ("status", "情况"), ("county_batches", "县级筛查"), ("province_batches", "省级推送"),
    ("rows", "条数"), ("new_cases", "新案件"), ("joined", "并入案件"), ("duplicates", "重复"),
    ("rejected", "拒收"), ("received_at", "接收时间"))

#: How a line of the book reads when nothing was due for it (a batch outside the cadence).
NOT_DUE = "不在推送频次内"
URGENT = "紧急推送"


@dataclass
class BookLine:
    """One department's push period: the push it owed, and the batches that arrived for it."""

    department: str
    period: str
    due: ExpectedPush | None = None
    county: list[PushReceipt] = field(default_factory=list)
    province: list[PushReceipt] = field(default_factory=list)
    urgent: bool = False

    @property
    def duty(self) -> str:
        if self.due is None:
            return URGENT if self.urgent else NOT_DUE
        return f"{self.due.duty.number} {self.due.duty.what}"

    @property
    def due_on(self) -> date | None:
        return self.due.due_on if self.due else None

    @property
    def status(self) -> str:
        """按时 / 迟报N天 / 漏报 for a push due; otherwise what the line is."""
        return self.due.status if self.due else self.duty

    @property
    def batches(self) -> list[PushReceipt]:
        return [*self.county, *self.province]


def push_book(result: IndicatorResult) -> list[BookLine]:
    """The result's pushes due and batches received, one line per department and period (an
    event duty's push — within days of one alert — is a line of its own, named by the alert)."""
    lines: list[BookLine] = [BookLine(due.duty.department.value, due.period, due)
                             for due in result.pushes]
    for batch in result.batches:
        department = batch.department.value
        line = next((line for line in lines if line.department == department and line.due
                     and line.due.batch_id == batch.batch_id and not batch.urgent), None) or next(
            (line for line in lines if (line.department, line.period, line.urgent)
             == (department, batch.period, batch.urgent)), None)
        if line is None:
            line = BookLine(department, batch.period, urgent=batch.urgent)
            lines.append(line)
        (line.province if batch.tier is Tier.PROVINCIAL else line.county).append(batch)
    for line in lines:
        line.county.sort(key=lambda r: r.received_at)
        line.province.sort(key=lambda r: r.received_at)
    return sorted(lines, key=lambda line: (
        line.department, line.due_on or (line.batches[0].received_on if line.batches else date.max),
        line.period, line.urgent))



class BookRow(msgspec.Struct, kw_only=True):
    """A line of the book as a flat row (`BOOK_COLUMNS`; the command line, CSV, the API): the
    batches of each tier by id, their rows by outcome summed, the latest receipt's time."""

    department: str
    period: str
    duty: str
    due_on: date | None
    status: str
    county_batches: list[str]
    province_batches: list[str]
    rows: int
    new_cases: int
    joined: int
    duplicates: int
    rejected: int
    received_at: datetime | None  # None: nothing arrived


def book_rows(lines: list[BookLine]) -> list[BookRow]:
    """The book's lines as flat rows."""
    return [BookRow(
        department=line.department, period=line.period, duty=line.duty, due_on=line.due_on,
        status=line.status, county_batches=[b.batch_id for b in line.county],
        province_batches=[b.batch_id for b in line.province],
        rows=sum(b.rows for b in line.batches), new_cases=sum(b.new_cases for b in line.batches),
        joined=sum(b.joined for b in line.batches),
        duplicates=sum(b.duplicates for b in line.batches),
        rejected=sum(b.rejected for b in line.batches),
        received_at=max((b.received_at for b in line.batches), default=None),
    ) for line in lines]
