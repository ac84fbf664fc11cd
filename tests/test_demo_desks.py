"""The first hour of a county official (issue 20): on the demo's last day — the day `make run`
loads it — every demo user's desk (我的待办, as `GET /api/me/tasks` computes it) has true work of
every kind its role does: cases waiting at each step, an open appeal on each level's decisions,
a self-report held for the township, a 帮扶责任人 to confirm, visits due for the 网格员; and the
people on the households are named (网格员, 帮扶责任人)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, timedelta

import pytest

from application.accounts.desk_marks import DeskMarks
from application.accounts.users import Users
from application.app import CaseFiles
from application.demo import demo_users
from application.settings import Settings
from application.tasks import Desk, MyWork, Task, TaskKind
from domain.codes import HouseholdType, Role
from domain.rules import CHINA_TIME
from interfaces.cli.indicators import indicator_service
from interfaces.http.auth import area_of
from projections.queries import ReadModels
from projections.runner import Projections
from tests.conftest import MAKE_RUN_DAY, TEST_CIPHER_KEY, copy_of_county

TODAY = MAKE_RUN_DAY.astimezone(CHINA_TIME)
USERS = {user.role: user for user in demo_users()}


@pytest.fixture(scope="module")
def county(make_run_file, tmp_path_factory):
    """`fangpin demo --households 300` on TODAY, as `make run` loads it."""
    path = copy_of_county(make_run_file, tmp_path_factory.mktemp("demo-desks"))
    now = TODAY.astimezone(UTC)
    app = CaseFiles(Settings(sqlite_path=path, cipher_key=TEST_CIPHER_KEY), clock=lambda: now)
    yield app
    app.close()


@pytest.fixture(scope="module")
def desks(county):
    """Each demo user's tasks and notifications, as the API's `MyWork` gives them."""
    users = Users(county.factory.datastore, backend=county.settings.backend)
    with Projections(county) as projections:
        projections.catch_up()
        work = MyWork(Desk(ReadModels(projections.store, county.clock), county,
                           indicator_service(county, projections)),
                      DeskMarks(users), lambda: county.max_position())
        yield {role: (work.tasks(user, area_of(user)), work.notifications(user, area_of(user)),
                      work.grid_worker(user))
               for role, user in USERS.items()}


def _steps(tasks: list[Task]) -> Counter[str]:
    """The identification steps the case tasks ask for, by their route."""
    return Counter(t.path.rsplit("/", 1)[1] for t in tasks if t.kind is TaskKind.CASE_STEP)


def test_the_county_centre_has_decisions_appeals_a_self_report_and_helpers_to_confirm(desks):
    tasks, notes, _ = desks[Role.COUNTY_CENTRE]
    kinds = Counter(t.kind for t in tasks)
    assert {TaskKind.CASE_STEP, TaskKind.APPEAL, TaskKind.SELF_REPORT, TaskKind.HELPER} <= set(kinds), kinds
    assert set(_steps(tasks)) == {"county-decision"}
    assert any(n.unread for n in notes)  # something landed on the desk this week


def test_the_township_reviews_answers_its_appeals_and_confirms_helpers(desks):
    tasks, notes, _ = desks[Role.TOWNSHIP_WORKSTATION]
    kinds = Counter(t.kind for t in tasks)
    assert {TaskKind.CASE_STEP, TaskKind.APPEAL, TaskKind.SELF_REPORT, TaskKind.HELPER} <= set(kinds), kinds
    assert set(_steps(tasks)) == {"township-review"}
    assert all(t.township == USERS[Role.TOWNSHIP_WORKSTATION].township for t in tasks
               if t.kind is not TaskKind.RECTIFICATION)
    assert notes


def test_the_village_visits_its_households_takes_its_steps_and_answers_for_its_deliberation(desks):
    tasks, _, grid_worker = desks[Role.VILLAGE_LIAISON]
    kinds = Counter(t.kind for t in tasks)
    assert {TaskKind.VISIT, TaskKind.CASE_STEP, TaskKind.APPEAL} <= set(kinds), kinds
    assert {"home-visit", "village-notice"} <= set(_steps(tasks))
    assert grid_worker  # the demo's village user is its households' 网格员: their visits


def test_the_department_has_its_pushes_due(desks):
    tasks, _, _ = desks[Role.DEPARTMENT]
    assert TaskKind.PUSH in {t.kind for t in tasks}


def test_the_tasks_are_of_this_week_not_of_last_year(desks):
    """What waits is plausible: a case step or a held self-report due within its 15 days or a
    few days past them, an appeal within its answer period."""
    today = TODAY.date()
    for role in (Role.COUNTY_CENTRE, Role.TOWNSHIP_WORKSTATION, Role.VILLAGE_LIAISON):
        tasks, _, _ = desks[role]
        for task in tasks:
            if task.kind in (TaskKind.CASE_STEP, TaskKind.APPEAL, TaskKind.SELF_REPORT):
                assert task.deadline is not None and task.deadline >= today - timedelta(days=30), task


def test_households_name_their_grid_workers_and_monitoring_objects_their_helpers(county):
    households = [county.household(i) for i in county.iter_households()]
    assert all(h.grid_worker is not None for h in households)
    monitored = [h for h in households if h.category is not None]
    with_helper = [h for h in monitored if h.helper is not None]
    assert len(with_helper) >= 0.8 * len(monitored)  # a few still to be named: a next step
    lifted = [h for h in households if h.household_type is HouseholdType.LIFTED_OUT]
    assert all(h.helper is not None for h in lifted)  # 四个不摘: a 脱贫户 keeps its helper
    confirmed = [h for h in monitored if h.helper is not None and h.helper.confirmed_on]
    assert confirmed  # the township kept a 脱贫户's helper for its case
