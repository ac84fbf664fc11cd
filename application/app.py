"""The case-file application: commands on households and the income-line policy, and queries.

Each command loads one aggregate, lets it check the rules, and saves what it triggered in one
transaction. A command carries a client command id: when the household has already recorded that
id, the command changes nothing and answers as the first time. Two writers on one household: the
second save fails on the version number, the loser gets `ConcurrentChange`, nothing of its command
is kept, and a retry reads the new state.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import takewhile
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Recording, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from application.audit import LogTables
from application.cache import AggregateCache
from application.encryption import check_store_key
from application.errors import ConcurrentChange, HouseholdAlreadyRegistered, HouseholdNotFound
from application.mapper import AggregateCodec
from application.settings import APP_NAME, Settings
from domain.codes import Department, Role
from domain.errors import DomainError, InvalidValue, NotFound, RuleViolation
from domain.governance import (
    GOVERNANCE_ID,
    IMPORTS_ID,
    Governance,
    ImportLedger,
    PushLedger,
    push_ledger_id,
)
from domain.household import AlertOutcome, Household, household_id
from domain.policy import INCOME_LINE_POLICY_ID, IncomeLinePolicy
from domain.replay import replay
from domain.rules import CHINA_TIME, local_date
from domain.unmatched import UNMATCHED_ID, UnmatchedAlerts
from domain.values import Actor, MemberDetails

logger = logging.getLogger(__name__)

#: Snapshots are written this many at a time (they are a cache: losing some costs only time).
SNAPSHOT_BATCH = 32

#: The actor for facts the system itself records (e.g. starting the policy aggregate).
SYSTEM = Actor("system", Role.SYSTEM)


@dataclass(frozen=True)
class CommandResult:
    """What a command saved: the household, its new version and the log position reached.

    ``position`` is the notification id of the last event the command saved: a caller can wait
    for read models to reach it. ``repeated`` says the command id had been seen and nothing new
    was recorded.
    """

    aggregate_id: UUID
    version: int
    position: int
    outcome: Any = None
    repeated: bool = False


#: Attempts of a command that keeps losing races on its aggregate.
RETRIES = 3


def retrying(command: Callable[[], CommandResult]) -> CommandResult:
    """Run a command, again if it lost a race on its aggregate (at most `RETRIES` times): a
    retry reads the new state, and the command id keeps it from being recorded twice."""
    for attempt in range(RETRIES):
        try:
            return command()
        except ConcurrentChange:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded fact of a case file, as an auditor reads it."""

    version: int
    event: str
    occurred_on: date | None
    recorded_at: datetime
    recorded_by: Actor | None
    command_id: str
    details: dict[str, Any] = field(default_factory=dict)


_HISTORY_SKIP = frozenset({
    "originator_id", "originator_version", "timestamp", "occurred_on", "recorded_by",
    "command_id", "originator_topic",
})


