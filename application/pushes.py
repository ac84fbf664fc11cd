"""A department push (部门筛查预警), however it arrives: the rows of a batch sent to the API or
read from an uploaded file, recorded one at a time, and the batch on the department's push
ledger. HTTP pushes (`interfaces.http.pushes`) and file imports (`application.imports`) both
record through `PushRecording`, so a row gets the same outcome and answer on either path.

Each row becomes one alert on the household the person it names belonged to on the day the
risk was discovered, with an alert id and a command id made of the department, the batch id and
the row's id: recording the batch again finds those ids and records nothing twice, and each row
answers as it did the first time. A person in no registered household that day is held,
unmatched, for the township to attach (domain.md
§5); a row held so, whose household exists now, is attached to it, once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from application.app import CaseFiles
from application.commands import RaiseAlert
from application.unit_of_work import CommandResult, retrying
from domain.cadences import Duty, duty_for_period, push_period_forms
from domain.codes import (
    Channel,
    Department,
    DisasterKind,
    Problem,
    RiskType,
    SuddenHardship,
    TargetGroup,
    Tier,
)
from domain.errors import InvalidValue, RuleViolation
from domain.governance import PushLedger, month_of_push_period
from domain.household import DUPLICATE, JOINED_CASE, NEW_CASE
from domain.unmatched import HeldAlert
from domain.values import Actor

#: A row whose person is in no registered household: held for the township to attach.
UNMATCHED = "未匹配"
#: A batch on the push ledger: received whole, or arrived and cut short (by a crash, say): its
#: rows are recorded up to where it stopped, and sending it again completes it.
RECEIVED, CUT_SHORT = "已接收", "接收未完成"

#: Finds the household a person belonged to on a day (a code), or None: the day is the one the
#: row's risk was discovered on (`CaseFiles.household_code_on`).
FindHousehold = Callable[[str, date], str | None]


@dataclass(frozen=True)
class PushBatch:
    """One batch of a department's push: who pushed it, its id, and the tier and push period
    its rows share."""

    department: Department
    batch_id: str
    tier: Tier
    period: str  # the push period: a month, or its 上旬 / 下半月 … (domain.cadences)
    urgent: bool = False

    def alert_id(self, row_id: str) -> str:
        return f"{self.department}:{self.batch_id}:{row_id}"

    def command_id(self, row_id: str) -> str:
        return f"push:{self.department}:{self.batch_id}:{row_id}"


@dataclass(frozen=True)
class PushedAlert:
    """One row of a push with its values checked: the person, the risk and when it was found
    (and where, for a person the county cannot match)."""

    person_id_number: str
    risk_types: tuple[RiskType, ...]
    discovered_on: date
    description: str = ""
    disaster_kind: DisasterKind | None = None
    problems: tuple[Problem, ...] = ()
    township: str | None = None
    village: str | None = None
    target_group: TargetGroup | None = None
    amount: Decimal | None = None
    sudden_hardship: SuddenHardship | None = None


@dataclass(frozen=True)
class RowOutcome:
    """What became of a row: an alert that opened a case, joined one or duplicated one
    (新案件 / 并入案件 / 重复), or one held unmatched (未匹配)."""

    result: str
    alert_id: str
    position: int | None = None
    repeated: bool = False  # recorded by an earlier sending of the batch
    household_code: str | None = None
    case_number: int | None = None
    duplicate_of: str | None = None
    message: str | None = None


def check_batch(app: CaseFiles, duties: tuple[Duty, ...], batch: PushBatch) -> None:
    """Refuse, before any row is recorded, a batch id already used for another batch, and a
    county-tier period the department's cadence does not know (it could never count as the
    push it owes; a provincial batch carries the province's periods)."""
    department, batch_id, period, tier = batch.department, batch.batch_id, batch.period, batch.tier
    ledger = app.push_ledger(department)
    receipt = ledger.receipts.get(batch_id) if ledger else None
    arrival = ledger.arrivals.get(batch_id) if ledger else None
    earlier = receipt or arrival
    if earlier is not None and (earlier.period, earlier.tier, earlier.urgent) != (
            period, tier, batch.urgent):
        day = receipt.received_on if receipt else arrival.arrived_on  # type: ignore[union-attr]
        raise RuleViolation(
            "BATCH_ID_REUSED",
            f"批次号 {batch_id} 已于 {day} 用于 {earlier.period} 期次"
            f"（{earlier.tier or '—'}{'，紧急' if earlier.urgent else ''}）的推送；新的推送请用新的批次号",
            "batch_id")
    forms = push_period_forms(duties, department)
    if duties and tier is Tier.COUNTY and not batch.urgent and period[7:] not in forms:
        shown = "、".join(f"2025-03{suffix}" for suffix in forms)
        raise InvalidValue(
            "PUSH_PERIOD_NOT_IN_CADENCE",
            f"{department}按推送频次表的期次写法为：{shown}；频次之外的推送请标为紧急（urgent）",
            "period")


