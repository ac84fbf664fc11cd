"""Department pushes (部门筛查预警): a batch of alerts, answered row by row.

The batch itself is recorded on the department's push ledger when it is received (its period,
tier, urgency and counts): push timeliness is judged on that receipt, so a batch with no rows
(a zero report, 零报告) still counts as the period's push.

Each row becomes one alert on the household of the person it names, with a command id made of
the department, the batch id and the row number: sending the batch again finds those ids in the
households and records nothing twice (each row answers as it did the first time). A row that
breaks a rule is answered with the rule's code and field and never stops the rows after it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, post
from litestar.params import JSONBody

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.imports import check_batch
from application.unit_of_work import retrying
from domain.codes import Channel, Department, DisasterKind, Problem, RiskType, Role
from domain.errors import DomainError, InvalidValue
from domain.governance import month_of_push_period
from domain.household import AlertOutcome
from domain.identity import validate_id_number
from interfaces.http.limits import check_day
from interfaces.http.problems import PROBLEMS
from interfaces.http.schemas import pushes as s
from interfaces.http.views import outcome_name
from projections.queries import ReadModels
from projections.runner import Projections

#: How long a push waits for the member directory to include households registered just before.
DIRECTORY_WAIT = 10.0


@post("/api/pushes", opt={"command": "push_alerts"}, summary="部门推送预警信息（按批次）",
      sync_to_thread=True, responses=PROBLEMS, status_code=200, tags=["部门推送"])
def push_alerts(request: Request, data: JSONBody[s.DepartmentPush]) -> s.PushAnswer:
    user: User = request.user
    department = push_department(user, data.department)
    app: CaseFiles = request.app.state.case_files
    projections: Projections = request.app.state.projections
    read_models: ReadModels = request.app.state.read_models
    check_batch(app, request.app.state.indicators.cadences.duties, department, batch_id=data.batch_id,
                period=data.period, tier=data.tier, urgent=data.urgent)
    projections.wait_for(app.max_position(), timeout=DIRECTORY_WAIT)

    answers = []
    unmatched = app.unmatched_alerts()  # alerts held earlier, read once for the batch
    held = dict(unmatched.alerts) if unmatched else {}
    for number, row in enumerate(data.rows, start=1):
        try:
            answers.append(_record(app, read_models, user, department, data, number, row, held))
        except DomainError as error:
            answers.append(s.PushRowAnswer(
                row=number, result="拒收", code=error.code, message=error.message,
                field=f"rows[{number - 1}].{error.field}" if error.field else f"rows[{number - 1}]",
            ))
    counts = {name: sum(1 for a in answers if a.result == name)
              for name in ("新案件", "并入案件", "重复", "拒收", "未匹配")}
    receipt = retrying(lambda: app.receive_push(
        department, batch_id=data.batch_id, tier=data.tier, period=data.period, urgent=data.urgent,
        rows=len(answers), new_cases=counts["新案件"], joined=counts["并入案件"],
        duplicates=counts["重复"], rejected=counts["拒收"], by=user.actor,
        command_id=f"push:{department}:{data.batch_id}"))
    ledger = app.push_ledger(department)
    first = ledger.receipts.get(data.batch_id) if ledger else None
    positions = [a.position for a in answers if a.position] + [receipt.position]
    return s.PushAnswer(
        batch_id=data.batch_id, department=department, tier=data.tier, period=data.period,
        received=len(answers), recorded=len(answers) - counts["拒收"], new_cases=counts["新案件"],
        joined_cases=counts["并入案件"], duplicates=counts["重复"], rejected=counts["拒收"],
        unmatched=counts["未匹配"],
        repeated=sum(1 for a in answers if a.repeated), position=max(positions, default=0),
        rows=answers, urgent=first.urgent if first else data.urgent,
        received_on=first.received_on if first else None,
    )


def push_department(user: User, given: Department | None) -> Department:
    if user.role is Role.DEPARTMENT:
        if given is not None and given != user.department:
            raise AccessDenied("OTHER_DEPARTMENT", f"只能推送本部门（{user.department}）的预警信息",
                               "department")
        assert user.department is not None
        return user.department
    if given is None:
        raise InvalidValue("DEPARTMENT_REQUIRED", "县防贫中心代为录入时须指定推送部门", "department")
    return given


def _record(
    app: CaseFiles, read_models: ReadModels, user: User, department: Department,
    push: s.DepartmentPush, number: int, row: s.PushRow, held: dict[str, Any],
) -> s.PushRowAnswer:
    person = validate_id_number(row.person_id_number, "person_id_number")
    household = read_models.household_of_person(person)
    fields: dict[str, Any] = {
        "alert_id": f"{department}:{push.batch_id}:{number}",
        "channel": Channel.DEPARTMENT_ALERT,
        "person_id_number": person,
        "risk_types": _codes(RiskType, row.risk_types, "risk_types"),
        "description": row.description,
        "period": month_of_push_period(push.period),
        "department": department,
        "tier": push.tier,
        "batch_id": push.batch_id,
        "disaster_kind": _code(DisasterKind, row.disaster_kind, "disaster_kind")
        if row.disaster_kind else None,
        "problems": _codes(Problem, row.problems, "problems"),
        "occurred_on": _date(row.occurred_on, "occurred_on"),
    }
    command_id = f"push:{department}:{push.batch_id}:{number}"
    earlier = held.get(fields["alert_id"])
    if earlier is not None and earlier.person_id_number != person:
        earlier = None  # the batch was sent again with another row here: a new alert
    if earlier is not None and household is not None:
        # Held when the person was unknown; the household exists now: attach it (once).
        if earlier.pending:
            result = retrying(lambda: app.attach_unmatched_alert(
                fields["alert_id"], household["code"], by=user.actor, command_id=f"attach:{command_id}"))
            outcome = result.outcome
            return s.PushRowAnswer(
                row=number, result=outcome_name(outcome), household_code=household["code"],
                alert_id=outcome.alert_id, case_number=outcome.case_number,
                duplicate_of=outcome.duplicate_of, position=result.position)
        return s.PushRowAnswer(row=number, result="未匹配", alert_id=fields["alert_id"], repeated=True,
                               household_code=earlier.household_code,
                               message=f"已于 {earlier.resolved_on} 认领到农户 {earlier.household_code}")
    if household is None:  # held, unmatched, for the township to attach
        discovered = fields.pop("occurred_on")
        held = retrying(lambda: app.hold_unmatched_alert(
            **fields, discovered_on=discovered, township=row.township, village=row.village,
            by=user.actor, command_id=command_id))
        return s.PushRowAnswer(row=number, result="未匹配", alert_id=fields["alert_id"],
                               position=held.position, repeated=held.repeated,
                               message=f"身份证号码 {person} 不在任何已登记农户中：已列入未匹配名单，"
                                       "待乡镇认领")
    result = retrying(lambda: app.raise_alert(household["code"], by=user.actor,
                                              command_id=command_id, **fields))
    outcome: AlertOutcome = result.outcome
    return s.PushRowAnswer(
        row=number, result=outcome_name(outcome), household_code=household["code"],
        alert_id=outcome.alert_id, case_number=outcome.case_number,
        duplicate_of=outcome.duplicate_of, position=result.position, repeated=result.repeated,
    )


def _code(enum: Any, value: str, field: str) -> Any:
    try:
        return enum(value.strip())
    except (ValueError, AttributeError):
        choices = "、".join(e.value for e in enum)
        raise InvalidValue("CODE_UNKNOWN", f"“{value}”不是码表中的值；可选：{choices}", field) from None


def _codes(enum: Any, values: list[str], field: str) -> tuple[Any, ...]:
    return tuple(_code(enum, v, f"{field}[{i}]") for i, v in enumerate(values))


def _date(text: str, field: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise InvalidValue("DATE_FORMAT", f"“{text}”不是日期，应为 YYYY-MM-DD", field) from None
    check_day(day, field)
    return day
