"""The departments' pushes of the demo year, backed by their rows.

`push_schedule` says, before any household lives its year, which scheduled county-tier push of
each department arrives and when (most on time, about one in ten late by one to six days, about
one in twenty never: 漏报). A household's department alert is then a row of a real batch
(`batch_for`): a county-tier row goes into the first push of its department's duty that
arrives on or after the day the risk was found (none left in the year: the province found it
instead), a provincial row or a department with no scheduled duty into that month's batch. The
row carries the alert id and command id a push of that batch gives it (`PushBatch`).

`send_pushes` then sends every batch through `PushRecording` — the path the API's and the
file imports' pushes take — at the batch's receipt time: each row answers with what its alert
became on the household (新案件 / 并入案件 / 重复), and the receipt on the department's push
ledger counts exactly those, so the ledger's figures are the alerts behind them. A scheduled
push with no row is a zero report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from random import Random

from application.app import CaseFiles
from application.demo.county import DEPARTMENT_ACTORS, DEPARTMENT_USERS
from application.demo.window import DemoWindow
from application.indicators import Cadences
from application.pushes import PushBatch, PushedAlert, PushRecording
from domain.cadences import Duty, windows
from domain.codes import Department, TargetGroup, Tier
from domain.errors import InvalidValue
from domain.governance import month_of_push_period
from domain.household import Household
from domain.periods import month_period
from domain.rules import CHINA_TIME, add_months, local_date

#: The group a department's rows are about, where its scheduled duty names groups (③).
ROW_GROUPS = {Department.CIVIL_AFFAIRS: TargetGroup.TEMPORARY_AID,
              Department.DISABLED_FEDERATION: TargetGroup.SEVERE_DISABILITY,
              Department.HEALTH: TargetGroup.NEW_SERIOUS_ILLNESS}


@dataclass(frozen=True)
class ScheduledPush:
    """A scheduled county-tier push of the demo year: its period, when it was due and when it
    arrived (None: never, or not by the demo's last moment)."""

    duty: Duty
    period: str
    due: date
    received_at: datetime | None

    @property
    def batch_id(self) -> str:
        return f"{DEPARTMENT_USERS[self.duty.department].upper()}-C-{self.period}"


@dataclass
class DemoBatch:
    """A batch of the demo and the rows the households recorded from it."""

    batch: PushBatch
    received_at: datetime | None = None  # a scheduled push's arrival; else its last row's
    rows: list[tuple[str, PushedAlert, datetime]] = field(default_factory=list)

    def arrival(self, window: DemoWindow) -> datetime:
        """When the batch was received: as scheduled, or a little after its last row."""
        if self.received_at is not None:
            return self.received_at
        last = max(at for _, _, at in self.rows)
        return min(last + timedelta(minutes=7), window.recorded_by)


@cache
def push_schedule(window: DemoWindow, seed: int) -> dict[Department, list[ScheduledPush]]:
    """Every scheduled push due in the demo year, per department in order of arrival (those that
    never arrived last)."""
    rng = Random(f"{seed}-{window.tag}-pushes")
    months = list(window.months())
    found: dict[Department, list[ScheduledPush]] = {}
    for duty in demo_duties():
        if not duty.scheduled:
            continue
        # the month before the year's first: its pushes due by the 5th belong to the year
        for first in [add_months(months[0], -1), *months]:
            for period, due in windows(duty, month_period(first.year, first.month)):
                if not window.start <= due <= window.until:
                    continue
                roll = rng.random()
                received = (None if roll < 0.05 else due + timedelta(days=rng.randint(1, 6))
                            if roll < 0.15 else due - timedelta(days=rng.randint(0, 2)))
                moment = None
                if received is not None:
                    local = datetime(received.year, received.month, received.day, 9, tzinfo=CHINA_TIME)
                    moment = (local + timedelta(minutes=rng.randint(0, 480))).astimezone(UTC)
                    if received > window.until or moment > window.recorded_by:
                        moment = None  # late, and not arrived yet
                found.setdefault(duty.department, []).append(ScheduledPush(duty, period, due, moment))
    for pushes in found.values():
        pushes.sort(key=lambda p: (p.received_at is None, p.received_at or datetime.max.replace(tzinfo=UTC)))
    return found


@cache
def demo_duties() -> tuple[Duty, ...]:
    """The duties of the default cadence table, which the demo county follows (read once: a
    demo asks for them for every row a department pushes)."""
    return Cadences.load().duties


def _duty_for(department: Department, household: Household) -> Duty | None:
    """The scheduled duty a county-tier row of ``department`` about ``household`` falls under:
    医保局's ten-day push for 脱贫户 and monitoring objects, its monthly one for the others;
    the half-monthly push (③) of every other department that has one."""
    duties = [d for d in demo_duties() if d.department is department and d.scheduled]
    if department is Department.MEDICAL_INSURANCE:
        watched = household.household_type.value == "脱贫户" or household.category is not None
        return next((d for d in duties if (d.rule == "every_ten_days") == watched), None)
    return next((d for d in duties if d.rule == "half_monthly"), None)


def batch_for(window: DemoWindow, seed: int, department: Department, tier: Tier, day: date,
              household: Household) -> tuple[PushBatch, TargetGroup | None]:
    """The batch a row found on ``day`` arrives in, and the group the row is about. A county
    row whose duty has no push arriving on or after ``day`` comes from the province instead."""
    slug = DEPARTMENT_USERS[department].upper()
    if tier is Tier.COUNTY:
        duty = _duty_for(department, household)
        if duty is None:  # no scheduled duty: the department reports by month
            return PushBatch(department, f"{slug}-C-{day:%Y-%m}", tier, f"{day:%Y-%m}"), None
        arriving = (p for p in push_schedule(window, seed)[department] if p.duty == duty
                    and p.received_at is not None and local_date(p.received_at) >= day)
        push = next(arriving, None)
        if push is not None:
            return (PushBatch(department, push.batch_id, tier, push.period),
                    ROW_GROUPS.get(department) if duty.target_groups else None)
    return PushBatch(department, f"{slug}-P-{day:%Y-%m}", Tier.PROVINCIAL, f"{day:%Y-%m}"), None


def period_of(batch: PushBatch) -> str:
    """The month an alert of the batch is recorded for (as `PushRecording` records it)."""
    return month_of_push_period(batch.period)


class DemoBatches:
    """The batches of the demo year and their rows, gathered from the households as they are
    generated (whether saved now or by an earlier load)."""

    def __init__(self, window: DemoWindow, seed: int) -> None:
        self.window, self.seed = window, seed
        self.batches: dict[tuple[Department, str], DemoBatch] = {}
        for pushes in push_schedule(window, seed).values():
            for push in pushes:
                if push.received_at is not None:
                    batch = PushBatch(push.duty.department, push.batch_id, Tier.COUNTY, push.period)
                    self.batches[batch.department, batch.batch_id] = DemoBatch(batch, push.received_at)

    def sent(self, app: CaseFiles) -> bool:
        """Whether this demo's pushes were sent to ``app`` before (its first scheduled push is
        on its department's ledger): the demo was loaded whole."""
        first = min((b for b in self.batches.values() if b.received_at is not None),
                    key=lambda b: b.received_at or datetime.max.replace(tzinfo=UTC), default=None)
        if first is None:
            return False
        ledger = app.push_ledger(first.batch.department)
        return ledger is not None and first.batch.batch_id in ledger.receipts

    def add(self, household: Household) -> None:
        """The household's rows of department batches (alerts the demo raised from a push)."""
        for event in household.pending_events:
            if not isinstance(event, Household.AlertRaised) or event.batch_id is None:
                continue
            department, tier = event.department, event.tier
            key = (department, event.batch_id)
            if key not in self.batches:
                period = event.period or f"{event.occurred_on:%Y-%m}"
                self.batches[key] = DemoBatch(PushBatch(department, event.batch_id, tier, period))
            row_id = event.alert_id.split(":", 2)[2]
            self.batches[key].rows.append((row_id, PushedAlert(
                person_id_number=event.person_id_number, risk_types=tuple(event.risk_types),
                discovered_on=event.occurred_on, description=event.description,
                disaster_kind=event.disaster_kind, problems=tuple(event.problems),
                target_group=event.target_group, amount=event.amount,
                sudden_hardship=event.sudden_hardship), event.timestamp))


def send_pushes(app: CaseFiles, batches: DemoBatches,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Send every batch not yet on its department's ledger through `PushRecording`, in order of
    arrival, each at its receipt time; returns the events recorded."""
    before = app.max_position()
    window = batches.window
    duties = demo_duties()
    received = {department: set(ledger.receipts) if ledger else set() for department in Department
                for ledger in [app.push_ledger(department)]}
    waiting = sorted((b for b in batches.batches.values()
                      if b.batch.batch_id not in received[b.batch.department]),
                     key=lambda b: (b.arrival(window), b.batch.batch_id))
    for done, demo in enumerate(waiting, start=1):
        batch = demo.batch
        with clock_at(app, demo.arrival(window)):
            recording = PushRecording(app, batch, by=DEPARTMENT_ACTORS[batch.department],
                                      find_household=app.household_code_on, duties=duties)
            for row_id, row, _ in demo.rows:
                recording.record(row_id, row)
            refused = _refused_rows(recording, demo, batches)
            recording.receive(rows=len(demo.rows) + refused, rejected=refused)
        if progress is not None and (done % 20 == 0 or done == len(waiting)):
            progress(done, len(waiting))
    return app.max_position() - before


def _refused_rows(recording: PushRecording, demo: DemoBatch, batches: DemoBatches) -> int:
    """About one in ten pushes of a duty that names its groups (③) also carries a row sent
    without the group (对象类别) — about a person of one of the department's rows of the year:
    the push path refuses it and records nothing of it; the receipt counts it as 拒收. Returns
    how many rows were refused."""
    duty, batch = recording.duty, demo.batch
    if duty is None or not duty.target_groups \
            or Random(f"{batches.seed}/{batch.batch_id}/refused").random() >= 0.1:
        return 0
    rows = demo.rows or [row for other in batches.batches.values()
                         if other.batch.department is batch.department for row in other.rows]
    if not rows:
        return 0
    row_id, row, _ = rows[0]
    try:
        recording.record(f"{row_id}-X", replace(row, target_group=None))
    except InvalidValue:
        return 1
    raise AssertionError(f"{batch.batch_id}: a row without its group was not refused")


@contextmanager
def clock_at(app: CaseFiles, moment: datetime) -> Iterator[None]:
    """The application's clock stopped at ``moment`` (the simulated receipt), then restored."""
    clock = app.clock
    app.clock = lambda: moment
    try:
        yield
    finally:
        app.clock = clock
