"""Rectification items (限期整改, domain.md §10): the county centre orders a problem named at a
dispatch meeting (or by an auditor) put right by a deadline, and may extend it before it passes;
the township or department responsible — or the county — records it completed. Everyone who
reads the assessment sees the items: a township those it answers for, a department its own.

A repeat of the same request by the same user (a retry after a lost answer) answers as the
first time and records nothing, as a meeting does; any other request is held to the rules (an
item id is used once, an item is completed once).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from application.accounts.access import User
from application.app import CaseFiles
from application.unit_of_work import CommandResult, retrying
from domain.codes import Department
from domain.governance import RectificationItem, RectificationStatus, count_by_unit, items_on
from interfaces.http.household_commands import command_id
from interfaces.http.indicators import DepartmentParam, Township, scope_for
from interfaces.http.limits import check_values
from interfaces.http.problems import PROBLEMS
from interfaces.http.schemas import rectifications as s

ItemId = Annotated[str, PathParameter(min_length=1, max_length=100, description="整改事项编号")]


def _case_files(request: Request) -> CaseFiles:
    return request.app.state.case_files


def _command(path: str, command: str, summary: str) -> Any:
    return post(path, opt={"command": command}, summary=summary, sync_to_thread=True,
                responses=PROBLEMS, status_code=201, tags=["命令"])


def _repeat_id(user: User, command: str, request: dict[str, Any]) -> str:
    """The command id of a request: its user, the command and a digest of what it says."""
    check_values(request)
    return command_id(user, "request", command, request)


def _answer(app: CaseFiles, item_id: str, result: CommandResult) -> s.RectificationAnswer:
    governance = app.governance()
    assert governance is not None  # the command just recorded on it
    item = governance.rectification(item_id)
    return s.RectificationAnswer(item_id=item.item_id, status=item.status_on(app.today()),
                                 deadline=item.deadline, version=result.version,
                                 position=result.position, repeated=result.repeated)


@_command("/api/rectifications", "order_rectification", "下达限期整改事项（季督导调度会议或审计发现的问题）")
def order_rectification(request: Request, data: JSONBody[s.RectificationIn]) -> s.RectificationAnswer:
    user: User = request.user
    app = _case_files(request)
    fields = msgspec.structs.asdict(data)
    cid = _repeat_id(user, "order_rectification", fields)
    result = retrying(lambda: app.order_rectification(**fields, by=user.actor, command_id=cid))
    return _answer(app, data.item_id.strip(), result)


@_command("/api/rectifications/{item_id:str}/completed", "complete_rectification",
          "整改完成（责任乡镇、责任部门或县防贫中心）")
def complete_rectification(request: Request, item_id: ItemId,
                           data: JSONBody[s.CompletionIn]) -> s.RectificationAnswer:
    user: User = request.user
    app = _case_files(request)
    fields = msgspec.structs.asdict(data)
    cid = _repeat_id(user, "complete_rectification", {"item_id": item_id, **fields})

    def responsible(item: RectificationItem) -> None:
        user.require_responsible(item.township, item.department, f"整改事项 {item.item_id} ")

    result = retrying(lambda: app.complete_rectification(item_id, **fields, by=user.actor,
                                                         command_id=cid, allowed=responsible))
    return _answer(app, item_id, result)


@_command("/api/rectifications/{item_id:str}/extension", "extend_rectification_deadline",
          "整改延期（原时限届满前，写明理由）")
def extend_rectification_deadline(request: Request, item_id: ItemId,
                                  data: JSONBody[s.ExtensionIn]) -> s.RectificationAnswer:
    user: User = request.user
    app = _case_files(request)
    fields = msgspec.structs.asdict(data)
    cid = _repeat_id(user, "extend_rectification_deadline", {"item_id": item_id, **fields})
    result = retrying(lambda: app.extend_rectification_deadline(item_id, **fields, by=user.actor,
                                                                command_id=cid))
    return _answer(app, item_id, result)


@get("/api/rectifications", opt={"read": "rectifications"}, sync_to_thread=True, responses=PROBLEMS,
     summary="限期整改事项及各责任单位的逾期情况（乡镇、部门只看本单位的）", tags=["考核"])
def rectifications(
    request: Request, township: Township = None, department: DepartmentParam = None,
    status: Annotated[RectificationStatus | None, QueryParameter(
        required=False, description="状态：已完成、逾期完成、逾期未完成、未到期")] = None,
    overdue: Annotated[bool | None, QueryParameter(
        required=False, description="true：只列逾期未完成的")] = None,
) -> s.RectificationsOut:
    return rectifications_for(request.user, _case_files(request), township, department,
                              RectificationStatus.OVERDUE if overdue else status)


def rectifications_for(user: User, app: CaseFiles, township: str | None = None,
                       department: Department | None = None,
                       status: RectificationStatus | None = None) -> s.RectificationsOut:
    """The items the user may see (a township's, a department's, or the county's), today."""
    scope = scope_for(user, township, department)
    governance = app.governance()
    every = list(governance.rectifications.values()) if governance else []
    on = app.today()
    unit = {"township": scope.name} if scope.level == "township" else \
        {"department": Department(scope.name)} if scope.level == "department" else {}
    mine = items_on(every, on, **unit)
    return s.RectificationsOut(
        on=on, items=[_item_out(i, on) for i in mine if status is None or i.status_on(on) is status],
        counts=[s.UnitCountOut(**vars(c)) for c in count_by_unit(mine, on)])


def _item_out(item: RectificationItem, on: date) -> s.RectificationOut:
    return s.RectificationOut(
        item_id=item.item_id, source=item.source, problem=item.problem, township=item.township,
        department=item.department, ordered_on=item.ordered_on, deadline=item.deadline,
        completed_on=item.completed_on, what_was_done=item.what_was_done,
        status=item.status_on(on), days_overdue=item.days_overdue(on),
        extensions=[s.ExtensionOut(extended_on=e.extended_on, previous_deadline=e.previous_deadline,
                                   deadline=e.deadline, reason=e.reason) for e in item.extensions])


HANDLERS = [order_rectification, complete_rectification, extend_rectification_deadline, rectifications]
