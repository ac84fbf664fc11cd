"""Loading the demo county into a log: the income lines and 防贫保 payout bands, the households in
batches, the departments' push receipts and the county's meetings — idempotently: what is in the
log already (recognised by its command ids) is skipped, so loading the same demo again records
nothing, and an interrupted load resumes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from random import Random
from typing import Any

from application.app import SYSTEM, CaseFiles
from application.demo.county import (
    COUNTY_ACTORS,
    DEPARTMENT_ACTORS,
    DEPARTMENT_USERS,
    RELIEF_BANDS,
    TOWNSHIPS,
    income_line,
    poverty_line,
)
from application.demo.simulation import generate_county
from application.indicators import Cadences
from domain.cadences import windows
from domain.codes import Category, Department, Tier
from domain.governance import Governance, PushLedger
from domain.household import Household
from domain.periods import month_period
from domain.policy import IncomeLinePolicy, Line
from domain.relief import ReliefBandsPolicy
from domain.rules import CHINA_TIME, local_date


class DemoConflict(Exception):
    """The log already holds something the demo would contradict (another seed, another line)."""



@dataclass
class DemoSummary:
    """What the demo holds, counted from the generated households while streaming.

    ``monitoring_objects`` counts households that are monitoring objects at the end, by category;
    ``open_cases`` households whose active case is not (yet) included (being identified, or a
    green-channel case still owing steps); ``eliminated`` and ``re_entries`` count cases.
    ``saved_households``/``saved_events`` say what this load recorded (0 when already loaded).
    """

    households: int = 0
    events: int = 0
    monitoring_objects: dict[Category, int] = field(
        default_factory=lambda: dict.fromkeys(Category, 0)
    )
    open_cases: int = 0
    eliminated: int = 0
    re_entries: int = 0
    saved_households: int = 0
    saved_events: int = 0
    governance_events: int = 0  # push receipts and meetings recorded by this load
    events_by_type: dict[str, int] = field(default_factory=dict)

    def add(self, household: Household) -> None:
        self.households += 1
        self.events += len(household.pending_events)
        for event in household.pending_events:
            name = type(event).__name__
            self.events_by_type[name] = self.events_by_type.get(name, 0) + 1
        category = household.category
        if category is not None:
            self.monitoring_objects[category] += 1
        active = household.active_case
        if active is not None and not active.included:
            self.open_cases += 1
        self.eliminated += sum(1 for case in household.cases if case.eliminated)
        self.re_entries += sum(1 for case in household.cases if case.re_entry)


def registration_command_id(seed: int, code: str, year: int = 2025) -> str:
    """The command id of a demo household's registration (the first command of each)."""
    return f"demo-{year}-{seed}-{code}-001"


