"""Department push cadences (domain.md §5, the notice §二.四) and push compliance.

A `Duty` is one row of the cadence table for one department. Scheduled duties expect a push
per window (ten days, half a month, a month) with a due date; event duties expect each alert
within so many days of the risk's discovery. The table is data (``cadences.toml``, read by the
application and parsed by `parse_duties`); how the notice's words were read into numbers is
each duty's ``reading``, shown in reports.

Judging a push (`expected_pushes`, `event_pushes`): a department's duty is its county-tier
report (县级筛查, domain.md §5); a provincial push (省级推送) is the province's, recorded and
deduplicated but never credited to the department. The first non-urgent county batch a
department sent for a period is compared with that period's due date — on the due date is on time, a day
after is one day late (迟报); a period with no batch by the evaluation day is missing (漏报).
Urgent batches (紧急推送, outside the cadence) are counted apart and never make up for a
scheduled one. An expected push counts in the period its due date falls in, once due.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.codes import Department, Problem, RiskType, SuddenHardship, TargetGroup, Tier
from domain.errors import InvalidValue
from domain.governance import PushReceipt
from domain.periods import Period, month_period
from domain.rules import add_months

SCHEDULED_RULES = ("every_ten_days", "half_monthly", "monthly", "monthly_by_day")
EVENT_RULES = ("within_days_of_event",)

#: Suffix of a push period for each part of a month, by rule.
_PARTS: dict[str, tuple[tuple[str, int, int | None], ...]] = {
    # (suffix, first day, last day or None for the month's last day)
    "every_ten_days": (("上旬", 1, 10), ("中旬", 11, 20), ("下旬", 21, None)),
    "half_monthly": (("上半月", 1, 15), ("下半月", 16, None)),
    "monthly": (("", 1, None),),
    "monthly_by_day": (("", 1, None),),
}


@dataclass(frozen=True)
class Duty:
    """One department's duty under one row of the cadence table."""

    number: str  # the row of the notice's table: ①…⑨
    department: Department
    what: str
    rule: str
    days: int = 0  # monthly_by_day: due day of the next month; within_days_of_event: limit
    months: tuple[int, ...] = ()  # only in these months (⑤: September–October); () = all
    risk_types: tuple[RiskType, ...] = ()  # event duties: the alerts they cover
    problems: tuple[Problem, ...] = ()
    sudden_hardships: tuple[SuddenHardship, ...] = ()  # ①: an epidemic alert, whatever its risk type
    reading: str = ""
    #: What each row of this department's push must carry (③ a 民政局 row is about 低保, 特困
    #: or 临时救助; ⑥ a 卫健局 row is about the uninsured, with spending above 20,000 yuan).
    target_groups: tuple[TargetGroup, ...] = ()
    amount_above: Decimal | None = None
    amount_means: str = ""

    @property
    def scheduled(self) -> bool:
        return self.rule in SCHEDULED_RULES

    @property
    def period_suffixes(self) -> tuple[str, ...]:
        return tuple(suffix for suffix, _, _ in _PARTS.get(self.rule, ()))

    def check_row(self, target_group: TargetGroup | None, amount: Decimal | None) -> None:
        """Refuse a row that does not meet this duty's criteria, naming the field."""
        duty = f"{self.number}{self.department}推送"
        if self.target_groups and target_group not in self.target_groups:
            groups = "、".join(self.target_groups)
            if target_group is None:
                raise InvalidValue("TARGET_GROUP_REQUIRED", f"{duty}须注明对象类别（{groups}）",
                                   "target_group")
            raise InvalidValue("TARGET_GROUP_NOT_IN_DUTY",
                               f"“{target_group}”不属于{duty}的对象（{groups}）", "target_group")
        if self.amount_above is not None and (amount is None or amount <= self.amount_above):
            found = "" if amount is None else f"（本行 {amount} 元）"
            raise InvalidValue("AMOUNT_BELOW_CRITERION",
                               f"{duty}须为{self.amount_means}超过{self.amount_above}元的人员{found}",
                               "amount")

    def covers(self, risk_types: Iterable[str], problems: Iterable[str], discovered_on: date,
               sudden_hardship: str | None = None) -> bool:
        """Whether an alert is one this event duty requires within its days."""
        if self.months and discovered_on.month not in self.months:
            return False
        return bool(set(risk_types) & set(self.risk_types) or set(problems) & set(self.problems)
                    or sudden_hardship in self.sudden_hardships)


