"""Who may do what, and where (domain.md §2).

A `User` acts in one role, over an area (township, village) or for a department. The tables here
say which commands and which reads each role may use; the area rule says which households it
may touch. Interfaces check both before they call the application, and take the `Actor` that
is recorded on each event from the user, never from a request body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.commands import HOUSEHOLD_COMMANDS, HouseholdCommand, RegisterHousehold
from application.commands.base import COUNTY_AND_TOWNSHIP, LOCAL
from domain.codes import Department, Role
from domain.errors import DomainError, InvalidValue
from domain.values import Actor

#: Short names accepted wherever a role is typed (CLI, settings), beside the Chinese terms.
ROLE_ALIASES: dict[str, Role] = {
    "county": Role.COUNTY_CENTRE,
    "township": Role.TOWNSHIP_WORKSTATION,
    "village": Role.VILLAGE_LIAISON,
    "department": Role.DEPARTMENT,
    "auditor": Role.AUDITOR,
    "assessment": Role.ASSESSMENT_TEAM,
}

COUNTY, TOWNSHIP, VILLAGE = Role.COUNTY_CENTRE, Role.TOWNSHIP_WORKSTATION, Role.VILLAGE_LIAISON
DEPARTMENT, AUDITOR, ASSESSMENT = Role.DEPARTMENT, Role.AUDITOR, Role.ASSESSMENT_TEAM

#: The roles that may send each command, by its name: a household's commands say theirs
#: (`application.commands`); the county's other commands are here. Areas are checked apart.
COMMAND_ROLES: dict[str, frozenset[Role]] = {
    RegisterHousehold.name: RegisterHousehold.roles,
    **{command.name: command.roles for command in HOUSEHOLD_COMMANDS},
    "set_income_line": frozenset({COUNTY}),
    "set_poverty_line": frozenset({COUNTY}),
    "set_relief_bands": frozenset({COUNTY}),
    "push_alerts": frozenset({COUNTY, DEPARTMENT}),
    "import_households": frozenset({COUNTY}),
    # a workbook naming households' 网格员 and 帮扶责任人: the county, or a township for its own
    "import_staff": COUNTY_AND_TOWNSHIP,
    "attach_unmatched_alert": COUNTY_AND_TOWNSHIP,
    "answer_self_report": COUNTY_AND_TOWNSHIP,
    "hold_consultation": frozenset({COUNTY}),
    "hold_dispatch_meeting": frozenset({COUNTY}),
    # 限期整改: the county orders and extends; the unit responsible (or the county) completes
    "order_rectification": frozenset({COUNTY}),
    "extend_rectification_deadline": frozenset({COUNTY}),
    "complete_rectification": frozenset({COUNTY, TOWNSHIP, DEPARTMENT}),
    # 公示 (domain.md §13): who records step 2 publishes the notice the system produced
    "publish_notice": LOCAL,
    # a provincial department's batch (省级推送), routed by the province to each county
    "push_provincial": frozenset({DEPARTMENT}),
}

#: The roles that may use each kind of read.
READ_ROLES: dict[str, frozenset[Role]] = {
    # lists, queues and case files of households
    "households": frozenset({COUNTY, TOWNSHIP, VILLAGE, AUDITOR, ASSESSMENT}),
    # department pushes: the ledger and each alert's fate (a department sees its own)
    "pushes": frozenset({COUNTY, TOWNSHIP, VILLAGE, DEPARTMENT, AUDITOR, ASSESSMENT}),
    # the income line, the 防贫保 payout bands and other county policy
    "policy": frozenset({COUNTY, TOWNSHIP, VILLAGE, AUDITOR, ASSESSMENT}),
    # indicators, push compliance, meetings and reports (a township or a department sees its own)
    "indicators": frozenset({COUNTY, TOWNSHIP, DEPARTMENT, AUDITOR, ASSESSMENT}),
    # rectification items (a township or a department sees those it answers for)
    "rectifications": frozenset({COUNTY, TOWNSHIP, DEPARTMENT, AUDITOR, ASSESSMENT}),
    # the quarterly dispatch report ranks every township and department
    "rankings": frozenset({COUNTY, AUDITOR, ASSESSMENT}),
    # self-reports (农户自主申报) waiting for the township, and how each was answered
    "self_reports": frozenset({COUNTY, TOWNSHIP, AUDITOR}),
    # a department's desk: the roster its duty needs, its measures, its push calendar
    "department_desk": frozenset({DEPARTMENT}),
    # the change feed: each role the events it may see (`application.feed`)
    "feed": frozenset({COUNTY, TOWNSHIP, VILLAGE, DEPARTMENT, AUDITOR, ASSESSMENT}),
    # my work: the tasks and notifications of the signed-in person (none for some roles)
    "my_work": frozenset({COUNTY, TOWNSHIP, VILLAGE, DEPARTMENT, AUDITOR, ASSESSMENT}),
    # who read which household's file (auditors only)
    "access_log": frozenset({AUDITOR}),
    # the province's view of its counties: each county's figures as the county computed them
    # (read-only: a provincial user acts on no household)
    "province": frozenset({COUNTY, AUDITOR, ASSESSMENT}),
}

#: Roles that see identity numbers in full; the others see them masked (domain.md §2).
SEES_ID_NUMBERS = frozenset({COUNTY, TOWNSHIP, AUDITOR})

ROLE_NAMES = {
    COUNTY: "县防贫中心", TOWNSHIP: "乡镇工作站", VILLAGE: "村联络站", DEPARTMENT: "行业部门专班",
    AUDITOR: "审计", ASSESSMENT: "考核组",
}


class AccessDenied(DomainError):
    """The caller's role may not do this, or the household lies outside the caller's area."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code, message, field)