def load_demo(
    app: CaseFiles,
    households: int,
    seed: int = 2025,
    batch: int = 200,
    progress: Callable[[int, int], None] | None = None,
    *,
    year: int = 2025,
) -> DemoSummary:
    """Load the demo county into ``app``: the income lines, then the households in batches of
    ``batch`` aggregates per ``app.save`` (one transaction each), calling ``progress(done, total)``.

    Idempotent: households already registered by this demo (same seed) are skipped, so loading
    again records nothing and an interrupted load resumes. A household code registered otherwise
    raises `DemoConflict`.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    summary = DemoSummary()
    summary.saved_events += _ensure_income_lines(app, year)
    summary.saved_events += _ensure_relief_bands(app)
    pending: list[Household] = []
    for household in generate_county(households, seed, year):
        summary.add(household)
        pending.append(household)
        if len(pending) == batch:
            _save_batch(app, pending, summary)
            pending = []
            if progress is not None:
                progress(summary.households, households)
    if pending:
        _save_batch(app, pending, summary)
        if progress is not None:
            progress(summary.households, households)
    summary.governance_events = _ensure_governance(app, year, seed)
    summary.saved_events += summary.governance_events
    return summary


def _ensure_governance(app: CaseFiles, year: int, seed: int) -> int:
    """The departments' push receipts and the county's meetings for the demo year, unless
    recorded already; returns the events recorded.

    Each scheduled push of the cadence table is received on time (most), late by one to six
    days (about one in ten) or not at all (about one in twenty); pushes due after the year are
    left out. A consultation is held every month but one, a dispatch meeting after each of the
    first three quarters. Recorded at the simulated receipt and meeting times.
    """

    rng = Random(f"{seed}-{year}-governance")
    last_day = date(year, 12, 31)
    saved: list[Any] = []
    receipts: dict[Department, list[tuple[datetime, str, Any]]] = {}
    for duty in Cadences.load().duties:
        if not duty.scheduled:
            continue
        # December's pushes due by the 5th of January belong to the year as well
        for month in [month_period(year - 1, 12), *(month_period(year, m) for m in range(1, 13))]:
            for push_period, due in windows(duty, month):
                if due.year != year:
                    continue
                roll = rng.random()
                if roll < 0.05:
                    continue  # 漏报
                received = (due + timedelta(days=rng.randint(1, 6)) if roll < 0.15
                            else due - timedelta(days=rng.randint(0, 2)))
                if received > last_day:
                    continue
                moment = datetime(received.year, received.month, received.day, 9, tzinfo=CHINA_TIME)
                moment = (moment + timedelta(minutes=rng.randint(0, 480))).astimezone(UTC)
                receipts.setdefault(duty.department, []).append(
                    (moment, push_period, rng.randint(0, 12)))
    for department, pushes in receipts.items():
        if app.push_ledger(department) is not None:
            continue  # loaded before
        pushes.sort()
        first_at = pushes[0][0]
        ledger = PushLedger.start(department, occurred_on=local_date(first_at), by=SYSTEM, at=first_at)
        slug = DEPARTMENT_USERS[department].upper()
        for moment, push_period, rows in pushes:
            ledger.receive(batch_id=f"{slug}-C-{push_period}", tier=Tier.COUNTY, period=push_period,
                           rows=rows, by=DEPARTMENT_ACTORS[department], at=moment,
                           command_id=f"demo-{year}-{seed}-push-{slug}-{push_period}")
        saved.append(ledger)
    if app.governance() is None:
        governance = _demo_meetings(rng, year, seed)
        saved.append(governance)
    events = sum(len(aggregate.pending_events) for aggregate in saved)
    if saved:
        app.save(*saved)
    return events


def _demo_meetings(rng: Random, year: int, seed: int) -> Governance:
    skipped = rng.randint(2, 11)  # one month without a consultation
    start = datetime(year, 1, 2, 9, tzinfo=CHINA_TIME).astimezone(UTC)
    governance = Governance.start(occurred_on=date(year, 1, 2), by=SYSTEM, at=start)
    cadences = Cadences.load()  # in force from the start of the demo year
    governance.adopt_cadence_table(digest=cadences.digest, text=cadences.text, by=SYSTEM, at=start,
                                   command_id=f"cadences:{cadences.digest}")
    departments = [d for d in Department if d is not Department.RURAL_REVITALISATION]
    meetings: list[tuple[date, str | None]] = [
        (date(year, month, rng.randint(20, 28)), None) for month in range(1, 13) if month != skipped
    ]
    meetings += [(date(year, 3 * quarter + 1, rng.randint(8, 15)), f"{year}-Q{quarter}")
                 for quarter in (1, 2, 3)]
    actions: list[Action] = []  # applied in time order
    for held_on, quarter in sorted(meetings):
        at = datetime(held_on.year, held_on.month, held_on.day, 16, tzinfo=CHINA_TIME).astimezone(UTC)
        present = [Department.RURAL_REVITALISATION, *rng.sample(departments, rng.randint(5, 9))]
        common = {"departments_present": present, "occurred_on": held_on, "by": COUNTY_ACTORS[0],
                  "at": at}
        if quarter is None:
            actions.append((at, len(actions), partial(
                governance.hold_consultation,
                meeting_id=f"HS-{held_on:%Y-%m}", topics=["本月预警核实与识别认定进展", "帮扶措施落实研判"],
                decisions=["审定本月识别认定结果", "逾期案件督促办结"], **common,
                command_id=f"demo-{year}-{seed}-consultation-{held_on:%m}")))
        else:
            actions.append((at, len(actions), partial(
                governance.hold_dispatch_meeting,
                meeting_id=f"DD-{quarter}", quarter=quarter, topics=["季度工作调度", "问题整改"],
                decisions=["通报推送迟报漏报部门", "限期整改"], **common,
                command_id=f"demo-{year}-{seed}-dispatch-{quarter}")))
            actions += _rectifications(rng, governance, f"DD-{quarter}", at, year, seed, departments)
    for _, _, act in sorted(actions, key=lambda a: (a[0], a[1])):
        act()
    return governance


#: A governance command at its time (with a tie-breaker), applied in time order: an aggregate's
#: events are recorded in the order they happened.
Action = tuple[datetime, int, Callable[[], None]]


def _rectifications(rng: Random, governance: Governance, meeting_id: str, at: datetime, year: int,
                    seed: int, departments: list[Department]) -> list[Action]:
    """限期整改 named at a dispatch meeting: a department's late pushes, a township's overdue
    cases; most put right in time, some late, some still open at the year's end."""
    actions: list[Action] = []
    ordered = at + timedelta(hours=1)
    for n, (unit, problem, days) in enumerate((
            ({"department": rng.choice(departments)}, "定期推送迟报漏报，限期补报并说明原因", 30),
            ({"township": rng.choice(TOWNSHIPS)}, "识别认定超过15日的案件限期办结，逐户说明原因", 20))):
        item_id = f"{meeting_id}-ZG{n + 1}"
        deadline = local_date(ordered) + timedelta(days=days)
        actions.append((ordered, n, partial(
            governance.order_rectification, item_id=item_id, source=meeting_id, problem=problem,
            deadline=deadline, occurred_on=local_date(ordered), by=COUNTY_ACTORS[0], at=ordered,
            command_id=f"demo-{year}-{seed}-{item_id}", **unit)))
        roll = rng.random()
        done_on = deadline - timedelta(days=rng.randint(1, days - 1)) if roll < 0.7 \
            else deadline + timedelta(days=rng.randint(3, 25))
        if roll > 0.85 or done_on > date(year, 12, 31):
            continue  # still open: overdue on the lists
        done_at = datetime(done_on.year, done_on.month, done_on.day, 11, tzinfo=CHINA_TIME).astimezone(UTC)
        actions.append((done_at, n, partial(
            governance.complete_rectification, item_id=item_id, what_was_done="已整改并报县防贫中心备案",
            occurred_on=done_on, by=COUNTY_ACTORS[0], at=done_at,
            command_id=f"demo-{year}-{seed}-{item_id}-done")))
    return actions