@dataclass(frozen=True)
class ExpectedPush:
    """A push a department owed, and what it did."""

    duty: Duty
    period: str  # the push period (``2025-03上旬``), or the alert id for an event duty
    due_on: date
    received_on: date | None
    batch_id: str | None
    township: str | None = None  # event duties: the household's township
    received_at: datetime | None = None  # scheduled pushes: when the batch was recorded
    tier: str | None = None

    @property
    def days_late(self) -> int | None:
        if self.received_on is None:
            return None
        return max((self.received_on - self.due_on).days, 0)

    @property
    def on_time(self) -> bool:
        return self.received_on is not None and self.received_on <= self.due_on

    @property
    def status(self) -> str:
        if self.received_on is None:
            return "漏报"
        return "按时" if self.on_time else f"迟报{self.days_late}天"


def parse_duties(table: Mapping[str, Any]) -> tuple[Duty, ...]:
    """The duties of a cadence table (``cadences.toml`` read as a dict): one ``[[duty]]`` per row
    of the notice's table, each naming its departments. Refuses what it cannot read."""
    duties: list[Duty] = []
    for index, row in enumerate(table.get("duty", [])):
        where = f"duty[{index}]"
        rule = row.get("rule")
        if rule not in SCHEDULED_RULES + EVENT_RULES:
            raise InvalidValue("CADENCE_INVALID", f"{where}: 未知的推送规则 {rule!r}", "rule")
        days = int(row.get("days", 0))
        if rule in ("monthly_by_day", "within_days_of_event") and not 1 <= days <= 28:
            raise InvalidValue("CADENCE_INVALID", f"{where}: days 须在1至28之间", "days")
        try:
            departments = [Department(d) for d in row["departments"]]
            risk_types = tuple(RiskType(r) for r in row.get("risk_types", ()))
            problems = tuple(Problem(p) for p in row.get("problems", ()))
            hardships = tuple(SuddenHardship(h) for h in row.get("sudden_hardships", ()))
            groups = {Department(d): tuple(TargetGroup(g) for g in names)
                      for d, names in row.get("target_groups", {}).items()}
            amount_above = Decimal(str(row["amount_above"])) if "amount_above" in row else None
        except (KeyError, ValueError, ArithmeticError) as error:
            raise InvalidValue("CADENCE_INVALID", f"{where}: {error}", "departments") from None
        if rule in EVENT_RULES and not (risk_types or problems or hardships):
            raise InvalidValue("CADENCE_INVALID", f"{where}: 事件类推送须列出风险类型、问题或突发困难类型",
                               "risk_types")
        for department in departments:
            duties.append(Duty(
                number=str(row.get("number", "")), department=department,
                what=str(row.get("what", "")), rule=rule, days=days,
                months=tuple(int(m) for m in row.get("months", ())), risk_types=risk_types,
                problems=problems, sudden_hardships=hardships, reading=str(row.get("reading", "")),
                target_groups=groups.get(department, ()), amount_above=amount_above,
                amount_means=str(row.get("amount_means", "")),
            ))
    _check_unambiguous(duties)
    return tuple(duties)


def _check_unambiguous(duties: list[Duty]) -> None:
    """Each scheduled push period form must name one duty of its department."""
    seen: dict[tuple[Department, str], Duty] = {}
    for duty in duties:
        for suffix in duty.period_suffixes:
            other = seen.setdefault((duty.department, suffix), duty)
            if other is not duty:
                raise InvalidValue(
                    "CADENCE_INVALID",
                    f"{duty.department}: {other.number} 与 {duty.number} 的推送期次写法相同，无法区分",
                    "rule",
                )


def push_period_forms(duties: Iterable[Duty], department: Department) -> tuple[str, ...]:
    """The suffixes a department's scheduled push periods may take ("" is the plain month;
    a department with no scheduled duty reports by month)."""
    forms = [suffix for duty in duties if duty.department is department and duty.scheduled
             for suffix in duty.period_suffixes]
    return tuple(dict.fromkeys(forms)) or ("",)