class CaseFiles(Application[UUID]):
    """The county's households' case files and the income-line policy, in one event log."""

    name = APP_NAME

    def __init__(
        self, settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.settings = settings or Settings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._pending_snapshots: list[StoredEvent] = []
        #: Called with the log position after each save (e.g. to wake the read models).
        self.on_saved: list[Callable[[int], None]] = []
        self._snapshot_lock = threading.Lock()
        super().__init__(env=self.settings.eventsourcing_env())
        try:
            check_store_key(self.factory.datastore, self.settings.backend,  # type: ignore[attr-defined]
                            self.settings.cipher_key, log_is_empty=self.max_position() == 0)
        except Exception:
            super().close()
            raise
        self._cache = AggregateCache(self.settings.aggregate_cache_size)
        self._log_tables: LogTables | None = None

    # ------------------------------------------------------------------ households

    def register_household(
        self, *, code: str, township: str, village: str, address: str, household_type: Any,
        members: list[MemberDetails], lifted_out_year: int | None = None, occurred_on: date,
        by: Actor, command_id: str = "",
    ) -> CommandResult:
        """Register a household with its members (户编号 unique in the county)."""
        aggregate_id = self._household_id(code)

        def create() -> Household:
            return Household.register(
                code=code, township=township, village=village, address=address,
                household_type=household_type, members=members, lifted_out_year=lifted_out_year,
                occurred_on=occurred_on, by=by, at=self.clock(), command_id=command_id,
            )

        def exists(household: Household) -> None:
            raise HouseholdAlreadyRegistered(code)

        return self._command(aggregate_id, str(code), command_id, exists, create=create)

    def join_member(self, household_code: str, **command: Any) -> CommandResult:
        """A person joins the household. See `Household.join_member`."""
        return self._on_household(household_code, "join_member", command)

    def leave_member(self, household_code: str, **command: Any) -> CommandResult:
        """A person leaves the household. See `Household.leave_member`."""
        return self._on_household(household_code, "leave_member", command)

    def update_member(self, household_code: str, **command: Any) -> CommandResult:
        """A member's health, labour, schooling or insurance changed."""
        return self._on_household(household_code, "update_member", command)

    def raise_alert(self, household_code: str, **command: Any) -> CommandResult:
        """Record a risk alert; the outcome says new case, joined case or duplicate of which."""
        return self._on_household(household_code, "raise_alert", command)

    def verify_at_home(self, household_code: str, **command: Any) -> CommandResult:
        """Identification step 1: 入户核查核实."""
        return self._on_household(household_code, "verify_at_home", command)

    def conclude_village_deliberation(self, household_code: str, **command: Any) -> CommandResult:
        """Identification step 2: 村级评议公示."""
        return self._on_household(household_code, "conclude_village_deliberation", command)

    def complete_township_review(self, household_code: str, **command: Any) -> CommandResult:
        """Identification step 3: 乡镇核查初审."""
        return self._on_household(household_code, "complete_township_review", command)

    def decide_at_county(self, household_code: str, **command: Any) -> CommandResult:
        """Identification step 4: 县级比对审定."""
        return self._on_household(household_code, "decide_at_county", command)

    def open_green_channel(self, household_code: str, **command: Any) -> CommandResult:
        """绿色通道 for a sudden risk."""
        return self._on_household(household_code, "open_green_channel", command)

    def analyse_risk(self, household_code: str, **command: Any) -> CommandResult:
        """研判: causes, labour capacity, needs."""
        return self._on_household(household_code, "analyse_risk", command)

    def assign_measure(self, household_code: str, **command: Any) -> CommandResult:
        """Assign a help measure (planned)."""
        return self._on_household(household_code, "assign_measure", command)

    def put_measure_in_place(self, household_code: str, **command: Any) -> CommandResult:
        """A planned measure is in place."""
        return self._on_household(household_code, "put_measure_in_place", command)

    def end_measure(self, household_code: str, **command: Any) -> CommandResult:
        """A measure ends."""
        return self._on_household(household_code, "end_measure", command)

    def subsidise_medical_insurance(self, household_code: str, **command: Any) -> CommandResult:
        """医保参保资助 for a member of a monitored household."""
        return self._on_household(household_code, "subsidise_medical_insurance", command)

    def pay_relief_insurance(self, household_code: str, **command: Any) -> CommandResult:
        """防贫保 payout."""
        return self._on_household(household_code, "pay_relief_insurance", command)

    def record_visit(self, household_code: str, **command: Any) -> CommandResult:
        """Monthly visit with the six checks; a failed check raises a channel-2 alert."""
        return self._on_household(household_code, "record_visit", command)

    def assess_income(self, household_code: str, **command: Any) -> CommandResult:
        """Per-capita net income against the line in force on the day."""
        line = self.income_line_on(command["occurred_on"])
        if line is None:
            raise RuleViolation(
                "INCOME_LINE_MISSING", f"{command['occurred_on']} 没有生效的收入监测标准",
                "occurred_on",
            )
        return self._on_household(household_code, "assess_income", command, line_in_force=line)

    def verify_elimination_at_home(self, household_code: str, **command: Any) -> CommandResult:
        """Risk elimination step 1 (checks the rules of domain.md §9)."""
        line = self.income_line_on(command["occurred_on"])
        return self._on_household(
            household_code, "verify_elimination_at_home", command, line_in_force=line
        )

    def conclude_elimination_notice(self, household_code: str, **command: Any) -> CommandResult:
        """Risk elimination step 2."""
        return self._on_household(household_code, "conclude_elimination_notice", command)

    def complete_elimination_review(self, household_code: str, **command: Any) -> CommandResult:
        """Risk elimination step 3."""
        return self._on_household(household_code, "complete_elimination_review", command)

    def decide_elimination_at_county(self, household_code: str, **command: Any) -> CommandResult:
        """Risk elimination step 4 (rules checked again on the day)."""
        line = self.income_line_on(command["occurred_on"])
        return self._on_household(
            household_code, "decide_elimination_at_county", command, line_in_force=line
        )

    def correct(self, household_code: str, **command: Any) -> CommandResult:
        """Correct a recorded fact: a new event naming the corrected one, new values, reason."""
        return self._on_household(household_code, "correct", command)

    # ------------------------------------------------------------------ income line policy

    def set_income_line(
        self, *, year: int, yuan_per_capita: Decimal, effective_from: date | None = None,
        reason: str = "", occurred_on: date, by: Actor, command_id: str = "",
    ) -> CommandResult:
        """Set the county's income monitoring line for a year (county centre)."""

        def create() -> IncomeLinePolicy:
            return IncomeLinePolicy.start(occurred_on=occurred_on, by=SYSTEM, at=self.clock())

        def set_line(policy: IncomeLinePolicy) -> None:
            policy.set_line(
                year=year, yuan_per_capita=yuan_per_capita, effective_from=effective_from,
                reason=reason, occurred_on=occurred_on, by=by, at=self.clock(),
                command_id=command_id,
            )

        return self._command(INCOME_LINE_POLICY_ID, "收入监测标准", command_id, set_line,
                             create=create, then_act=True)

    def income_line_policy(self, as_of: datetime | None = None) -> IncomeLinePolicy | None:
        """The policy as it stands, or as it was known at recorded time ``as_of``."""
        try:
            if as_of is None:
                return self._get(INCOME_LINE_POLICY_ID)
            return self._as_of(INCOME_LINE_POLICY_ID, as_of)
        except AggregateNotFoundError:
            return None

    def income_line_set_at(self, version: int) -> Any:
        """The `IncomeLineSet` event recorded as the policy's ``version``."""
        events = list(self.events.get(INCOME_LINE_POLICY_ID, gt=version - 1, lte=version))
        if not events or not isinstance(events[0], IncomeLinePolicy.IncomeLineSet):
            raise RuntimeError(f"income-line policy version {version} is not a line being set")
        return events[0]

    def income_line_on(self, day: date, as_of: datetime | None = None) -> Decimal | None:
        """The line in force on ``day``, as known now or at recorded time ``as_of``."""
        policy = self.income_line_policy(as_of)
        return policy.line_on(day) if policy else None

    # ------------------------------------------------------------------ governance

    def receive_push(
        self, department: Department, *, batch_id: str, by: Actor, command_id: str = "",
        **receipt: Any,
    ) -> CommandResult:
        """Record that a department's batch was received now (its push ledger)."""
        at = self.clock()

        def create() -> PushLedger:
            return PushLedger.start(department, occurred_on=local_date(at), by=SYSTEM, at=at)

        def receive(ledger: PushLedger) -> None:
            ledger.receive(batch_id=batch_id, **receipt, by=by, at=self.clock(),
                           command_id=command_id)

        return self._command(push_ledger_id(department), f"{department}推送台账", command_id,
                             receive, create=create, then_act=True)

    def push_ledger(self, department: Department) -> PushLedger | None:
        try:
            return self._get(push_ledger_id(department))
        except AggregateNotFoundError:
            return None

    def hold_consultation(self, *, by: Actor, command_id: str = "", **meeting: Any) -> CommandResult:
        """Record a monthly consultation meeting (月分析会商)."""
        return self._governance_command("hold_consultation", by, command_id, meeting)

    def hold_dispatch_meeting(self, *, by: Actor, command_id: str = "", **meeting: Any) -> CommandResult:
        """Record a quarterly dispatch meeting (季督导调度)."""
        return self._governance_command("hold_dispatch_meeting", by, command_id, meeting)

    def adopt_cadence_table(self, *, digest: str, text: str, by: Actor,
                            command_id: str = "") -> CommandResult:
        """Record a version of the department push cadence table."""
        return self._governance_command("adopt_cadence_table", by, command_id,
                                        {"digest": digest, "text": text})

    def record_import(self, *, by: Actor, command_id: str = "", **record: Any) -> CommandResult:
        """Record an imported file on the county's import ledger."""
        def create() -> ImportLedger:
            at = self.clock()
            return ImportLedger.start(occurred_on=local_date(at), by=SYSTEM, at=at)

        def act(ledger: ImportLedger) -> None:
            ledger.record_import(**record, by=by, at=self.clock(), command_id=command_id)

        return self._command(IMPORTS_ID, "导入台账", command_id, act, create=create, then_act=True)

    def import_ledger(self) -> ImportLedger | None:
        try:
            return self._get(IMPORTS_ID)
        except AggregateNotFoundError:
            return None

    # ------------------------------------------------------------------ unmatched alerts

    def hold_unmatched_alert(self, *, by: Actor, command_id: str = "", **alert: Any) -> CommandResult:
        """Hold an alert about a person in no registered household (未匹配预警)."""
        def create() -> UnmatchedAlerts:
            return UnmatchedAlerts.start(at=self.clock())

        def act(held: UnmatchedAlerts) -> None:
            held.hold(**alert, by=by, at=self.clock(), command_id=command_id)

        return self._command(UNMATCHED_ID, "未匹配预警", command_id, act, create=create, then_act=True)

    def unmatched_alerts(self) -> UnmatchedAlerts | None:
        try:
            return self._get(UNMATCHED_ID)
        except AggregateNotFoundError:
            return None

    def attach_unmatched_alert(
        self, alert_id: str, household_code: str, *, by: Actor, command_id: str = "",
        allowed: Callable[[Household], None] | None = None,
    ) -> CommandResult:
        """Record a held alert on the household its person belongs to, with its discovery date
        (the 15-day clock ran from it), and mark it attached — both in one transaction."""
        household_ref = self._household_id(household_code)
        locks = sorted({id(lock): lock for lock in (
            self._cache.lock(UNMATCHED_ID), self._cache.lock(household_ref))}.items())
        with contextlib.ExitStack() as stack:
            for _, lock in locks:
                stack.enter_context(lock)
            self._cache.take(UNMATCHED_ID)
            self._cache.take(household_ref)
            try:
                held: UnmatchedAlerts = self._load(UNMATCHED_ID)
            except AggregateNotFoundError:
                raise NotFound("UNMATCHED_NOT_FOUND", f"没有编号为 {alert_id} 的未匹配预警",
                               "alert_id") from None
            if command_id and command_id in held.command_ids:
                return self._repeated(held, command_id)
            try:
                household: Household = self._load(household_ref)
            except AggregateNotFoundError:
                raise HouseholdNotFound(household_code) from None
            at = self.clock()
            alert = held.attach(alert_id, household.code, by=by, at=at, command_id=command_id)
            if allowed is not None:
                allowed(household)
            outcome = household.raise_alert(
                alert_id=alert.alert_id, channel=alert.channel,
                person_id_number=alert.person_id_number, risk_types=alert.risk_types,
                description=alert.description, period=alert.period, department=alert.department,
                tier=alert.tier, batch_id=alert.batch_id, disaster_kind=alert.disaster_kind,
                problems=alert.problems, occurred_on=alert.discovered_on, by=by, at=at,
                command_id=command_id)
            try:
                recordings = self.save(held, household)
            except IntegrityError:
                raise ConcurrentChange(household_code) from None
            self._cache.put(held)
            self._cache.put(household)
        return CommandResult(household.id, household.version, recordings[-1].notification.id,
                             outcome=outcome)

    def governance(self) -> Governance | None:
        try:
            return self._get(GOVERNANCE_ID)
        except AggregateNotFoundError:
            return None

    def _governance_command(
        self, method: str, by: Actor, command_id: str, meeting: dict[str, Any]
    ) -> CommandResult:
        def create() -> Governance:
            at = self.clock()
            return Governance.start(occurred_on=local_date(at), by=SYSTEM, at=at)

        def act(governance: Governance) -> None:
            getattr(governance, method)(**meeting, by=by, at=self.clock(), command_id=command_id)

        return self._command(GOVERNANCE_ID, "会商调度", command_id, act, create=create, then_act=True)

    # ------------------------------------------------------------------ queries

    def household(self, code_or_id: str | UUID) -> Household:
        """A household's case file as it stands."""
        aggregate_id = self._household_id(code_or_id)
        try:
            return self._get(aggregate_id)
        except AggregateNotFoundError:
            raise HouseholdNotFound(str(code_or_id)) from None

    def household_at_version(self, code_or_id: str | UUID, version: int) -> Household:
        """The case file as it was after its ``version``-th event."""
        aggregate_id = self._household_id(code_or_id)
        try:
            return self.repository.get(aggregate_id, version=version, projector_func=replay)
        except AggregateNotFoundError:
            raise HouseholdNotFound(str(code_or_id)) from None

    def household_as_of(self, code_or_id: str | UUID, recorded_at: datetime) -> Household:
        """The case file as it was recorded at ``recorded_at`` (what the log held then)."""
        try:
            return self._as_of(self._household_id(code_or_id), recorded_at)
        except AggregateNotFoundError:
            raise HouseholdNotFound(str(code_or_id)) from None

    def history(self, code_or_id: str | UUID) -> list[HistoryEntry]:
        """Every recorded fact of the case file in order, for auditors."""
        aggregate_id = self._household_id(code_or_id)
        entries = [_history_entry(event) for event in self.events.get(aggregate_id)]
        if not entries:
            raise HouseholdNotFound(str(code_or_id))
        return entries

    def save(self, *aggregates: Any, **kwargs: Any) -> list[Recording]:
        """Save the pending events of the given aggregates in one transaction.

        The library's `save` checks each object against runtime protocols, which costs more
        than the rest of a one-event command's Python; everything saved here is an aggregate.
        """
        processing = ProcessingEvent[UUID]()
        for aggregate in aggregates:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        try:
            self._snapshot_saved(processing)
        except Exception:  # the events are saved; a lost snapshot only costs replay time
            logger.exception("snapshots not written")
        self._notify(recordings)
        if recordings:
            for listener in self.on_saved:
                listener(recordings[-1].notification.id)
        return recordings

    def _snapshot_saved(self, processing: ProcessingEvent[UUID]) -> None:
        """Snapshot each saved household whose events crossed a multiple of the interval.

        The library reloads the aggregate from the store to snapshot it, in a transaction of its
        own after every interval-th command. The aggregate just saved is that state already, so
        it is used as it is; and since a snapshot is only a shortcut for loading (a missing one
        costs a longer replay, never a wrong state), snapshots are written in batches.
        """
        interval = self.settings.snapshot_interval
        if not interval or self.snapshots is None:
            return
        crossed = {
            event.originator_id for event in processing.events
            if event.originator_version % interval == 0
        }
        # Encoded now: a snapshot object shares the aggregate's dicts and lists, and the live
        # aggregate goes on changing with the next commands before the batch is written.
        encoded = [
            self.mapper.to_stored_event(type(aggregate).Snapshot.take(aggregate))
            for aggregate_id, aggregate in processing.aggregates.items()
            if aggregate_id in crossed and isinstance(aggregate, Household)
        ]
        if not encoded:
            return
        with self._snapshot_lock:
            self._pending_snapshots.extend(encoded)
            if len(self._pending_snapshots) < SNAPSHOT_BATCH:
                return
            batch, self._pending_snapshots = self._pending_snapshots, []
        self._write_snapshots(batch)

    def flush_snapshots(self) -> None:
        """Write the snapshots taken since the last batch (done on close)."""
        with self._snapshot_lock:
            batch, self._pending_snapshots = self._pending_snapshots, []
        if batch and self.snapshots is not None:
            self._write_snapshots(batch)

    def _write_snapshots(self, batch: list[StoredEvent]) -> None:
        try:
            self.snapshots.recorder.insert_events(batch)
        except IntegrityError:  # one of them exists already (taken by hand): write the others
            for snapshot in batch:
                with contextlib.suppress(IntegrityError):
                    self.snapshots.recorder.insert_events([snapshot])

    def close(self) -> None:
        try:
            self.flush_snapshots()
        except Exception:
            logger.exception("snapshots not written on close")
        finally:
            super().close()

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        """The notification id (log position) of an aggregate's event."""
        recorder = self.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT rowid FROM {recorder.events_table_name} "
                    "WHERE originator_id=? AND originator_version=?",
                    (aggregate_id.hex, version),
                )
                row = cursor.fetchone()
            return int(row[0])
        if isinstance(recorder, PostgresApplicationRecorder):
            schema = recorder.datastore.schema or "public"
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f'SELECT notification_id FROM "{schema}"."{recorder.events_table_name}" '
                    "WHERE originator_id=%s AND originator_version=%s",
                    (aggregate_id, version),
                )
                row = cursor.fetchone()
            assert row is not None
            return int(row["notification_id"])
        raise TypeError(f"unsupported recorder {type(recorder).__name__}")

    def log_tables(self) -> LogTables:
        """The raw event and chain tables, for checking the log (`application.audit`)."""
        if self._log_tables is None:
            self._log_tables = LogTables(self.recorder, self.settings.backend)
        return self._log_tables

    def stale_snapshots(self, progress: Callable[[int, int], None] | None = None,
                        ) -> Iterator[tuple[UUID, int]]:
        """(aggregate, version) of every snapshot that differs from replaying the aggregate's
        events up to its version. Snapshots are a cache outside the hash chain: one changed
        behind the application would change what a case file shows, so auditors check them."""
        if self.snapshots is None:
            return
        recorder: Any = self.snapshots.recorder
        table = recorder.events_table_name
        if self.settings.backend == "postgres":
            table = f'"{recorder.datastore.schema}".{table}'
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {table}")
            found = cursor.fetchone()
        total = found["n"] if isinstance(found, dict) else found[0]
        codec = AggregateCodec()
        for done, (raw_id, version) in enumerate(self._snapshot_keys(recorder, table), 1):
            aggregate_id = raw_id if isinstance(raw_id, UUID) else UUID(raw_id)
            try:
                (stored,) = recorder.select_events(aggregate_id, gt=version - 1, lte=version)
                from_snapshot = self.mapper.to_domain_event(stored).mutate(None)
                replayed = replay(None, self.events.get(aggregate_id, lte=version))
                same = (replayed is not None and msgspec.msgpack.decode(codec.encode(from_snapshot))
                        == msgspec.msgpack.decode(codec.encode(replayed)))
            except Exception:  # a snapshot that does not even decode is as stale as can be
                same = False
            if not same:
                yield aggregate_id, version
            if progress and (done % 1000 == 0 or done == total):
                progress(done, total)

    def _snapshot_keys(self, recorder: Any, table: str) -> Iterator[tuple[Any, int]]:
        """(aggregate, version) of every snapshot, in key order, a page at a time."""
        p = "%s" if self.settings.backend == "postgres" else "?"
        after: tuple[Any, int] = (UUID(int=0) if self.settings.backend == "postgres" else "", 0)
        while True:
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT originator_id, originator_version FROM {table} "
                    f"WHERE (originator_id, originator_version) > ({p}, {p}) "
                    "ORDER BY originator_id, originator_version LIMIT 2000", after)
                rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r)
                        for r in cursor.fetchall()]
            if not rows:
                return
            yield from rows
            after = rows[-1]

    def max_position(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    # ------------------------------------------------------------------ internals

    def _household_id(self, code_or_id: str | UUID) -> UUID:
        if isinstance(code_or_id, UUID):
            return code_or_id
        if not isinstance(code_or_id, str) or not code_or_id.strip():
            raise InvalidValue("HOUSEHOLD_CODE", "户编号须为非空文本", "household_code")
        return household_id(code_or_id.strip())

    def _get(self, aggregate_id: UUID) -> Any:
        """A private copy of the aggregate as recorded now (raises AggregateNotFoundError)."""
        aggregate = self._cache.copy(aggregate_id)
        if aggregate is None:
            aggregate = self._load(aggregate_id)
            # Someone reading a case file is likely to act on it next: keep the loaded one live.
            return self._cache.keep_and_copy(aggregate)
        newer = list(self.events.get(aggregate_id, gt=aggregate.version))
        return replay(aggregate, newer) if newer else aggregate

    def _load(self, aggregate_id: UUID) -> Any:
        """The aggregate from its latest snapshot and the events after it, read together."""
        select = getattr(self.recorder, "select_from_snapshot", None)
        if select is None or self.snapshots is None:
            return self.repository.get(aggregate_id, projector_func=replay)
        snapshot, events = select(aggregate_id, self.snapshots.recorder.events_table_name)
        to_event = self.mapper.to_domain_event
        aggregate = to_event(snapshot).mutate(None) if snapshot is not None else None
        aggregate = replay(aggregate, map(to_event, events))
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    def _as_of(self, aggregate_id: UUID, recorded_at: datetime) -> Any:
        if recorded_at.tzinfo is None:  # a wall-clock time in the county
            recorded_at = recorded_at.replace(tzinfo=CHINA_TIME)
        events = takewhile(lambda e: e.timestamp <= recorded_at, self.events.get(aggregate_id))
        aggregate = replay(None, events)
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    def _on_household(
        self, code: str, method: str, command: dict[str, Any], **extra: Any
    ) -> CommandResult:
        """Run ``method`` on the household. ``command`` may carry ``allowed``: a check of the
        live household (raising a `DomainError`) made before the command, under its lock."""
        command_id = command.pop("command_id", "") or ""
        allowed = command.pop("allowed", None)

        def act(household: Household) -> Any:
            if allowed is not None:
                allowed(household)  # e.g. the caller's area: refuses before any change
            return getattr(household, method)(
                **command, **extra, at=self.clock(), command_id=command_id
            )

        return self._command(self._household_id(code), code, command_id, act)

    def _command(
        self, aggregate_id: UUID, label: str, command_id: str, act: Callable[[Any], Any], *,
        create: Callable[[], Any] | None = None, then_act: bool = False,
    ) -> CommandResult:
        """Run one command on one aggregate and save what it triggered.

        The aggregate comes live from the cache (or from the log) and is held under its lock.
        A command id the aggregate has recorded answers as the first time. Another process may
        have recorded events since the aggregate was cached: a refusal or a failed save on a
        cached aggregate is tried once more on the aggregate as the log has it now, so a stale
        cache is never the reason for an answer. ``create`` makes the aggregate when the log has
        none (and ``then_act`` runs the command on the new aggregate too).
        """
        with self._cache.lock(aggregate_id):
            aggregate = self._cache.take(aggregate_id)
            from_cache = aggregate is not None
            if aggregate is None:
                try:
                    aggregate = self._load(aggregate_id)
                except AggregateNotFoundError:
                    if create is None:
                        raise HouseholdNotFound(label) from None
                    aggregate = create()
                    if then_act:
                        act(aggregate)
                    return self._save(aggregate, None, label)
            while True:
                if command_id and command_id in aggregate.command_ids:
                    self._cache.put(aggregate)
                    return self._repeated(aggregate, command_id)
                try:
                    outcome = act(aggregate)
                except DomainError:
                    if aggregate.pending_events:
                        raise  # a rule broke half-way: drop the aggregate, reload next time
                    if from_cache and self._newer_events(aggregate):
                        aggregate, from_cache = self._load(aggregate_id), False
                        continue
                    self._cache.put(aggregate)  # refused before any change: still current
                    raise
                try:
                    return self._save(aggregate, outcome, label)
                except ConcurrentChange:
                    if not from_cache:
                        raise
                    aggregate, from_cache = self._load(aggregate_id), False

    def _save(self, aggregate: Any, outcome: Any, label: str) -> CommandResult:
        try:
            recordings = self.save(aggregate)
        except IntegrityError:
            raise ConcurrentChange(label) from None
        self._cache.put(aggregate)
        return CommandResult(
            aggregate_id=aggregate.id,
            version=aggregate.version,
            position=recordings[-1].notification.id,
            outcome=outcome,
        )

    def _newer_events(self, aggregate: Any) -> bool:
        return bool(self.recorder.select_events(aggregate.id, gt=aggregate.version, limit=1))

    def _repeated(self, aggregate: Any, command_id: str) -> CommandResult:
        version = aggregate.command_ids[command_id]
        outcome = None
        if isinstance(aggregate, Household):
            first = self.events.get(aggregate.id, gt=version - 2, lte=version)
            outcome = _first_outcome(aggregate, first, command_id)
        return CommandResult(
            aggregate_id=aggregate.id,
            version=version,
            position=self.position_of(aggregate.id, version),
            outcome=outcome,
            repeated=True,
        )

    def iter_households(self) -> Iterator[UUID]:
        """Ids of every household in the log, in order of registration."""
        start = 1
        topic = "fangpin:Household.Registered"
        while True:
            page = self.recorder.select_notifications(start, 1000, topics=[topic])
            if not page:
                return
            for notification in page:
                yield notification.originator_id  # type: ignore[misc]
            start = page[-1].id + 1


def _first_outcome(household: Household, events: Iterable[Any], command_id: str) -> Any:
    """The outcome a repeated command first answered with: the alert it raised (an alert, or a
    visit with a failed check) or the income assessment it made."""
    for event in events:
        if event.command_id != command_id:
            continue
        if isinstance(event, Household.AlertRaised):
            alert = household.alerts[event.alert_id]
            return AlertOutcome(alert.alert_id, alert.case_number, alert.duplicate_of,
                                event.opens_case)
        if isinstance(event, Household.IncomeAssessed):
            return replace(next(a for a in household.assessments
                                if a.assessment_id == event.assessment_id))
    return None


def _history_entry(event: Any) -> HistoryEntry:
    state = vars(event)
    return HistoryEntry(
        version=event.originator_version,
        event=type(event).__name__,
        occurred_on=state.get("occurred_on"),
        recorded_at=event.timestamp,
        recorded_by=state.get("recorded_by"),
        command_id=state.get("command_id", ""),
        details={k: v for k, v in state.items() if k not in _HISTORY_SKIP},
    )