def _registered(app: CaseFiles, household: Household) -> bool:
    """Whether this demo household is in the log already (the same registration command)."""
    first = next(iter(app.events.get(household.id, lte=1)), None)
    if first is None:
        return False
    expected = household.pending_events[0].command_id  # type: ignore[attr-defined]
    if getattr(first, "command_id", None) != expected:
        raise DemoConflict(
            f"户编号 {household.code} 已登记，但不是这份演示数据（{expected}）登记的；"
            "请使用空的数据库，或使用原来的种子和年度"
        )
    return True


def _save_batch(app: CaseFiles, batch: list[Household], summary: DemoSummary) -> None:
    # Earlier loads saved a prefix of the same stream, each batch in one transaction.
    if _registered(app, batch[-1]):
        return
    new = batch
    if _registered(app, batch[0]):
        new = [h for h in batch if not _registered(app, h)]
    events = sum(len(h.pending_events) for h in new)
    if new:
        app.save(*new)
    summary.saved_households += len(new)
    summary.saved_events += events


def _ensure_income_lines(app: CaseFiles, year: int) -> int:
    """Set the monitoring and poverty lines of ``year - 1`` and ``year`` unless set already;
    returns events recorded.

    The lines are recorded as set by the county centre on 20 December of the year before they
    take effect, so the log shows them known before the demo's assessments use them.
    """
    policy = app.income_line_policy()
    changed = False
    for line_year in (year - 1, year):
        for line, amount, slug in ((Line.MONITORING, income_line(line_year), "income-line"),
                                   (Line.POVERTY, poverty_line(line_year), "poverty-line")):
            command_id = f"demo-{slug}-{line_year}"
            if policy is not None and command_id in policy.command_ids:
                continue
            lines = (policy.lines if line is Line.MONITORING else policy.poverty_lines) if policy else {}
            if line_year in lines:
                known = lines[line_year]
                if known.yuan_per_capita == amount and known.effective_from == date(line_year, 1, 1):
                    continue
                raise DemoConflict(
                    f"{line_year} 年度{line.value}已设为 {known.yuan_per_capita} 元，"
                    f"与演示数据的 {amount} 元不同"
                )
            occurred_on = date(line_year - 1, 12, 20)
            at = datetime(line_year - 1, 12, 20, 10, 0, tzinfo=CHINA_TIME).astimezone(UTC)
            if policy is None:
                policy = IncomeLinePolicy.start(occurred_on=occurred_on, by=SYSTEM, at=at)
            else:
                at = max(at, policy.modified_on + timedelta(seconds=1))
            setter = policy.set_line if line is Line.MONITORING else policy.set_poverty_line
            setter(
                year=line_year, yuan_per_capita=amount, effective_from=date(line_year, 1, 1),
                reason=f"{line_year}年度{line.value}（年度调整）", occurred_on=occurred_on,
                by=COUNTY_ACTORS[0], at=at, command_id=command_id,
            )
            changed = True
    if not changed or policy is None:
        return 0
    recorded = len(policy.pending_events)
    app.save(policy)
    return recorded


