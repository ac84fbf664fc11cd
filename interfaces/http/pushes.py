"""Department pushes (部门筛查预警): a batch of alerts, answered row by row.

The batch itself is recorded on the department's push ledger when it is received (its period,
tier, urgency and counts): push timeliness is judged on that receipt, so a batch with no rows
(a zero report, 零报告) still counts as the period's push.

Each row is recorded by `application.pushes`, as a row of an uploaded file is: one alert on the
household the person it names belonged to on the row's day (found in the person index, written
with the log, so a household registered just before is found), or held unmatched, with ids made
of the department, the batch id and the row number, so sending the batch again records nothing
twice and each row answers as it did the first time. A row that breaks a rule is answered with
the rule's code and field and never stops the rows after it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, post
from litestar.params import JSONBody

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.cells import read_amount, read_code
from application.pushes import (
    UNMATCHED,
    PushBatch,
    PushedAlert,
    PushRecording,
    RowOutcome,
    check_batch,
)
from domain.codes import Department, DisasterKind, Problem, RiskType, Role, SuddenHardship, TargetGroup
from domain.errors import DomainError, InvalidValue
from domain.household import DUPLICATE, JOINED_CASE, NEW_CASE
from domain.identity import validate_id_number
from interfaces.http.limits import check_day
from interfaces.http.problems import PROBLEMS
from interfaces.http.schemas import pushes as s


@post("/api/pushes", opt={"command": "push_alerts"}, summary="部门推送预警信息（按批次）",
      sync_to_thread=True, responses=PROBLEMS, status_code=200, tags=["部门推送"])
def push_alerts(request: Request, data: JSONBody[s.DepartmentPush]) -> s.PushAnswer:
    user: User = request.user
    app: CaseFiles = request.app.state.case_files
    batch = PushBatch(push_department(user, data.department), data.batch_id, data.tier,
                      data.period, data.urgent)
    duties = request.app.state.indicators.cadences.duties
    check_batch(app, duties, batch)
    recording = PushRecording(app, batch, by=user.actor, find_household=app.household_code_on,
                              duties=duties)
    answers = []
    for number, row in enumerate(data.rows, start=1):
        try:
            answers.append(_answer(number, recording.record(str(number), pushed_alert(row))))
        except DomainError as error:
            answers.append(s.PushRowAnswer(
                row=number, result="拒收", code=error.code, message=error.message,
                field=f"rows[{number - 1}].{error.field}" if error.field else f"rows[{number - 1}]",
            ))
    counts = {name: sum(1 for a in answers if a.result == name)
              for name in (NEW_CASE, JOINED_CASE, DUPLICATE, "拒收", UNMATCHED)}
    receipt = recording.receive(rows=len(answers), rejected=counts["拒收"])
    ledger = app.push_ledger(batch.department)
    first = ledger.receipts.get(data.batch_id) if ledger else None
    positions = [a.position for a in answers if a.position] + [receipt.position]
    return s.PushAnswer(
        batch_id=data.batch_id, department=batch.department, tier=data.tier, period=data.period,
        received=len(answers), recorded=len(answers) - counts["拒收"], new_cases=counts[NEW_CASE],
        joined_cases=counts[JOINED_CASE], duplicates=counts[DUPLICATE], rejected=counts["拒收"],
        unmatched=counts[UNMATCHED],
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


def pushed_alert(row: s.PushRow) -> PushedAlert:
    """A row's values checked one by one (a bad one refuses the row, with its field; in a
    provincial batch, `application.province.pushes`, the whole batch)."""
    return PushedAlert(
        person_id_number=validate_id_number(row.person_id_number, "person_id_number"),
        risk_types=_codes(RiskType, row.risk_types, "risk_types"), description=row.description,
        disaster_kind=_code(DisasterKind, row.disaster_kind, "disaster_kind")
        if row.disaster_kind else None,
        sudden_hardship=_code(SuddenHardship, row.sudden_hardship, "sudden_hardship")
        if row.sudden_hardship else None,
        problems=_codes(Problem, row.problems, "problems"),
        discovered_on=_date(row.occurred_on, "occurred_on"),
        township=row.township, village=row.village,
        target_group=_code(TargetGroup, row.target_group, "target_group") if row.target_group else None,
        amount=read_amount(row.amount, "amount") if row.amount is not None else None,
    )


def _answer(number: int, outcome: RowOutcome) -> s.PushRowAnswer:
    return s.PushRowAnswer(
        row=number, result=outcome.result, household_code=outcome.household_code,
        alert_id=outcome.alert_id, case_number=outcome.case_number,
        duplicate_of=outcome.duplicate_of, position=outcome.position, repeated=outcome.repeated,
        message=outcome.message,
    )


def _code(enum: Any, value: str, field: str) -> Any:
    return read_code(enum, value, field)


def _codes(enum: Any, values: list[str], field: str) -> tuple[Any, ...]:
    return tuple(_code(enum, v, f"{field}[{i}]") for i, v in enumerate(values))


def _date(text: str, field: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise InvalidValue("DATE_FORMAT", f"“{text}”不是日期，应为 YYYY-MM-DD", field) from None
    check_day(day, field)
    return day
