"""A provincial department's push (省级推送) covering many counties, accepted once at the province.

Every row is checked first, by the check its path uses for a county's push (the API body's,
`interfaces.http.pushes.pushed_alert`, or an alert file's, `checked_file_row`), and against the
rules any alert meets wherever it lands (its risk types, a discovery day not after today): one
bad row refuses the whole batch, naming the row and its field, and nothing is recorded anywhere.

Then the provincial person index (`application.province.people`) catches up with every county
and each row is routed: to the one county where the person is a member now, which records it
through its own `PushRecording` — an alert of tier 省级推送 with the batch's department, id and
period, on the household the person belonged to on the day of discovery (or its own unmatched
list), and the batch on its push ledger — so the county's receipt and its deduplication work as
for any push. A row about a person in no county, or in households of two counties at once, is
held at the province, on the province's own unmatched list (its store has no households), with
the reason kept beside it. Where each row goes is decided once and kept in the province's store
before anything is recorded: sent again, a row goes where it went the first time (a person
who moved since does not make a second copy). Each store makes its ids of the batch and the row
(`PushBatch.alert_id`, `.command_id`), so sending the batch again records nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from application.app import CaseFiles
from application.imports import pushed_alert_of
from application.intake import ALERT_COLUMNS, SourceRow, check_row
from application.province.deployment import Deployment
from application.province.people import Placement, ProvincialPeople
from application.pushes import PushBatch, PushedAlert, PushRecording, RowOutcome, check_batch
from application.store.beside import beside_log, placeholder
from application.store.chain import values
from application.store.ddl import schema_lock
from domain.codes import Tier
from domain.errors import DomainError, InvalidValue
from domain.household.state import check_recorded_date
from domain.rules import checked_risk_types
from domain.values import Actor

ROUTES_TABLE = "fangpin_province_routes"
#: Why a row is held at the province.
IN_NO_COUNTY = "不在任何县的在册农户中"
IN_TWO_COUNTIES = "同时是多个县在册农户的成员"


@dataclass(frozen=True)
class BatchRow:
    """One row as its sender counts it (``number``: the body's 1st, 2nd…, or a sheet's row),
    with ``row_id``, unique in the batch, of which its alert and command ids are made."""

    number: int
    row_id: str
    value: Any


def numbered(rows: Sequence[Any]) -> list[BatchRow]:
    """The rows of a batch sent to the API: numbered from 1, the number their id (as a county's
    push numbers them)."""
    return [BatchRow(number, str(number), row) for number, row in enumerate(rows, start=1)]


class ProvincialRowRefused(InvalidValue):
    """A row of a provincial batch breaks a rule: the batch is refused whole, naming the row."""

    def __init__(self, index: int, row: BatchRow, error: DomainError) -> None:
        where = f"rows[{index}].{error.field}" if error.field else f"rows[{index}]"
        super().__init__(error.code, f"第 {row.number} 行：{error.message}（整批未接收，改正后请重新推送）",
                         where)


@dataclass(frozen=True)
class Route:
    """Where a row goes: a county's code, or None (held at the province, for ``reason``)."""

    row_id: str
    county: str | None
    reason: str | None = None


@dataclass(frozen=True)
class RoutedRow:
    """What became of a row: where it went and its outcome there (or the rule that refused it
    there: a row routed to a county meets that county's rules)."""

    number: int
    route: Route
    outcome: RowOutcome | None = None
    refused: DomainError | None = None


@dataclass
class ProvincialReceipt:
    """A provincial batch as received: each row's fate, and each store's log position reached
    (``None`` keys the province's)."""

    batch: PushBatch
    rows: list[RoutedRow] = field(default_factory=list)
    positions: dict[str | None, int] = field(default_factory=dict)

    def by_county(self) -> dict[str, Counter[str]]:
        """Per county, how many rows had each result (新案件, 并入案件, 重复, 未匹配, 拒收)."""
        counts: dict[str, Counter[str]] = {}
        for row in self.rows:
            if row.route.county is not None:
                counts.setdefault(row.route.county, Counter())[_result(row)] += 1
        return dict(sorted(counts.items()))

    def held(self) -> Counter[str]:
        """Rows held at the province, by reason."""
        return Counter(row.route.reason or "" for row in self.rows if row.route.county is None)

    @property
    def repeated(self) -> int:
        """Rows an earlier sending of the batch recorded already."""
        return sum(1 for row in self.rows if row.outcome is not None and row.outcome.repeated)


