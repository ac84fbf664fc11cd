"""Loading the demo county into a log: the income lines and 防贫保 payout bands, the households in
batches, the departments' push receipts and the county's meetings — idempotently: what is in the
log already (recognised by its command ids) is skipped, so loading the same demo again records
nothing, and an interrupted load resumes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from application.app import SYSTEM, CaseFiles
from application.demo.county import COUNTY_ACTORS, RELIEF_BANDS, income_line, poverty_line
from application.demo.governance import ensure_governance
from application.demo.pushes import DemoBatches, send_pushes
from application.demo.self_reports import Reporters, ensure_self_reports
from application.demo.simulation import generate_county
from application.demo.window import DEMO_UNTIL, DemoWindow
from domain.codes import Category
from domain.household import Household
from domain.policy import IncomeLinePolicy, Line
from domain.relief import ReliefBandsPolicy
from domain.rules import CHINA_TIME


class DemoConflict(Exception):
    """The log already holds something the demo would contradict (another seed, another line)."""


class DemoAlreadyLoaded(DemoConflict):
    """The log holds the demo of the same seed up to another last day (``until``): loading one
    county over another would mix two years, so the one there is kept."""

    def __init__(self, until: date) -> None:
        self.until = until
        super().__init__(f"日志中已有截至 {until} 的演示县")



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
    governance_events: int = 0  # pushes, meetings and self-reports recorded by this load
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


def registration_command_id(seed: int, code: str, until: date = DEMO_UNTIL) -> str:
    """The command id of a demo household's registration (the first command of each)."""
    return f"demo-{DemoWindow.ending(until).tag}-{seed}-{code}-001"


def load_demo(
    app: CaseFiles,
    households: int,
    seed: int = 2025,
    batch: int = 200,
    progress: Callable[[int, int], None] | None = None,
    *,
    until: date = DEMO_UNTIL,
    now: datetime | None = None,
) -> DemoSummary:
    """Load the demo county into ``app``: the income lines, then the households in batches of
    ``batch`` aggregates per ``app.save`` (one transaction each), calling ``progress(done, total)``.

    The demo lives through the twelve months that end on ``until``; given ``now`` (the
    application's clock), nothing is recorded later than it (``until`` must not be after its
    day). Idempotent: households already registered by this demo (same seed and last day) are
    skipped, so loading again records nothing and an interrupted load resumes; a smaller demo
    loaded whole is not extended (`DemoConflict`: its push receipts count its own rows). A demo
    of another last day in the log raises `DemoAlreadyLoaded` before anything is recorded; a
    household code registered otherwise, `DemoConflict`. The departments' pushes are sent last,
    through the push path the API takes (`application.demo.pushes`), then the county's meetings
    and the self-reports of the year (`application.demo.self_reports`).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    window = DemoWindow.ending(until, now)
    _check_not_another_demo(app, seed, window)
    summary = DemoSummary()
    summary.saved_events += _ensure_income_lines(app, window)
    summary.saved_events += _ensure_relief_bands(app)
    pending: list[Household] = []
    batches = DemoBatches(window, seed)
    reporters = Reporters()
    completed = batches.sent(app)  # a whole demo was loaded: its pushes were sent
    for household in generate_county(households, seed, window):
        summary.add(household)
        batches.add(household)
        reporters.add(household)
        pending.append(household)
        if len(pending) == batch:
            _save_batch(app, pending, summary, completed)
            pending = []
            if progress is not None:
                progress(summary.households, households)
    if pending:
        _save_batch(app, pending, summary, completed)
        if progress is not None:
            progress(summary.households, households)
    summary.governance_events = (send_pushes(app, batches) + ensure_governance(app, window, seed)
                                 + ensure_self_reports(app, window, seed, reporters))
    summary.saved_events += summary.governance_events
    return summary


def _check_not_another_demo(app: CaseFiles, seed: int, window: DemoWindow) -> None:
    """Refuse (`DemoAlreadyLoaded`) when the demo's first household was registered by this seed's
    demo of another last day."""
    first = next(generate_county(1, seed, window), None)
    if first is None:
        return
    recorded = next(iter(app.events.get(first.id, lte=1)), None)
    command_id = getattr(recorded, "command_id", "") if recorded is not None else ""
    expected = first.pending_events[0].command_id  # type: ignore[attr-defined]
    suffix = f"-{seed}-{first.code}-001"
    if command_id and command_id != expected and command_id.startswith("demo-") \
            and command_id.endswith(suffix):
        tag = command_id.removeprefix("demo-").removesuffix(suffix)
        try:
            until = DEMO_UNTIL if tag == "2025" else date.fromisoformat(tag)
        except ValueError:
            return  # not a demo this code knows: `_registered` names the conflict
        raise DemoAlreadyLoaded(until)


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


def _save_batch(app: CaseFiles, batch: list[Household], summary: DemoSummary,
                completed: bool) -> None:
    """Save the households of ``batch`` not saved before. Earlier loads saved a prefix of the
    same stream, each batch in one transaction; one that ``completed`` (its pushes sent, its
    receipts counting its rows) is not extended: new rows would be missing from receipts."""
    if _registered(app, batch[-1]):
        return
    new = batch
    if _registered(app, batch[0]):
        new = [h for h in batch if not _registered(app, h)]
    if new and completed:
        raise DemoConflict(
            "日志中已有户数较少的同一演示县（其部门推送已接收）；再加户会使推送回执的条数与预警不符："
            "请载入原来的户数，或使用空的数据库")
    events = sum(len(h.pending_events) for h in new)
    if new:
        app.save(*new)
    summary.saved_households += len(new)
    summary.saved_events += events


def _ensure_income_lines(app: CaseFiles, window: DemoWindow) -> int:
    """Set the monitoring and poverty lines of every year from two before the demo's (its
    households with a history) to the year of its last day unless set already; returns events
    recorded.

    The lines are recorded as set by the county centre on 20 December of the year before they
    take effect, so the log shows them known before the demo's assessments use them.
    """
    policy = app.income_line_policy()
    changed = False
    for line_year in range(window.start.year - 2, window.until.year + 1):
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
