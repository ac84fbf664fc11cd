"""My work (我的待办, issue 18 item 3, domain.md §2 Staff §七): what the signed-in person owes,
each with its deadline, and what has just landed on their desk.

One `Task` is one thing to do: what, on which household or item, by when, and where to do it
(the API path and the workbench page). One function per source reads it through the source's
own query — the read models (`projections.queries.ReadModels`: visits due, the case queue, the
measures, the appeals), the department's calendar (`application.desk.next_pushes`), the
rectification items (`domain.governance.items_on`) and the held self-reports
(`application.self_reports.held_reports`) — so a task is counted as its list counts it.

A notification is a task that landed on the desk in the last `NOTIFY_DAYS` days (a new case in
my area, a measure assigned to my department, a self-report held for my township, an appeal on
a decision of my unit) or whose deadline is tomorrow; it is computed, never recorded as an
event, and read or unread by the user's marks (`application.accounts.desk_marks`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from application.accounts.access import User
from application.accounts.desk_marks import DeskMarks
from application.commands import BY_NAME
from application.desk import next_pushes
from application.self_reports import held_reports
from domain.codes import MeasureStatus, Role
from domain.deadlines import days_until, identification_deadline, measure_deadline
from domain.errors import InvalidValue, NotFound
from domain.governance import items_on
from domain.household import STEP_NAMES
from domain.periods import month_period

#: A task due within this many days (today included) is "soon" (临近).
SOON_DAYS = 3
#: How long something that landed on a desk stays a notification.
NOTIFY_DAYS = 7
#: Rows read per page from a read model.
PAGE = 500


class TaskKind(StrEnum):
    """The sources of a person's work."""

    VISIT = "走访"
    CASE_STEP = "认定步骤"
    MEASURE = "帮扶措施"
    PUSH = "部门推送"
    RECTIFICATION = "限期整改"
    APPEAL = "申诉答复"
    HELPER = "确认帮扶责任人"
    SELF_REPORT = "自主申报"


class Urgency(StrEnum):
    OVERDUE = "overdue"  # 已超期
    SOON = "soon"  # SOON_DAYS 天内到期
    LATER = "later"  # 以后


@dataclass(frozen=True)
class Task:
    """One thing a person owes: what to do, on what, by when, and where to do it."""

    key: str  # stable: the source and the item (notifications are marked read by it)
    kind: TaskKind
    what: str  # what to do, in the notice's words
    subject: str  # the household code, the item or report id, the duty's number
    name: str  # the household's head, the problem, the duty
    deadline: date | None  # None: no deadline set (a 脱贫户's follow-up measure)
    path: str  # the API path that does it
    link: str  # the workbench page that does it
    landed_on: date | None = None  # when it came to the desk: a notification for NOTIFY_DAYS
    township: str | None = None
    village: str | None = None

    def urgency(self, today: date) -> Urgency:
        if self.deadline is None:
            return Urgency.LATER
        days = days_until(self.deadline, today)
        return Urgency.OVERDUE if days < 0 else Urgency.SOON if days <= SOON_DAYS else Urgency.LATER


@dataclass(frozen=True)
class Notification:
    """Something that landed on the desk, or a deadline tomorrow; unread until marked."""

    key: str
    text: str
    on: date
    task: Task
    unread: bool = True


@dataclass(frozen=True)
class Desk:
    """What a desk reads: the read models, the case files (governance, self-reports) and the
    indicators (a department's calendar)."""

    read_models: Any  # projections.queries.ReadModels (the read models' own queries)
    case_files: Any  # application.app.CaseFiles
    indicators: Any  # application.indicators.Indicators


# ---------------------------------------------------------------------- one function per source


def _all(query: Callable[..., Any], *args: Any, **filters: Any) -> Iterator[dict[str, Any]]:
    after = None
    while True:
        page = query(*args, after=after, limit=PAGE, **filters)
        yield from page.rows
        if not (after := page.after):
            return


def visits_due(desk: Desk, area: Any, grid_worker: str | None, today: date) -> list[Task]:
    """This month's visits due on my households: those whose 网格员 I am (a linked village
    user), else — a village user not linked — the village's."""
    end = month_period(today.year, today.month).end
    return [Task(
        key=f"visit:{row['code']}:{today:%Y-%m}", kind=TaskKind.VISIT,
        what=f"{today.month}月走访（六查）", subject=row["code"], name=row["head_name"],
        deadline=end, path=f"/api/households/{row['code']}/visits",
        link=f"/web/households/{row['code']}/do/record_visit",
        township=row["township"], village=row["village"],
    ) for row in _all(desk.read_models.visits_due, area, month=today, grid_worker=grid_worker)]