def receive_provincial_batch(
    deployment: Deployment, people: ProvincialPeople, batch: PushBatch, rows: Sequence[BatchRow],
    *, by: Actor, check: Callable[[Any], PushedAlert] = lambda row: row,
) -> ProvincialReceipt:
    """Check every row (``check``: its path's row check), then route each to its county, or hold
    it at the province; what became of each row."""
    if batch.tier is not Tier.PROVINCIAL:
        raise InvalidValue("TIER_NOT_PROVINCIAL", f"省级推送的层级须为{Tier.PROVINCIAL}", "tier")
    today = deployment.clock()
    alerts = {row.row_id: _checked(index, row, check, today) for index, row in enumerate(rows)}
    if len(alerts) != len(rows):
        raise InvalidValue("ROW_ID_REPEATED", "同一批次内的行号不能重复", "rows")
    province = deployment.province()
    check_batch(province, (), batch)
    people.catch_up_all()
    routes = _Routes(province)
    where = people.placements(alert.person_id_number for alert in alerts.values())
    earlier = routes.decided(batch)
    proposed = [earlier.get(row.row_id) or _route(row.row_id, where[alerts[row.row_id].person_id_number])
                for row in rows]
    receipt = ProvincialReceipt(batch)
    with ExitStack() as opened:
        apps: dict[str, CaseFiles] = {}

        def county_app(code: str) -> CaseFiles:
            if code not in apps:
                apps[code] = opened.enter_context(CaseFiles(
                    deployment.county_settings(code), clock=deployment.clock))
                check_batch(apps[code], (), batch)
            return apps[code]

        for route in proposed:  # every county's refusal (a batch id it knows) before any record
            if route.county is not None:
                county_app(route.county)
        decided = routes.decide(batch, proposed)
        totals: Counter[str] = Counter()
        rejected = 0
        for code in sorted({r.county for r in decided.values() if r.county is not None}):
            app = county_app(code)
            mine = [row for row in rows if decided[row.row_id].county == code]
            recording = PushRecording(app, batch, by=by, find_household=app.household_code_on)
            routed = [_record(recording, row, decided[row.row_id], alerts[row.row_id]) for row in mine]
            refused = sum(1 for r in routed if r.refused is not None)
            ledger = recording.receive(rows=len(mine), rejected=refused)
            receipt.rows += routed
            receipt.positions[code] = max([ledger.position, *(r.outcome.position or 0 for r in routed
                                                              if r.outcome)])
            totals.update(recording.results)
            rejected += refused
        held = [row for row in rows if decided[row.row_id].county is None]
        recording = PushRecording(province, batch, by=by, find_household=_in_no_household)
        routed = [_record(recording, row, decided[row.row_id], alerts[row.row_id]) for row in held]
        recording.results.update(totals)  # the province's receipt counts the whole batch
        ledger = recording.receive(rows=len(rows), rejected=rejected + sum(
            1 for r in routed if r.refused is not None))
        receipt.rows += routed
        receipt.positions[None] = ledger.position
    order = {row.row_id: index for index, row in enumerate(rows)}
    receipt.rows.sort(key=lambda r: order[r.route.row_id])
    return receipt


def checked_file_row(row: SourceRow) -> PushedAlert:
    """A row of an alert file read as a county's file import reads it (`ALERT_COLUMNS`); its
    first problem refuses it, naming the column."""
    checked = check_row(row, ALERT_COLUMNS)
    if checked.problems:
        header, message = checked.problems[0]
        key = next((c.key for c in ALERT_COLUMNS if c.header == header), None)
        raise InvalidValue("ROW_INVALID", f"{header}：{message}" if header else message, key)
    return pushed_alert_of(checked.values)


def _checked(index: int, row: BatchRow, check: Callable[[Any], PushedAlert], now: Any) -> PushedAlert:
    """A row checked by its path, and by the rules its alert meets wherever it is recorded."""
    try:
        alert = check(row.value)
        checked_risk_types(alert.risk_types, alert.disaster_kind, alert.sudden_hardship)
        check_recorded_date(alert.discovered_on, now)
    except DomainError as error:
        raise ProvincialRowRefused(index, row, error) from None
    return alert


def _route(row_id: str, placed: list[Placement]) -> Route:
    counties = sorted({placement.county for placement in placed})
    if len(counties) == 1:
        return Route(row_id, counties[0])
    if not counties:
        return Route(row_id, None, IN_NO_COUNTY)
    return Route(row_id, None, f"{IN_TWO_COUNTIES}（{'、'.join(counties)}）")


def _record(recording: PushRecording, row: BatchRow, route: Route, alert: PushedAlert) -> RoutedRow:
    try:
        return RoutedRow(row.number, route, recording.record(row.row_id, alert))
    except DomainError as error:
        return RoutedRow(row.number, route, refused=error)


def _in_no_household(person: str, day: date) -> str | None:
    """The province has no households: a row it holds is held unmatched."""
    return None


def _result(row: RoutedRow) -> str:
    return "拒收" if row.refused is not None else row.outcome.result if row.outcome else ""


class _Routes:
    """Where each row of each provincial batch went (``fangpin_province_routes``), decided once."""

    def __init__(self, province: CaseFiles) -> None:
        self.datastore: Any = province.factory.datastore  # type: ignore[attr-defined]
        self.backend = province.settings.backend
        self.p = placeholder(self.backend)
        self.table = beside_log(self.datastore, self.backend, ROUTES_TABLE)
        with schema_lock(self.datastore, self.backend), \
                self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (department TEXT NOT NULL, "
                           "batch_id TEXT NOT NULL, row_id TEXT NOT NULL, county TEXT, reason TEXT, "
                           "PRIMARY KEY (department, batch_id, row_id))")

    def decided(self, batch: PushBatch) -> dict[str, Route]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT row_id, county, reason FROM {self.table} "
                           f"WHERE department = {self.p} AND batch_id = {self.p}",
                           (str(batch.department), batch.batch_id))
            return {row_id: Route(row_id, county, reason)
                    for row_id, county, reason in (values(r) for r in cursor.fetchall())}

    def decide(self, batch: PushBatch, routes: Sequence[Route]) -> dict[str, Route]:
        """Keep these routes where none was decided yet; every row's route as kept."""
        p = self.p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.executemany(
                f"INSERT INTO {self.table} (department, batch_id, row_id, county, reason) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING",
                [(str(batch.department), batch.batch_id, route.row_id, route.county, route.reason)
                 for route in routes])
        return self.decided(batch)
