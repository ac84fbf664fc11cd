"""Self-reports (农户自主申报) through the public page: held per township, answered by it.

`SelfReportDesk` is the case files' part that records them (mixed into `CaseFiles`);
`ReportLimits` keeps the public page from being used as a flood gate or a probe: a count per
person and per source address, shared by every server process. Nothing here looks a reported
ID number up in the registry before the township answers, so no answer of the public page can
tell whether an ID number is registered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from application.errors import HouseholdNotFound
from application.store.beside import beside_log, placeholder
from application.store.ddl import schema_lock
from application.store.encryption import store_secret
from application.unit_of_work import CommandResult, UnitOfWork
from domain.codes import Channel, DisasterKind, RiskType, Role, SuddenHardship
from domain.errors import DomainError, NotFound
from domain.household import Household
from domain.self_reports import Answer, SelfReport, SelfReports, self_reports_id
from domain.values import Actor

#: Who records a self-report: the public page, on the person's word.
PUBLIC_PAGE = Actor("农户自主申报页", Role.SYSTEM)
#: Reports accepted per ID number a day, and requests per source address an hour.
PER_PERSON_A_DAY = 3
PER_SOURCE_AN_HOUR = 20


class TooMany(DomainError):
    """Too many self-reports from one person or one address (HTTP 429)."""


class SelfReportDesk(UnitOfWork):
    """Self-reports on the county's log: held by township until answered."""

    def report_hardship(self, township: str, *, command_id: str = "", **stated: Any) -> CommandResult:
        """Hold what a person reported for ``township`` (a registered township: the caller
        checks); the outcome is the report's number (回执编号)."""
        report_id = _report_id(township, command_id)

        def create() -> SelfReports:
            return SelfReports.start(township, at=self.clock(), by=PUBLIC_PAGE)

        def act(held: SelfReports) -> str:
            held.report(report_id=report_id, **stated, by=PUBLIC_PAGE, at=self.clock(),
                        command_id=command_id)
            return report_id

        result = self._command(self_reports_id(township), "自主申报", command_id, act,
                               create=create, then_act=True)
        return CommandResult(result.aggregate_id, result.version, result.position,
                             outcome=report_id, repeated=result.repeated)

    def self_reports(self, township: str) -> SelfReports | None:
        try:
            return self._get(self_reports_id(township))
        except AggregateNotFoundError:
            return None

    def answer_self_report(
        self, township: str, report_id: str, answer: Answer, *, by: Actor, command_id: str = "",
        household_code: str | None = None, reason: str = "", risk_types: tuple[RiskType, ...] = (),
        disaster_kind: DisasterKind | None = None, sudden_hardship: SuddenHardship | None = None,
        allowed: Callable[[Household], None] | None = None,
    ) -> CommandResult:
        """Answer a held report. A true one raises a 农户自主申报 alert on the household, with
        the risk types the township found, discovered on the day of the report — both facts in
        one transaction; any other answer gives its reason and records nothing on a household."""
        reports_ref = self_reports_id(township)
        if answer is not Answer.TRUE:
            def act(held: SelfReports) -> None:
                held.answer(report_id, answer, household_code=None, reason=reason, by=by,
                            at=self.clock(), command_id=command_id)
            return self._command(reports_ref, "自主申报", command_id, act, create=_none(report_id))
        household_ref = self._household_id(household_code or "")
        with self._holding(reports_ref, household_ref):
            try:
                held: SelfReports = self._load(reports_ref)
            except AggregateNotFoundError:
                raise _none(report_id)() from None
            if command_id and command_id in held.command_ids:
                return self._repeated(held, command_id)
            try:
                household: Household = self._load(household_ref)
            except AggregateNotFoundError:
                raise HouseholdNotFound(household_code or "") from None
            at = self.clock()
            report = held.answer(report_id, answer, household_code=household.code, reason=reason,
                                 by=by, at=at, command_id=command_id)
            if allowed is not None:
                allowed(household)
            outcome = household.raise_alert(
                alert_id=report.report_id, channel=Channel.SELF_DECLARATION,
                person_id_number=report.person_id_number, risk_types=risk_types,
                description=report.story, disaster_kind=disaster_kind,
                sudden_hardship=sudden_hardship, occurred_on=report.reported_on, by=by, at=at,
                command_id=command_id)
            recordings = self._save_together(household.code, held, household)
        return CommandResult(household.id, household.version, recordings[-1].notification.id,
                             outcome=outcome)