class PushRecording:
    """The rows of one batch being recorded as ``by``, then the batch on the push ledger.

    ``find_household`` finds the household a person belonged to on the row's day; the
    unmatched alerts held before are read once, when the recording starts. A county-tier batch
    of a scheduled period owes its duty's criteria on every row (``duties``: the cadence table)."""

    def __init__(self, app: CaseFiles, batch: PushBatch, *, by: Actor,
                 find_household: FindHousehold, duties: tuple[Duty, ...] = ()) -> None:
        self.app, self.batch, self.by, self.find_household = app, batch, by, find_household
        self.duty = (duty_for_period(duties, batch.department, batch.period)
                     if batch.tier is Tier.COUNTY and not batch.urgent else None)
        unmatched = app.unmatched_alerts()
        self.held: dict[str, HeldAlert] = dict(unmatched.alerts) if unmatched else {}
        #: How many rows had each result so far.
        self.results: Counter[str] = Counter()
        self.arrived = False

    def _arrive(self) -> None:
        batch = self.batch
        retrying(lambda: self.app.arrive_push(
            batch.department, batch_id=batch.batch_id, tier=batch.tier, period=batch.period,
            urgent=batch.urgent, by=self.by, command_id=f"arrived:push:{batch.department}:{batch.batch_id}"))
        self.arrived = True

    def record(self, row_id: str, row: PushedAlert) -> RowOutcome:
        """Record one row (``row_id``: its number in the batch, unique in it). A row that breaks
        a rule raises the rule's `DomainError` and records nothing. Before the first row, the
        batch's arrival is recorded (once, however often the batch is sent)."""
        if not self.arrived:
            self._arrive()
        if self.duty is not None:
            self.duty.check_row(row.target_group, row.amount)
        outcome = self._record(row_id, row)
        self.results[outcome.result] += 1
        return outcome

    def _record(self, row_id: str, row: PushedAlert) -> RowOutcome:
        app, by, person = self.app, self.by, row.person_id_number
        alert_id, command_id = self.batch.alert_id(row_id), self.batch.command_id(row_id)
        code = self.find_household(person, row.discovered_on)
        if code is None:  # held, unmatched, for the township to attach
            held = retrying(lambda: app.hold_unmatched_alert(
                **self._alert(alert_id, row), discovered_on=row.discovered_on,
                township=row.township, village=row.village, by=by, command_id=command_id))
            return RowOutcome(UNMATCHED, alert_id, held.position, held.repeated, message=(
                f"身份证号码 {person} 不在任何已登记农户中：已列入未匹配名单，待乡镇认领"))
        earlier = self.held.get(alert_id)
        if earlier is not None and earlier.person_id_number != person:
            earlier = None  # the batch was sent again with another row here: a new alert
        if earlier is not None and not earlier.pending:
            return RowOutcome(UNMATCHED, alert_id, repeated=True,
                              household_code=earlier.household_code,
                              message=f"已于 {earlier.resolved_on} 认领到农户 {earlier.household_code}")
        if earlier is not None:  # held when the person was unknown; the household exists now
            result = retrying(lambda: app.attach_unmatched_alert(
                alert_id, code, by=by, command_id=f"attach:{command_id}"))
        else:
            alert = RaiseAlert(**self._alert(alert_id, row), occurred_on=row.discovered_on)
            result = retrying(lambda: app.execute(code, alert, by=by, command_id=command_id))
        outcome = result.outcome
        return RowOutcome(outcome.name, outcome.alert_id, result.position, result.repeated,
                          household_code=code, case_number=outcome.case_number,
                          duplicate_of=outcome.duplicate_of)

    def _alert(self, alert_id: str, row: PushedAlert) -> dict[str, Any]:
        """The alert a row makes, as the household (or the unmatched list) records it."""
        batch = self.batch
        return {
            "alert_id": alert_id, "channel": Channel.DEPARTMENT_ALERT,
            "person_id_number": row.person_id_number, "risk_types": row.risk_types,
            "description": row.description, "period": month_of_push_period(batch.period),
            "department": batch.department, "tier": batch.tier, "batch_id": batch.batch_id,
            "disaster_kind": row.disaster_kind, "problems": row.problems,
            "target_group": row.target_group, "amount": row.amount,
            "sudden_hardship": row.sudden_hardship,
        }

    def receive(self, *, rows: int, rejected: int) -> CommandResult:
        """Record the batch on the department's push ledger, received (at its arrival, or now
        if no row arrived): ``rows`` read, of which ``rejected`` were refused, and what became
        of those recorded. A zero report (no rows) is a push all the same."""
        batch, results = self.batch, self.results
        return retrying(lambda: self.app.receive_push(
            batch.department, batch_id=batch.batch_id, tier=batch.tier, period=batch.period,
            urgent=batch.urgent, rows=rows, new_cases=results[NEW_CASE],
            joined=results[JOINED_CASE], duplicates=results[DUPLICATE], rejected=rejected,
            by=self.by, command_id=f"push:{batch.department}:{batch.batch_id}"))


def with_receipts(app: CaseFiles, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The push ledger's lines (`projections.queries.ReadModels.push_ledger`: the alerts of
    each batch summed) with each batch's state on its department's ledger and the time it was
    received; a batch with rows and no receipt was cut short."""
    ledgers: dict[str, PushLedger | None] = {}
    for line in lines:
        department, batch_id = line["department"], line["batch_id"]
        if department not in ledgers:
            ledgers[department] = app.push_ledger(Department(department))
        ledger = ledgers[department]
        receipt = ledger.receipts.get(batch_id) if ledger and batch_id else None
        arrival = ledger.arrivals.get(batch_id) if ledger and batch_id else None
        line["state"] = RECEIVED if receipt else CUT_SHORT if batch_id else None
        line["received_at"] = (receipt.received_at if receipt
                               else arrival.arrived_at if arrival else None)
        said = receipt or arrival
        line["tier"] = said.tier.value if said and said.tier else None
        line["period"] = said.period if said else None
        line["rejected"] = receipt.rejected if receipt else None
    return lines