#: The identification steps by their name on the case, with the route and form that take them.
_STEP_ROUTES = {"home_visit": ("home-visit", "verify_at_home"),
                "village_notice": ("village-notice", "conclude_village_deliberation"),
                "township_review": ("township-review", "complete_township_review"),
                "county_decision": ("county-decision", "decide_at_county")}


#: From the most local unit up: a step is the work of the most local role its command allows
#: (the visit and the notice the village's, the review the township's, the decision the
#: county's), though a unit above may record it too.
_LOCAL_FIRST = (Role.VILLAGE_LIAISON, Role.TOWNSHIP_WORKSTATION, Role.COUNTY_CENTRE)


def step_owner(step: str) -> Role:
    """The unit whose work an identification step is."""
    roles = BY_NAME[_STEP_ROUTES[step][1]].roles
    return next(role for role in _LOCAL_FIRST if role in roles)


def _takeable(pending: list[str]) -> list[str]:
    """Of a case's pending steps, those that can be taken now: the visit first, then the notice
    and the review (either order), then the decision."""
    if not pending or "home_visit" in pending:
        return ["home_visit"]  # nothing past the visit yet
    return [s for s in pending if s != "county_decision"] or ["county_decision"]


def case_steps(desk: Desk, area: Any, today: date, role: Role) -> list[Task]:
    """The steps owed on the area's cases being identified that are ``role``'s work, by their
    15-day deadline."""
    tasks = []
    for row in _all(desk.read_models.case_queue, area, today=today, sort="deadline_on"):
        steps = [s for s in _takeable(list(row["pending_steps"])) if step_owner(s) is role]
        if not steps:
            continue
        route, form = _STEP_ROUTES[steps[0]]
        tasks.append(Task(
            key=f"case:{row['code']}:{row['case_number']}", kind=TaskKind.CASE_STEP,
            what=f"第{row['case_number']}号案件待办：{'、'.join(STEP_NAMES[s] for s in steps)}",
            subject=row["code"], name=row["head_name"], deadline=row["deadline_on"],
            path=f"/api/households/{row['code']}/identification/{route}",
            link=f"/web/households/{row['code']}/do/{form}", landed_on=row["discovered_on"],
            township=row["township"], village=row["village"]))
    return tasks


def township_measures(desk: Desk, area: Any, today: date) -> list[Task]:
    """The township's monitoring objects whose needs had no measure in place within 30 days
    of inclusion (the measures-missing list)."""
    return [Task(
        key=f"needs:{row['code']}:{row['case_number']}", kind=TaskKind.MEASURE,
        what="帮扶措施未在30日内全部落实：按风险分析补齐措施", subject=row["code"],
        name=row["head_name"], deadline=measure_deadline(row["included_on"]),
        path=f"/api/households/{row['code']}/measures",
        link=f"/web/households/{row['code']}/do/assign_measure",
        township=row["township"], village=row["village"],
    ) for row in _all(desk.read_models.measures_missing, area, today=today)]


def helpers_to_confirm(desk: Desk, area: Any) -> list[Task]:
    """The area's monitoring objects whose 帮扶责任人 was named before their case was included
    (a 脱贫户's, under 四个不摘): confirm them for the case or change them (§七)."""
    return [Task(
        key=f"helper:{row['code']}:{row['case_number']}", kind=TaskKind.HELPER,
        what=f"纳入监测：确认或更换帮扶责任人（现为 {row['helper']}）", subject=row["code"],
        name=row["head_name"], deadline=None, path=f"/api/households/{row['code']}/helper/confirm",
        link=f"/web/households/{row['code']}", landed_on=row["included_on"],
        township=row["township"], village=row["village"],
    ) for row in _all(desk.read_models.helpers_to_confirm, area)]


