"""The county's side of the demo year: the monthly consultations and quarterly dispatch
meetings, and the rectification items (限期整改) those meetings order (the departments' pushes
are `application.demo.pushes`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from random import Random

from application.app import SYSTEM, CaseFiles
from application.demo.county import COUNTY_ACTORS, TOWNSHIPS
from application.demo.window import DemoWindow
from application.indicators import Cadences
from domain.codes import Department
from domain.governance import Governance
from domain.rules import CHINA_TIME, add_months, local_date


def ensure_governance(app: CaseFiles, window: DemoWindow, seed: int) -> int:
    """The county's meetings of the demo year (and the rectification items they order), unless
    recorded already; returns the events recorded. A consultation is held every month but one
    (this month's only once its day has come), a dispatch meeting after each quarter that ended
    in the year; recorded at the simulated meeting times. (The departments' pushes:
    `application.demo.pushes`.)"""
    if app.governance() is not None:
        return 0
    governance = _demo_meetings(Random(f"{seed}-{window.tag}-governance"), window, seed)
    events = len(governance.pending_events)
    app.save(governance)
    return events


def _at(day: date, hour: int, window: DemoWindow) -> datetime:
    """``hour`` o'clock in the county on ``day``, or the latest the demo may record at."""
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TIME).astimezone(UTC)
    return min(moment, window.recorded_by)


def _demo_meetings(rng: Random, window: DemoWindow, seed: int) -> Governance:
    start, until, tag = window.start, window.until, window.tag
    months = list(window.months())
    skipped = months[rng.randint(1, len(months) - 3)]  # one past month without a consultation
    opened = _at(start, 9, window)
    governance = Governance.start(occurred_on=start, by=SYSTEM, at=opened)
    cadences = Cadences.load()  # in force from the start of the demo year
    governance.adopt_cadence_table(digest=cadences.digest, text=cadences.text, by=SYSTEM, at=opened,
                                   command_id=f"cadences:{cadences.digest}")
    departments = [d for d in Department if d is not Department.RURAL_REVITALISATION]
    meetings: list[tuple[date, str | None]] = [
        (month.replace(day=rng.randint(20, 28)), None) for month in months if month != skipped
    ]
    for month in months:  # after each quarter that ended in the year
        if month.month in (1, 4, 7, 10) and month > start:
            ended = add_months(month, -1)
            label = f"{ended.year}-Q{(ended.month - 1) // 3 + 1}"
            meetings.append((month.replace(day=rng.randint(8, 15)), label))
    meetings = [(day, quarter) for day, quarter in meetings if start <= day <= until]
    actions: list[Action] = []  # applied in time order
    # the latest dispatch meeting whose township item is past its deadline keeps it open: the
    # overdue list shows an item days or weeks late, not most of a year
    overdue_from = max((day for day, quarter in meetings if quarter is not None
                        and day + timedelta(days=TOWNSHIP_DAYS) < until), default=None)
    for held_on, quarter in sorted(meetings):
        at = _at(held_on, 16, window)
        present = [Department.RURAL_REVITALISATION, *rng.sample(departments, rng.randint(5, 9))]
        common = {"departments_present": present, "occurred_on": held_on, "by": COUNTY_ACTORS[0],
                  "at": at}
        if quarter is None:
            actions.append((at, len(actions), partial(
                governance.hold_consultation,
                meeting_id=f"HS-{held_on:%Y-%m}", topics=["本月预警核实与识别认定进展", "帮扶措施落实研判"],
                decisions=["审定本月识别认定结果", "逾期案件督促办结"], **common,
                command_id=f"demo-{tag}-{seed}-consultation-{held_on:%Y-%m}")))
        else:
            base = len(actions)
            actions.append((at, base, partial(
                governance.hold_dispatch_meeting,
                meeting_id=f"DD-{quarter}", quarter=quarter, topics=["季度工作调度", "问题整改"],
                decisions=["通报推送迟报漏报部门", "限期整改"], **common,
                command_id=f"demo-{tag}-{seed}-dispatch-{quarter}")))
            actions += _rectifications(rng, governance, f"DD-{quarter}", at, window, seed,
                                       departments, base, keep_open=held_on == overdue_from)
    for _, _, act in sorted(actions, key=lambda a: (a[0], a[1])):
        act()
    return governance


#: Days a township has to put right its overdue cases (限期整改).
TOWNSHIP_DAYS = 20
#: An item left open by chance is still open at the end only if its deadline is this recent.
OPEN_AT_MOST = 45

#: A governance command at its time (with a tie-breaker), applied in time order: an aggregate's
#: events are recorded in the order they happened.
Action = tuple[datetime, int, Callable[[], None]]


def _rectifications(rng: Random, governance: Governance, meeting_id: str, at: datetime,
                    window: DemoWindow, seed: int, departments: list[Department], base: int,
                    *, keep_open: bool) -> list[Action]:
    """限期整改 named at a dispatch meeting: a department's late pushes, a township's overdue
    cases; most put right in time, some late, some still open at the end if their deadline is
    recent (``keep_open``: the township's item of this meeting, so that the overdue list has
    something true to show); an older one still open by chance is put right late."""
    actions: list[Action] = []
    ordered = min(at + timedelta(hours=1), window.recorded_by)
    for n, (unit, problem, days) in enumerate((
            ({"department": rng.choice(departments)}, "定期推送迟报漏报，限期补报并说明原因", 30),
            ({"township": rng.choice(TOWNSHIPS)}, "识别认定超过15日的案件限期办结，逐户说明原因",
             TOWNSHIP_DAYS))):
        item_id = f"{meeting_id}-ZG{n + 1}"
        deadline = local_date(ordered) + timedelta(days=days)
        actions.append((ordered, base + 1 + n, partial(
            governance.order_rectification, item_id=item_id, source=meeting_id, problem=problem,
            deadline=deadline, occurred_on=local_date(ordered), by=COUNTY_ACTORS[0], at=ordered,
            command_id=f"demo-{window.tag}-{seed}-{item_id}", **unit)))
        roll = rng.random()
        done_on = deadline - timedelta(days=rng.randint(1, days - 1)) if roll < 0.7 \
            else deadline + timedelta(days=rng.randint(3, 25))
        if keep_open and n == 1:
            continue  # still open: overdue on the lists
        if roll > 0.85:  # left open: still so at the end if its deadline is recent
            if deadline >= window.until - timedelta(days=OPEN_AT_MOST):
                continue
            done_on = deadline + timedelta(days=rng.randint(3, 25))
        if done_on > window.until:
            continue  # still open: overdue on the lists once its deadline has passed
        done_at = _at(done_on, 11, window)
        actions.append((done_at, base + 1 + n, partial(
            governance.complete_rectification, item_id=item_id, what_was_done="已整改并报县防贫中心备案",
            occurred_on=done_on, by=COUNTY_ACTORS[0], at=done_at,
            command_id=f"demo-{window.tag}-{seed}-{item_id}-done")))
    return actions