def parse_role(text: str) -> Role:
    """A role from its Chinese term or its short English name."""
    text = text.strip()
    if text in ROLE_ALIASES:
        return ROLE_ALIASES[text]
    try:
        role = Role(text)
    except ValueError:
        role = None
    if role is None or role is Role.SYSTEM:
        choices = "、".join(f"{r}（{alias}）" for alias, r in ROLE_ALIASES.items())
        raise InvalidValue("ROLE_UNKNOWN", f"未知角色“{text}”；可选：{choices}", "role")
    return role


@dataclass(frozen=True)
class User:
    """Someone who signs in: a name, a role, and the area or department the role covers."""

    name: str
    role: Role
    township: str | None = None
    village: str | None = None
    department: Department | None = None
    display_name: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip() or len(self.name) > 64:
            raise InvalidValue("USER_NAME", "用户名须为 1 至 64 个字符", "name")
        if self.role is Role.SYSTEM:
            raise InvalidValue("ROLE_UNKNOWN", "“系统”不是可登录的角色", "role")
        needs = {TOWNSHIP: ("township",), VILLAGE: ("township", "village"),
                 DEPARTMENT: ("department",)}.get(self.role, ())
        for name, label in (("township", "乡镇"), ("village", "村"), ("department", "部门")):
            given = getattr(self, name)
            if name in needs and not given:
                raise InvalidValue("USER_AREA_MISSING", f"{self.role}用户须指定{label}", name)
            if name not in needs and given:
                raise InvalidValue("USER_AREA_EXTRA", f"{self.role}用户不设{label}", name)

    @property
    def actor(self) -> Actor:
        """How this user appears on the facts they record."""
        return Actor(self.name, self.role)

    @property
    def sees_id_numbers(self) -> bool:
        return self.role in SEES_ID_NUMBERS

    def may(self, command: str) -> bool:
        return self.role in COMMAND_ROLES[command]

    def may_read(self, kind: str) -> bool:
        return self.role in READ_ROLES[kind]

    def require(self, command: str) -> None:
        """Refuse a command this user's role may not send."""
        if not self.may(command):
            raise AccessDenied("ROLE_FORBIDDEN", f"{self.role}无权执行此操作", None)

    def require_read(self, kind: str) -> None:
        if not self.may_read(kind):
            raise AccessDenied("ROLE_FORBIDDEN", f"{self.role}无权查看此内容", None)

    def require_responsible(self, township: str | None, department: Department | None,
                            what: str) -> None:
        """Refuse a township or department user what another unit answers for (a
        rectification item, ``what``); the county answers for all."""
        if self.role is TOWNSHIP and township != self.township:
            raise AccessDenied("OUTSIDE_AREA", f"{what}不由本乡镇（{self.township}）负责", "item_id")
        if self.role is DEPARTMENT and department != self.department:
            raise AccessDenied("OTHER_DEPARTMENT", f"{what}不由本部门（{self.department}）负责", "item_id")
        if self.role not in {COUNTY, TOWNSHIP, DEPARTMENT}:
            raise AccessDenied("ROLE_FORBIDDEN", f"{self.role}无权执行此操作", None)

    def covers(self, township: str, village: str) -> bool:
        """Whether a household in ``township``/``village`` lies in this user's area.

        County-wide roles cover every household; a department covers none (it sees its own
        pushes, not case files)."""
        if self.role is TOWNSHIP:
            return township == self.township
        if self.role is VILLAGE:
            return (township, village) == (self.township, self.village)
        return self.role in {COUNTY, AUDITOR, ASSESSMENT}

    def require_household(self, household: Any, command: HouseholdCommand) -> None:
        """Refuse a command on a household outside this user's area; a department reaches a
        household only through a measure assigned to it, with a command a department may send
        on it (`HouseholdCommand.on_assigned_measure`), and no other department's."""
        if self.role is DEPARTMENT and command.on_assigned_measure:
            measure_id = command.measure_id  # type: ignore[attr-defined]
            measure = household.measures.get(measure_id)
            if measure is None or measure.department != self.department:
                raise AccessDenied("OTHER_DEPARTMENT",
                                   f"措施 {measure_id} 不是安排给本部门（{self.department}）的措施",
                                   "measure_id")
            return
        self.require_area(household.township, household.village, household.code)

    def require_area(self, township: str, village: str, code: str = "") -> None:
        """Refuse a household outside this user's area."""
        if not self.covers(township, village):
            where = f"{self.township or ''}{self.village or ''}" or "本部门"
            raise AccessDenied(
                "OUTSIDE_AREA", f"农户 {code} 不在您的管辖范围（{where}）内", "household_code"
            )