def department_measures(desk: Desk, area: Any, today: date) -> list[Task]:
    """The measures assigned to my department and not yet in place (the desk's query)."""
    return [Task(
        key=f"measure:{row['code']}:{row['measure_id']}", kind=TaskKind.MEASURE,
        what=f"落实帮扶措施 {row['measure_id']}（{row['measure_type']}）", subject=row["code"],
        name=row["head_name"], deadline=row["deadline_on"],
        path=f"/api/households/{row['code']}/measures/{row['measure_id']}/in-place",
        link="/web/department", landed_on=row["started_on"],
        township=row["township"], village=row["village"],
    ) for row in _all(desk.read_models.measures, area, status=MeasureStatus.PLANNED.value,
                      today=today, sort="started_on")]


def pushes_due(desk: Desk, user: User, today: date) -> list[Task]:
    """My department's next push of each scheduled duty not yet received (the desk's calendar,
    its next-push column)."""
    assert user.department is not None
    return [Task(
        key=f"push:{duty.number}:{push.period}", kind=TaskKind.PUSH,
        what=f"报送{duty.what}（{push.period}，零报告亦须报送）", subject=duty.number,
        name=duty.what, deadline=push.due_on, path="/api/pushes", link="/web/pushes",
    ) for duty, push in next_pushes(desk.indicators, user.department, today)
        if push is not None and push.received_on is None]


def rectifications(desk: Desk, user: User, today: date) -> list[Task]:
    """My unit's rectification items not yet completed (the rectifications list)."""
    governance = desk.case_files.governance()
    every = list(governance.rectifications.values()) if governance else []
    unit = {"township": user.township} if user.role is Role.TOWNSHIP_WORKSTATION \
        else {"department": user.department}
    return [Task(
        key=f"rectification:{item.item_id}", kind=TaskKind.RECTIFICATION,
        what=f"限期整改：{item.problem}", subject=item.item_id, name=item.source,
        deadline=item.deadline, path=f"/api/rectifications/{item.item_id}/completed",
        link="/web/indicators", landed_on=item.ordered_on, township=item.township,
    ) for item in items_on(every, today, **unit) if item.completed_on is None]


def appeals(desk: Desk, area: Any, role: Role) -> list[Task]:
    """Appeals open on my area's cases whose deciding unit is my role."""
    return [Task(
        key=f"appeal:{row['code']}:{row['appeal_id']}", kind=TaskKind.APPEAL,
        what=f"答复申诉 {row['appeal_id']}（{row['against']}）", subject=row["code"],
        name=row["head_name"], deadline=row["deadline_on"],
        path=f"/api/households/{row['code']}/appeals/{row['appeal_id']}/answer",
        link=f"/web/households/{row['code']}/do/answer_appeal", landed_on=row["lodged_on"],
        township=row["township"], village=row["village"],
    ) for row in _all(desk.read_models.appeals, area, deciding_role=role.value)]


def self_reports(desk: Desk, townships: list[str]) -> list[Task]:
    """Self-reports held for my township(s), due as the 15 days from the day reported."""
    return [Task(
        key=f"self-report:{r.report_id}", kind=TaskKind.SELF_REPORT,
        what="核实农户自主申报", subject=r.report_id, name=r.name,
        deadline=identification_deadline(r.reported_on),
        path=f"/api/self-reports/{r.report_id}/answer", link="/web/self-reports",
        landed_on=r.reported_on, township=r.township, village=r.village,
    ) for r in held_reports(desk.case_files, townships)]


# ---------------------------------------------------------------------- a person's desk


def my_tasks(desk: Desk, user: User, area: Any, grid_worker: str | None, today: date) -> list[Task]:
    """Everything ``user`` owes, by deadline (none last), then kind and subject."""
    role = user.role
    tasks: list[Task] = []
    if role is Role.VILLAGE_LIAISON:
        tasks += visits_due(desk, area, grid_worker, today)
    if role in (Role.VILLAGE_LIAISON, Role.TOWNSHIP_WORKSTATION, Role.COUNTY_CENTRE):
        tasks += case_steps(desk, area, today, role)
    if role is Role.TOWNSHIP_WORKSTATION:
        tasks += township_measures(desk, area, today)
    if role in (Role.TOWNSHIP_WORKSTATION, Role.COUNTY_CENTRE):  # who names 帮扶责任人
        tasks += helpers_to_confirm(desk, area)
    if role is Role.DEPARTMENT:
        tasks += department_measures(desk, area, today)
        tasks += pushes_due(desk, user, today)
    if role in (Role.TOWNSHIP_WORKSTATION, Role.DEPARTMENT):
        tasks += rectifications(desk, user, today)
    if role in _LOCAL_FIRST:  # each answers the appeals on its own decisions (村级评议 too)
        tasks += appeals(desk, area, role)
    if role in (Role.TOWNSHIP_WORKSTATION, Role.COUNTY_CENTRE):
        townships = [user.township] if user.township else sorted(
            desk.read_models.counts("rm_households", "township"))
        tasks += self_reports(desk, townships)
    return sorted(tasks, key=lambda t: (t.deadline is None, t.deadline or today, t.kind, t.subject))