def duty_for_period(duties: Iterable[Duty], department: Department, period: str) -> Duty | None:
    """The scheduled duty a batch for ``period`` fulfils (None: not a scheduled push)."""
    suffix = period[7:]
    for duty in duties:
        if duty.department is department and duty.scheduled and suffix in duty.period_suffixes:
            return duty
    return None


def windows(duty: Duty, month: Period) -> Iterator[tuple[str, date]]:
    """(push period, due date) of each window of ``month`` under a scheduled duty."""
    for suffix, _first, last in _PARTS[duty.rule]:
        if duty.rule == "monthly_by_day":
            due = add_months(month.start, 1).replace(day=duty.days)
        else:
            due = month.end if last is None else month.start.replace(day=last)
        yield f"{month.label}{suffix}", due


def expected_pushes(
    duties: Iterable[Duty], receipts: Iterable[PushReceipt], period: Period, today: date,
    ended: date | None = None,
) -> list[ExpectedPush]:
    """Every scheduled push due within ``period`` whose due day is over by ``ended`` (default
    ``today``) or that was met by ``today``, with the batch that met it (the first batch for
    its push period that `PushReceipt.meets_the_cadence`) or none."""
    ended = ended or today
    first: dict[tuple[Department, str], PushReceipt] = {}
    for receipt in sorted(receipts, key=lambda r: (r.received_at, r.batch_id)):
        if receipt.meets_the_cadence:
            first.setdefault((receipt.department, receipt.period), receipt)
    # Windows due in the period may belong to the month before it (a push due by the 5th).
    earlier = add_months(period.start, -1)
    months = [month_period(earlier.year, earlier.month), *period.months()]
    found: list[ExpectedPush] = []
    for duty in duties:
        if not duty.scheduled:
            continue
        for month in months:
            if duty.months and month.start.month not in duty.months:
                continue
            for push_period, due in windows(duty, month):
                if due not in period:
                    continue
                receipt = first.get((duty.department, push_period))
                met = receipt if receipt and receipt.received_on <= today else None
                if due > ended and met is None:
                    continue  # not yet due
                found.append(ExpectedPush(
                    duty, push_period, due, met.received_on if met else None,
                    met.batch_id if met else None, None, met.received_at if met else None,
                    met.tier.value if met and met.tier else None,
                ))
    return found


@dataclass(frozen=True)
class AlertPush:
    """A department alert as an event duty sees it."""

    alert_id: str
    department: Department
    township: str
    risk_types: tuple[str, ...]
    problems: tuple[str, ...]
    discovered_on: date
    received_on: date
    batch_id: str | None
    tier: str | None = None
    sudden_hardship: str | None = None


def event_pushes(
    duties: Iterable[Duty], alerts: Iterable[AlertPush], period: Period, today: date,
    ended: date | None = None,
) -> list[ExpectedPush]:
    """Each alert an event duty covers, due ``days`` after discovery (counted in the period
    its due date falls in, once due or received)."""
    by_department: dict[Department, list[Duty]] = {}
    for duty in duties:
        if not duty.scheduled:
            by_department.setdefault(duty.department, []).append(duty)
    found = []
    for alert in alerts:
        if alert.tier == Tier.PROVINCIAL:
            continue  # the province's finding: the department still owes its own
        for duty in by_department.get(alert.department, ()):
            if not duty.covers(alert.risk_types, alert.problems, alert.discovered_on,
                               alert.sudden_hardship):
                continue
            due = alert.discovered_on + timedelta(days=duty.days)
            if due in period and (due <= (ended or today) or alert.received_on <= today):
                found.append(ExpectedPush(duty, alert.alert_id, due, alert.received_on,
                                          alert.batch_id, alert.township, tier=alert.tier))
            break
    return found


def next_due(duty: Duty, receipts: Iterable[PushReceipt], today: date) -> ExpectedPush | None:
    """The first push of a scheduled duty due on or after ``today``, met or not as
    `expected_pushes` judges it (None for an event duty: it is due when an event is found)."""
    if not duty.scheduled:
        return None
    ahead = Period(today, add_months(today, 13), "ahead")
    upcoming = expected_pushes([duty], receipts, ahead, today, ended=ahead.end)
    return min(upcoming, key=lambda push: push.due_on, default=None)
