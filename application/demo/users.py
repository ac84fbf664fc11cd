"""The demo county's users, one per role, with fixed tokens (a demo county, never a real one)."""

from __future__ import annotations

from application.accounts.access import User
from application.accounts.users import UserExists, Users
from application.demo.county import COUNTY_ACTORS, DEPARTMENT_ACTORS, county
from domain.codes import Department, Role

#: Fixed bearer tokens of the demo users, one per role (stored as hashes like any other token).
#: They exist only where `ensure_demo_users` ran: a demo county, never a real one.
DEMO_TOKENS = {
    Role.COUNTY_CENTRE: "demo-county",
    Role.TOWNSHIP_WORKSTATION: "demo-township",
    Role.VILLAGE_LIAISON: "demo-village",
    Role.DEPARTMENT: "demo-department",
    Role.AUDITOR: "demo-auditor",
    Role.ASSESSMENT_TEAM: "demo-assessment",
}


def demo_users() -> list[User]:
    """One user per role; the township and village users work in the demo's first village,
    the department user for 医保局. Their names are the demo log's own actors."""
    first = county()[0]
    return [
        User(COUNTY_ACTORS[0].user_id, Role.COUNTY_CENTRE, display_name="县防贫中心（演示）"),
        User(first.township_actor.user_id, Role.TOWNSHIP_WORKSTATION, township=first.township,
             display_name=f"{first.township}工作站（演示）"),
        User(first.liaison.user_id, Role.VILLAGE_LIAISON, township=first.township,
             village=first.name, display_name=f"{first.name}联络员 {first.liaison_name}"),
        User(DEPARTMENT_ACTORS[Department.MEDICAL_INSURANCE].user_id, Role.DEPARTMENT,
             department=Department.MEDICAL_INSURANCE, display_name="医保局专班（演示）"),
        User("auditor-01", Role.AUDITOR, display_name="审计（演示）"),
        User("assessment-01", Role.ASSESSMENT_TEAM, display_name="考核组（演示）"),
    ]


def ensure_demo_users(users: Users) -> list[tuple[User, str]]:
    """Add the demo users, or give them back their fixed tokens; returns each with its token.
    The token is also the user's workbench password (demo county only)."""
    from application.accounts.logins import Logins

    logins = Logins(users)
    issued = []
    for user in demo_users():
        token = DEMO_TOKENS[user.role]
        try:
            users.add(user, token)
        except UserExists:
            users.issue_token(user.name, token)
        logins.set_password(user.name, token)
        issued.append((user, token))
    return issued


def link_demo_grid_worker(users: Users) -> str:
    """In the demo county, the village user is its village's liaison — the 网格员 its
    households name: linked, the visits due on its desk are those of its households (`fangpin
    users link`). Returns the 网格员's name."""
    from application.accounts.desk_marks import DeskMarks

    village = next(user for user in demo_users() if user.role is Role.VILLAGE_LIAISON)
    worker = county()[0].liaison_name
    DeskMarks(users).link_grid_worker(village.name, worker)
    return worker