def counts(tasks: list[Task], today: date) -> dict[Urgency, int]:
    """Tasks by urgency: overdue, due within `SOON_DAYS` days, later."""
    found = {u: 0 for u in Urgency}
    for task in tasks:
        found[task.urgency(today)] += 1
    return found


#: What landing on a desk is called, by the task's kind.
_LANDED = {TaskKind.CASE_STEP: "新案件", TaskKind.MEASURE: "新安排的帮扶措施",
           TaskKind.SELF_REPORT: "新的农户自主申报", TaskKind.APPEAL: "新的申诉",
           TaskKind.RECTIFICATION: "新的限期整改事项", TaskKind.HELPER: "帮扶责任人待确认"}


def notifications(tasks: list[Task], today: date, read: Callable[[list[str]], set[str]],
                  ) -> list[Notification]:
    """What landed on the desk in the last `NOTIFY_DAYS` days and the deadlines tomorrow,
    newest first, each unread unless ``read`` (the user's marks) has its key."""
    found: list[Notification] = []
    tomorrow = today + timedelta(days=1)
    for task in tasks:
        landed = task.landed_on
        if task.kind in _LANDED and landed is not None and 0 <= (today - landed).days < NOTIFY_DAYS:
            found.append(Notification(f"landed:{task.key}", f"{_LANDED[task.kind]}：{task.subject}"
                                      f" {task.name} — {task.what}", landed, task))
        if task.deadline == tomorrow:
            found.append(Notification(f"due:{task.key}:{tomorrow}", f"明天到期：{task.what}"
                                      f"（{task.subject} {task.name}）", today, task))
    marked = read([n.key for n in found])
    found = [Notification(n.key, n.text, n.on, n.task, n.key not in marked) for n in found]
    return sorted(found, key=lambda n: (not n.unread, -n.on.toordinal(), n.key))


class MyWork:
    """A person's tasks and notifications, with their read marks and grid-worker link.

    ``version``: what the answers depend on (the log's and the read models' positions); the
    tasks of a user are computed once per version and day, since the workbench shows their
    unread count on every page."""

    def __init__(self, desk: Desk, marks: DeskMarks, version: Callable[[], Any]) -> None:
        self.desk, self.marks, self.version = desk, marks, version
        self._cache: dict[tuple[Any, ...], list[Task]] = {}
        self._lock = threading.Lock()

    def today(self) -> date:
        return self.desk.case_files.today()

    def grid_worker(self, user: User) -> str | None:
        return self.marks.grid_worker_of(user.name) if user.role is Role.VILLAGE_LIAISON else None

    def tasks(self, user: User, area: Any) -> list[Task]:
        today, worker = self.today(), self.grid_worker(user)
        key = (user.name, user.role, area, worker, today, self.version())
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        found = my_tasks(self.desk, user, area, worker, today)
        with self._lock:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = found
        return found

    def notifications(self, user: User, area: Any) -> list[Notification]:
        return notifications(self.tasks(user, area), self.today(),
                             lambda keys: self.marks.read_keys(user.name, keys))

    def unread(self, user: User, area: Any) -> int:
        return sum(1 for n in self.notifications(user, area) if n.unread)

    def mark_read(self, user: User, area: Any, keys: list[str] | None) -> int:
        """Mark the user's notifications ``keys`` read (None: all of them); a key that is not
        one of their notifications now is refused, and nothing is marked."""
        current = {n.key for n in self.notifications(user, area)}
        if keys is None:
            return self.marks.mark_read(user.name, sorted(current))
        if not keys:
            raise InvalidValue("REQUIRED", "请指明要标为已读的通知（keys），或 all: true", "keys")
        for i, key in enumerate(keys):
            if key not in current:
                raise NotFound("NOTIFICATION_NOT_FOUND", f"没有这条通知：{key[:80]}", f"keys[{i}]")
        return self.marks.mark_read(user.name, keys)