def _ensure_relief_bands(app: CaseFiles) -> int:
    """Set the demo's 防贫保 payout bands unless set already; returns events recorded. Recorded
    as set by the county centre on 20 December of the year before they take effect."""
    policy = app.relief_bands_policy()
    command_id = f"demo-relief-bands-{RELIEF_BANDS.effective_from}"
    if policy is not None and command_id in policy.command_ids:
        return 0
    known = policy.schedules.get(RELIEF_BANDS.effective_from) if policy is not None else None
    if known is not None:
        if (known.bands, known.yearly_cap) == (RELIEF_BANDS.bands, RELIEF_BANDS.yearly_cap):
            return 0
        raise DemoConflict(f"{RELIEF_BANDS.effective_from} 起的防贫保赔付标准已设定，与演示数据不同")
    year = RELIEF_BANDS.effective_from.year
    occurred_on = date(year - 1, 12, 20)
    at = datetime(year - 1, 12, 20, 10, 0, tzinfo=CHINA_TIME).astimezone(UTC)
    if policy is None:
        policy = ReliefBandsPolicy.start(occurred_on=occurred_on, by=SYSTEM, at=at)
    else:
        at = max(at, policy.modified_on + timedelta(seconds=1))
    policy.set_bands(
        effective_from=RELIEF_BANDS.effective_from, bands=RELIEF_BANDS.bands,
        yearly_cap=RELIEF_BANDS.yearly_cap, reason=RELIEF_BANDS.reason, occurred_on=occurred_on,
        by=COUNTY_ACTORS[0], at=at, command_id=command_id,
    )
    recorded = len(policy.pending_events)
    app.save(policy)
    return recorded
