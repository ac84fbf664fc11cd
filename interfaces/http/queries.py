"""Query endpoints: the read models with their filters, sorts and keyset pages, and case files.

Every list is confined to the caller's area by the read models themselves. ``after=<position>``
(a command's answer) makes the query wait until the read models have caught up with it, so a
client reads its own writes; ``cursor`` pages through a list. Case files and histories are read
from the event log, now, as recorded at a past time, or at a version.
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, get
from litestar.params import FromQuery, PathParameter, QueryParameter

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.app import CaseFiles
from application.audit import household_proof
from application.errors import HouseholdNotFound
from application.indicators import end_of_day
from application.push_book import BATCH_LIST_TITLE
from application.pushes import with_receipts
from domain.codes import CaseStage, Category, Department, RiskType, Role
from domain.errors import DomainError, InvalidValue, NotFound
from domain.household import STEP_NAMES, Household
from domain.policy import Line
from domain.rules import CHINA_TIME
from interfaces.http.auth import area_of
from interfaces.http.intake import unmatched_out
from interfaces.http.limits import AS_OF_PATTERN, check_day
from interfaces.http.problems import PROBLEMS, Unavailable
from interfaces.http.schemas import queries as s
from interfaces.http.schemas.views import CaseFile, ChainProof, History
from interfaces.http.views import Masker, case_file, history_entries, relief_bands_out
from interfaces.overdue import overdue_unmatched
from projections.filters import SORT_KEYS
from projections.queries import APPEAL_STATUSES, MAX_PAGE, Page, ReadModels
from projections.runner import Projections

#: Longest a query waits for the read models to reach the position it asked for.
CATCH_UP_WAIT = 5.0

After = Annotated[int | None, QueryParameter(
    ge=0, le=2**62, required=False,
    description="命令答复中的 position：等读模型（设有只读备库时：备库）追上该位置后再查询（读到自己刚写的）",
)]
Cursor = Annotated[str | None, QueryParameter(required=False, max_length=1000,
                                         description="上一页答复中的 next_cursor")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description=f"每页条数（1–{MAX_PAGE}）")]
Today = Annotated[date | None, QueryParameter(
    required=False, description="计算期限所用的“今天”（默认县里今天）")]
Text = Annotated[str | None, QueryParameter(required=False, max_length=100)]
#: A place or person filed under a name, found by part of the name (`projections.filters`).
Name = Annotated[str | None, QueryParameter(
    required=False, max_length=100,
    description="名称：完整名称只匹配该名称；名称的一部分匹配所有包含它的（如“东营”可找到东营村，"
                "“建国”可找到王建国）")]
#: "My households": those the named 网格员 / 帮扶责任人 answers for now.
GridWorker = Annotated[str | None, QueryParameter(
    required=False, max_length=100, description="网格员姓名（现任）：只列其现在负责的农户")]
Helper = Annotated[str | None, QueryParameter(
    required=False, max_length=100, description="帮扶责任人姓名（现任）：只列其现在负责的农户")]
AsOf = Annotated[str | None, QueryParameter(
    required=False, max_length=40, schema_extra={"pattern": AS_OF_PATTERN},
    description="记录时点：ISO 时间（无时区按北京时间），或日期（该日 24 时前记录的）",
)]

T = TypeVar("T")


def _sort(*keys: str) -> Any:
    """A list's ``sort``: one of the keys its read model sorts by (`projections.queries`),
    after ``-`` for descending; the schema lists them, the read model refuses another (422)."""
    return Annotated[str, QueryParameter(
        schema_extra={"enum": [*keys, *(f"-{key}" for key in keys)]},
        description=f"排序：{'、'.join(keys)}（前加 - 为倒序）")]


#: The monitoring list sorts by ``from_on`` on a past day (``as_of``), by ``included_on`` now.
MonitoringSort = _sort(*SORT_KEYS["monitoring"], "from_on")
CaseSort = _sort(*SORT_KEYS["cases"])
VisitsDueSort = _sort(*SORT_KEYS["visits_due"])
DirectorySort = _sort(*SORT_KEYS["directory"])
AlertSort = _sort(*SORT_KEYS["alerts"])
AppealSort = _sort(*SORT_KEYS["appeals"])


class ReadModelsBehind(Unavailable):
    """The read models did not reach the asked position in time (503, retry shortly)."""

    def __init__(self, position: int) -> None:
        super().__init__("READ_MODELS_BEHIND", f"读模型尚未追上位置 {position}，请稍后重试", "after")


def _services(request: Request) -> tuple[CaseFiles, Projections, ReadModels]:
    state = request.app.state
    return state.case_files, state.projections, state.read_models


def county_today(request: Request) -> date:
    """The county's date by the application's clock: what a list counts its days from when the
    caller gives no ``today``."""
    return _services(request)[0].today()


def caught_up(request: Request, after: int | None) -> int:
    """Wait for the read models to reach ``after``; returns the position they have reached
    (on a hot standby, those it has replayed: `projections.standby`)."""
    app, projections = request.app.state.case_files, request.app.state.read_side
    if after is not None and after > 0:
        if after > app.max_position():
            raise InvalidValue("POSITION_UNKNOWN", f"日志中还没有位置 {after}", "after")
        if not projections.wait_for(after, timeout=CATCH_UP_WAIT):
            raise ReadModelsBehind(after)
    return projections.position()


def log_caught_up(request: Request, after: int | None) -> None:
    """Wait for the log the case files are read from to reach ``after``: at once on the
    primary; on a hot standby, until it has replayed that far (503 after `CATCH_UP_WAIT`)."""
    state = request.app.state
    if after is None or after <= 0:
        return
    if after > state.case_files.max_position():
        raise InvalidValue("POSITION_UNKNOWN", f"日志中还没有位置 {after}", "after")
    deadline = time.monotonic() + CATCH_UP_WAIT
    while state.reader.max_position() < after:
        if time.monotonic() >= deadline:
            raise Unavailable("READ_MODELS_BEHIND", f"只读备库尚未重放到位置 {after}，请稍后重试",
                              "after")
        time.sleep(0.02)


def _rows(page_rows: list[dict[str, Any]], row_type: type[T]) -> list[T]:
    return msgspec.convert(page_rows, list[row_type])  # type: ignore[valid-type]


def _page(page: Page, row_type: type[Any], page_type: type[T], position: int) -> T:
    return page_type(rows=_rows(page.rows, row_type), total=page.total,  # type: ignore[call-arg]
                     next_cursor=page.after, position=position)


def _list(path: str, summary: str, read: str = "households") -> Any:
    return get(path, opt={"read": read}, summary=summary, sync_to_thread=True, responses=PROBLEMS,
               tags=["查询"])


# ---------------------------------------------------------------------- lists


@_list("/api/monitoring", "监测对象名单（当前，或某日在监测的）")
def monitoring_list(
    request: Request, township: Name = None, village: Name = None, head_name: Name = None,
    category: FromQuery[Category | None] = None,
    risk_type: FromQuery[RiskType | None] = None, eliminating: FromQuery[bool | None] = None,
    grid_worker: GridWorker = None, helper: Helper = None,
    as_of: Annotated[date | None, QueryParameter(required=False, description="该日在监测的名单")] = None,
    today: Today = None, sort: MonitoringSort = "code", cursor: Cursor = None, limit: Limit = 50,
    after: After = None,
) -> s.MonitoringPage:
    check_day(as_of, "as_of")
    check_day(today, "today")
    position = caught_up(request, after)
    page = _services(request)[2].monitoring_list(
        area_of(request.user), township=township, village=village, head_name=head_name,
        category=category, risk_type=risk_type, eliminating=eliminating, grid_worker=grid_worker,
        helper=helper, as_of=as_of, today=today or county_today(request), sort=sort,
        after=cursor, limit=limit,
    )
    return _page(page, s.MonitoringRow, s.MonitoringPage, position)


@_list("/api/monitoring/measures-missing", "识别 30 天后仍无落实措施的监测对象")
def measures_missing(request: Request, today: Today = None, cursor: Cursor = None,
                     limit: Limit = 50, after: After = None) -> s.MonitoringPage:
    check_day(today, "today")
    position = caught_up(request, after)
    page = _services(request)[2].measures_missing(
        area_of(request.user), today=today or county_today(request), after=cursor, limit=limit)
    return _page(page, s.MonitoringRow, s.MonitoringPage, position)


@_list("/api/cases", "案件队列（15 天时限、超时、绿色通道待补程序）")
def case_queue(
    request: Request, stage: FromQuery[CaseStage | None] = None, township: Name = None,
    village: Name = None, head_name: Name = None, overdue: FromQuery[bool] = False,
    green_channel_owed: FromQuery[bool] = False, today: Today = None,
    sort: CaseSort = "deadline_on", cursor: Cursor = None, limit: Limit = 50, after: After = None,
) -> s.CasePage:
    check_day(today, "today")
    position = caught_up(request, after)
    app, _, read_models = _services(request)
    area, day = area_of(request.user), today or county_today(request)
    page = read_models.case_queue(
        area, stage=stage, township=township, village=village, head_name=head_name, overdue=overdue,
        green_channel_owed=green_channel_owed, today=day, sort=sort, after=cursor, limit=limit,
    )
    for row in page.rows:  # step keys as the notice names them
        row["owed_steps"] = [STEP_NAMES[step] for step in row["owed_steps"]]
        row["pending_steps"] = [STEP_NAMES[step] for step in row["pending_steps"]]
    answer = _page(page, s.CaseRow, s.CasePage, position)
    if overdue and stage is None and not green_channel_owed and cursor is None:
        held = overdue_unmatched(app.unmatched_alerts(), area, day,
                                 township=read_models.name_match(area, "township", township),
                                 village=read_models.name_match(area, "village", village))
        answer.unmatched = [unmatched_out(request.user, alert, day) for alert in held]
    return answer


@_list("/api/appeals", "异议与申诉（默认未答复的；按答复期限，超期的标出）")
def appeals(
    request: Request,
    status: Annotated[str, QueryParameter(
        schema_extra={"enum": list(APPEAL_STATUSES)},
        description="open：尚未答复的（默认）；all：全部")] = "open",
    deciding_role: FromQuery[Role | None] = None, township: Name = None, village: Name = None,
    overdue: FromQuery[bool] = False, today: Today = None, sort: AppealSort = "deadline_on",
    cursor: Cursor = None, limit: Limit = 50, after: After = None,
) -> s.AppealPage:
    check_day(today, "today")
    position = caught_up(request, after)
    page = _services(request)[2].appeals(
        area_of(request.user), status=status, township=township,
        deciding_role=deciding_role.value if deciding_role else None,
        village=village, overdue=overdue, today=today or county_today(request), sort=sort, after=cursor,
        limit=limit)
    return _page(page, s.AppealListRow, s.AppealPage, position)


@_list("/api/visits-due", "本月尚未走访的农户")
def visits_due(
    request: Request,
    month: Annotated[date | None, QueryParameter(required=False, description="所在月任一日")] = None,
    grid_worker: GridWorker = None, helper: Helper = None, township: Name = None,
    village: Name = None, head_name: Name = None, sort: VisitsDueSort = "code",
    cursor: Cursor = None, limit: Limit = 50, after: After = None,
) -> s.HouseholdPage:
    check_day(month, "month")
    position = caught_up(request, after)
    page = _services(request)[2].visits_due(
        area_of(request.user), month=month or county_today(request), grid_worker=grid_worker,
        helper=helper, township=township, village=village, head_name=head_name, sort=sort,
        after=cursor, limit=limit)
    return _page(page, s.HouseholdRow, s.HouseholdPage, position)


@_list("/api/households", "农户名录（按户编号前缀、户主或成员姓名、成员身份证号、地点）")
def directory(
    request: Request, code: Text = None, head_name: Name = None, member_name: Name = None,
    id_number: Annotated[str | None, QueryParameter(required=False, max_length=32)] = None,
    township: Name = None, village: Name = None, grid_worker: GridWorker = None,
    helper: Helper = None, sort: DirectorySort = "code", cursor: Cursor = None,
    limit: Limit = 50, after: After = None,
) -> s.HouseholdPage:
    position = caught_up(request, after)
    page = _services(request)[2].directory(
        area_of(request.user), code=code, head_name=head_name, member_name=member_name,
        id_number=id_number, township=township, village=village, grid_worker=grid_worker,
        helper=helper, sort=sort, after=cursor, limit=limit,
    )
    return _page(page, s.HouseholdRow, s.HouseholdPage, position)


@_list("/api/pushes", f"{BATCH_LIST_TITLE}（按部门、批次：每批预警在农户中的去向）", read="pushes")
def push_ledger(request: Request, department: FromQuery[Department | None] = None, batch_id: Text = None,
                after: After = None) -> s.Ledger:
    position = caught_up(request, after)
    app, _, read_models = _services(request)
    rows = with_receipts(app, read_models.push_ledger(area_of(request.user), department=department,
                                                      batch_id=batch_id))
    return s.Ledger(rows=_rows(rows, s.LedgerRow), position=position)


@_list("/api/alerts", "预警信息及其去向（新案件、并入、重复）", read="pushes")
def alerts(
    request: Request, department: FromQuery[Department | None] = None, batch_id: Text = None,
    outcome: Annotated[str | None, QueryParameter(required=False, description="新案件 / 并入案件 / 重复")]
    = None, sort: AlertSort = "code", cursor: Cursor = None, limit: Limit = 50, after: After = None,
) -> s.AlertPage:
    position = caught_up(request, after)
    page = _services(request)[2].alerts(area_of(request.user), department=department,
                                        batch_id=batch_id, outcome=outcome, sort=sort,
                                        after=cursor, limit=limit)
    return _page(page, s.AlertRow, s.AlertPage, position)


# ---------------------------------------------------------------------- case files


def recorded_time(text: str | None) -> datetime | None:
    """A recorded time from ``as_of`` (empty: none): a date means the end of that day in the
    county; a time, in the form `AS_OF_PATTERN` states."""
    if not text:
        return None
    try:
        if len(text) == 10:
            moment = end_of_day(check_day(date.fromisoformat(text), "as_of"))
        else:
            moment = datetime.fromisoformat(text)
            check_day(moment.date(), "as_of")
        if not _AS_OF.match(text):
            raise ValueError(text)
    except (ValueError, OverflowError):
        raise InvalidValue("AS_OF_FORMAT", f"“{text}”不是日期或时间（如 2025-06-30 或 "
                           "2025-06-30T18:00+08:00）", "as_of") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TIME)


_AS_OF = re.compile(AS_OF_PATTERN)


def readable_household(user: User, log: AccessLog, household: Household, route: str) -> Household:
    """The household, if the user's area covers it; every attempt goes to the access log under
    ``route`` (the API's and the workbench's pages both come here)."""
    try:
        user.require_area(household.township, household.village, household.code)
    except DomainError as refused:
        log.record(user, household.code, route, f"refused:{refused.code}")
        raise
    log.record(user, household.code, route)
    return household


def _readable(request: Request, household: Household) -> Household:
    return readable_household(request.user, request.app.state.access_log, household,
                              request.url.path)


@get("/api/households/{code:str}", opt={"read": "households"}, summary="农户档案（现状、某记录时点或某版本）",
     sync_to_thread=True, responses=PROBLEMS, tags=["查询"])
def household_file(
    request: Request, code: Annotated[str, PathParameter(min_length=1, max_length=40)],
    as_of: AsOf = None, version: Annotated[int | None, QueryParameter(ge=1, le=2**31, required=False)] = None,
    after: After = None,
) -> CaseFile:
    log_caught_up(request, after)
    app = request.app.state.reader  # the standby's case files, when there is one
    if as_of is not None and version is not None:
        raise InvalidValue("AS_OF_AND_VERSION", "as_of 与 version 只能给一个", "version")
    moment = recorded_time(as_of)
    # The caller's area is judged by where the household is now, whatever time is asked for.
    household = _readable(request, app.household(code))
    if moment is not None:
        try:
            household = app.household_as_of(code, moment)
        except HouseholdNotFound:
            raise NotFound("NOT_YET_RECORDED", f"{as_of} 时农户 {code} 尚未登记", "as_of") from None
    elif version is not None:
        if version > household.version:
            raise InvalidValue("VERSION_UNKNOWN", f"档案只有 {household.version} 个版本", "version")
        household = app.household_at_version(code, version)
    files = app.attachments().describe(d for e in household.evidence for d in e.attachments)
    return case_file(household, request.user, as_of=moment, files=files)


@get("/api/households/{code:str}/history", opt={"read": "households"},
     summary="农户档案的全部记录（发生日、记录时间、记录人）", sync_to_thread=True, responses=PROBLEMS,
     tags=["查询"])
def household_history(
    request: Request, code: Annotated[str, PathParameter(min_length=1, max_length=40)],
    as_of: AsOf = None, after: After = None,
) -> History:
    log_caught_up(request, after)
    app = request.app.state.reader
    household = _readable(request, app.household(code))
    moment = recorded_time(as_of)
    entries = app.history(code)
    if moment is not None:
        entries = [e for e in entries if e.recorded_at <= moment]
    mask = Masker(request.user)
    proof = household_proof(app.log_tables(), household.id)
    shown = {e.version for e in entries}
    proof["links"] = [link for link in proof["links"] if link["version"] in shown]
    return History(household_id=household.id, code=household.code,
                   entries=history_entries(entries, mask),
                   chain=msgspec.convert(proof, ChainProof))


@get("/api/access-log", opt={"read": "access_log"},
     summary="档案查阅日志（谁、何时、经何途径查看了哪户档案）", sync_to_thread=True, responses=PROBLEMS,
     tags=["查询"])
def access_log(
    request: Request, household_code: Text = None, user: Text = None,
    since: AsOf = None, until: AsOf = None,
    before: Annotated[int | None, QueryParameter(ge=1, le=2**62, required=False,
                                                 description="上一页最后一条的 id")] = None,
    limit: Limit = 100,
) -> list[s.AccessRecordOut]:
    records = request.app.state.access_log.query(
        household_code=household_code, user_name=user, since=recorded_time(since),
        until=recorded_time(until), before=before, limit=limit)
    return [s.AccessRecordOut(id=r.id, at=r.at, user=r.user_name, role=r.role,
                              household_code=r.household_code, route=r.route, outcome=r.outcome)
            for r in records]


# ---------------------------------------------------------------------- policy and self


@get("/api/income-lines", opt={"read": "policy"}, summary="某日生效的收入监测标准",
     sync_to_thread=True, responses=PROBLEMS, tags=["查询"])
def income_line(request: Request, on: FromQuery[date | None] = None, as_of: AsOf = None) -> s.IncomeLineOut:
    return _line_on(request, on, as_of, Line.MONITORING)


@get("/api/poverty-lines", opt={"read": "policy"}, summary="某日生效的扶贫标准",
     sync_to_thread=True, responses=PROBLEMS, tags=["查询"])
def poverty_line(request: Request, on: FromQuery[date | None] = None, as_of: AsOf = None) -> s.IncomeLineOut:
    return _line_on(request, on, as_of, Line.POVERTY)


def _line_on(request: Request, on: date | None, as_of: str | None, line: Line) -> s.IncomeLineOut:
    day = check_day(on, "on") or county_today(request)
    moment = recorded_time(as_of)
    yuan = _services(request)[0].income_line_on(day, moment, line=line)
    return s.IncomeLineOut(on=day, yuan_per_capita=yuan, as_of=moment)


@get("/api/relief-bands", opt={"read": "policy"}, summary="某日生效的防贫保赔付标准",
     sync_to_thread=True, responses=PROBLEMS, tags=["查询"])
def relief_bands(request: Request, on: FromQuery[date | None] = None,
                 as_of: AsOf = None) -> s.ReliefBandsOut:
    day = check_day(on, "on") or county_today(request)
    moment = recorded_time(as_of)
    bands = _services(request)[0].relief_bands_on(day, moment)
    return s.ReliefBandsOut(
        on=day, effective_from=bands.effective_from if bands else None,
        bands=relief_bands_out(bands), yearly_cap=bands.yearly_cap if bands else None,
        reason=bands.reason if bands else "", as_of=moment)


@get("/api/me", summary="当前用户、角色与管辖范围", sync_to_thread=False, responses=PROBLEMS, tags=["查询"])
def me(request: Request) -> s.Me:
    user: User = request.user
    return s.Me(name=user.name, role=user.role, township=user.township, village=user.village,
                department=user.department, sees_id_numbers=user.sees_id_numbers)


QUERY_HANDLERS = [
    monitoring_list, measures_missing, case_queue, appeals, visits_due, directory, push_ledger, alerts,
    household_file, household_history, income_line, poverty_line, relief_bands, me, access_log,
]