def _none(report_id: str) -> Callable[[], Any]:
    def refuse() -> Any:
        raise NotFound("SELF_REPORT_NOT_FOUND", f"没有编号为 {report_id} 的自主申报", "report_id")
    return refuse


def sent_before(desk: SelfReportDesk, township: str, command_id: str) -> str | None:
    """The receipt number of a report this command recorded already (a form or request sent
    again), else None."""
    held = desk.self_reports(township) if command_id else None
    report_id = _report_id(township, command_id) if held else None
    return report_id if held and report_id in held.reports else None


def _report_id(township: str, command_id: str) -> str:
    """A report's number: random, or — for a request sent again with the same key — the same."""
    if command_id:
        return "ZB-" + hashlib.sha256(f"{township}|{command_id}".encode()).hexdigest()[:12].upper()
    return "ZB-" + secrets.token_hex(6).upper()


def held_reports(desk: SelfReportDesk, townships: list[str]) -> list[SelfReport]:
    """The reports still held in ``townships``, oldest first."""
    found = [r for t in townships if (held := desk.self_reports(t)) for r in held.held_reports()]
    return sorted(found, key=lambda r: r.reported_at)


class ReportLimits:
    """Counts of self-reports per person a day and per source address an hour, kept in the
    store (every server process sees the same counts) under keyed hashes, never the values."""

    def __init__(self, datastore: Any, backend: str, clock: Callable[[], datetime] | None = None) -> None:
        self.datastore = datastore
        self.clock = clock or (lambda: datetime.now(UTC))
        self._p = placeholder(backend)
        self.table = beside_log(datastore, backend, "fangpin_self_report_counts")
        self._key = store_secret(datastore, backend, "self_report_key").encode()
        with schema_lock(datastore, backend), datastore.transaction(commit=True) as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (name_key TEXT PRIMARY KEY, "
                           "window_start TEXT NOT NULL, hits INTEGER NOT NULL)")

    def admit_source(self, source: str) -> None:
        """Count a request from ``source``; refuse it past `PER_SOURCE_AN_HOUR`."""
        if self._count(f"source|{source}", timedelta(hours=1)) > PER_SOURCE_AN_HOUR:
            raise TooMany("TOO_MANY_REPORTS",
                          "提交过于频繁，请一小时后再试，或直接联系村委会、乡镇工作站", "source")

    def admit_person(self, id_number: str) -> None:
        """Count a report about ``id_number``; refuse it past `PER_PERSON_A_DAY`."""
        if self._count(f"person|{id_number}", timedelta(days=1)) > PER_PERSON_A_DAY:
            raise TooMany("TOO_MANY_REPORTS",
                          f"同一身份证号码每天最多申报{PER_PERSON_A_DAY}次，请明天再试，或直接联系村委会",
                          "person_id_number")

    def _count(self, name: str, window: timedelta) -> int:
        key = hmac.new(self._key, name.encode(), hashlib.sha256).hexdigest()
        now = self.clock()
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE window_start < {p}",
                           ((now - timedelta(days=1)).isoformat(),))
            cursor.execute(
                f"INSERT INTO {self.table} AS c (name_key, window_start, hits) VALUES ({p}, {p}, 1) "
                "ON CONFLICT (name_key) DO UPDATE SET "
                f"hits = CASE WHEN c.window_start < {p} THEN 1 ELSE c.hits + 1 END, "
                f"window_start = CASE WHEN c.window_start < {p} THEN excluded.window_start "
                "ELSE c.window_start END RETURNING hits",
                (key, now.isoformat(), (now - window).isoformat(), (now - window).isoformat()))
            row = cursor.fetchone()
        return int(row["hits"] if isinstance(row, dict) else row[0])
