"""The case files: the county's commands on households, the income-line policy and the county's
ledgers, and the queries that read them back.

Each command here says which aggregate it acts on and what it asks of it; the unit of work
(`application.unit_of_work`) loads the aggregate, keeps the command from being recorded twice and
saves what it triggered in one transaction, on the event log of `application.store`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.audit import LogTables
from application.commands import HouseholdCommand, Recording, RegisterHousehold
from application.errors import HouseholdAlreadyRegistered, HouseholdNotFound
from application.evidence import AttachmentStore
from application.self_reports import SelfReportDesk
from application.settings import APP_NAME, Settings
from application.unit_of_work import CommandResult
from domain.codes import Department, Role
from domain.errors import NotFound
from domain.governance import (
    GOVERNANCE_ID,
    IMPORTS_ID,
    Governance,
    ImportLedger,
    PushLedger,
    RectificationItem,
    push_ledger_id,
)
from domain.household import Household
from domain.notices import Notice
from domain.policy import INCOME_LINE_POLICY_ID, IncomeLinePolicy, Line
from domain.relief import RELIEF_BANDS_POLICY_ID, ReliefBand, ReliefBands, ReliefBandsPolicy
from domain.replay import replay
from domain.rules import local_date
from domain.unmatched import UNMATCHED_ID, UnmatchedAlerts
from domain.values import Actor

#: The actor for facts the system itself records (e.g. starting the policy aggregate).
SYSTEM = Actor("system", Role.SYSTEM)


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


class CaseFiles(SelfReportDesk):
    """The county's households' case files and the income-line policy, in one event log."""

    name = APP_NAME
    snapshot_kinds = (Household,)

    def __init__(
        self, settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(settings, clock=clock or (lambda: datetime.now(UTC)))
        self._log_tables: LogTables | None = None
        self._attachments: AttachmentStore | None = None

    # ------------------------------------------------------------------ households

    def register_household(
        self, command: RegisterHousehold, *, by: Actor, command_id: str = "",
    ) -> CommandResult:
        """Register a household with its members (户编号 unique in the county)."""

        def create() -> Household:
            return command.register(Recording(by=by, at=self.clock(), command_id=command_id))

        def exists(household: Household) -> None:
            raise HouseholdAlreadyRegistered(command.code)

        return self._command(self._household_id(command.code), str(command.code), command_id, exists,
                             create=create)

    def execute(
        self, household_code: str, command: HouseholdCommand, *, by: Actor, command_id: str = "",
        allowed: Callable[[Household], None] | None = None,
    ) -> CommandResult:
        """Run ``command`` on the household as ``by``; the outcome is what the household answers
        (an alert's fate, an income assessment…). ``allowed``: a check of the live household
        (raising a `DomainError`, e.g. the caller's area) made under its lock before anything
        is recorded. A command that weighs income gets the line in force on its day; a 防贫保
        payout, the payout bands in force on its day."""
        if digests := command.attachment_digests():
            store, area_check = self.attachments(), allowed

            def allowed(household: Household) -> None:  # the area first: no answer to outsiders
                if area_check is not None:
                    area_check(household)
                store.require_usable(digests, by=by.user_id, attached=household.attached)
        line = self.income_line_on(command.occurred_on) if command.weighs_income else None
        bands = self.relief_bands_on(command.occurred_on) if command.weighs_relief else None
        return self._on_household(household_code, command, by=by, command_id=command_id,
                                  allowed=allowed, line_in_force=line, relief_bands=bands)

    def publish_notice(self, notice: Notice, digest: str, *, by: Actor) -> CommandResult | None:
        """Record on every case a notice lists that it was posted, with the notice's period and
        ``digest`` (the SHA-256 of the page posted): all its households in one transaction, or
        none. None when every case already holds this publication (published before)."""
        ids = [self._household_id(case.household_code) for case in notice.cases]
        content = notice.content
        with self._holding(*ids):
            households: list[Household] = []
            for case, aggregate_id in zip(notice.cases, ids, strict=True):
                try:
                    household: Household = self._load(aggregate_id)
                except AggregateNotFoundError:
                    raise HouseholdNotFound(case.household_code) from None
                if household.publish_notice(
                        content.kind.value, case.case_number, notice_from=content.notice_from,
                        notice_to=content.notice_to, digest=digest, by=by, at=self.clock()):
                    households.append(household)
            if not households:
                return None
            recordings = self._save_together(content.title, *households)
        last = households[-1]
        return CommandResult(last.id, last.version, recordings[-1].notification.id)

    # ------------------------------------------------------------------ income line policy

    def set_income_line(
        self, *, year: int, yuan_per_capita: Decimal, effective_from: date | None = None,
        reason: str = "", occurred_on: date, by: Actor, command_id: str = "",
        line: Line = Line.MONITORING,
    ) -> CommandResult:
        """Set the county's income monitoring line, or its poverty line, for a year (county
        centre)."""

        def create() -> IncomeLinePolicy:
            return IncomeLinePolicy.start(occurred_on=occurred_on, by=SYSTEM, at=self.clock())

        def set_line(policy: IncomeLinePolicy) -> None:
            setter = policy.set_line if line is Line.MONITORING else policy.set_poverty_line
            setter(year=year, yuan_per_capita=yuan_per_capita, effective_from=effective_from,
                   reason=reason, occurred_on=occurred_on, by=by, at=self.clock(),
                   command_id=command_id)

        return self._command(INCOME_LINE_POLICY_ID, line.value, command_id, set_line,
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

    def today(self) -> date:
        """The county's date on the application's clock: the one "today" of every list, form
        and report that is not given a day."""
        return local_date(self.clock())

    def income_line_on(self, day: date, as_of: datetime | None = None,
                       line: Line = Line.MONITORING) -> Decimal | None:
        """The monitoring (or poverty) line in force on ``day``, as known now or at recorded
        time ``as_of``."""
        policy = self.income_line_policy(as_of)
        if policy is None:
            return None
        return policy.line_on(day) if line is Line.MONITORING else policy.poverty_line_on(day)

    # ------------------------------------------------------------------ 防贫保 payout bands

    def set_relief_bands(
        self, *, effective_from: date, bands: list[ReliefBand], yearly_cap: Decimal,
        reason: str = "", occurred_on: date, by: Actor, command_id: str = "",
    ) -> CommandResult:
        """Set the county's 防贫保 payout bands and yearly cap from a day (county centre)."""

        def create() -> ReliefBandsPolicy:
            return ReliefBandsPolicy.start(occurred_on=occurred_on, by=SYSTEM, at=self.clock())

        def set_bands(policy: ReliefBandsPolicy) -> None:
            policy.set_bands(
                effective_from=effective_from, bands=bands, yearly_cap=yearly_cap, reason=reason,
                occurred_on=occurred_on, by=by, at=self.clock(), command_id=command_id,
            )

        return self._command(RELIEF_BANDS_POLICY_ID, "防贫保赔付标准", command_id, set_bands,
                             create=create, then_act=True)

    def relief_bands_policy(self, as_of: datetime | None = None) -> ReliefBandsPolicy | None:
        """The payout bands as they stand, or as they were known at recorded time ``as_of``."""
        try:
            if as_of is None:
                return self._get(RELIEF_BANDS_POLICY_ID)
            return self._as_of(RELIEF_BANDS_POLICY_ID, as_of)
        except AggregateNotFoundError:
            return None

    def relief_bands_set_at(self, version: int) -> ReliefBands:
        """The schedule the bands policy's ``version``-th event set."""
        events = list(self.events.get(RELIEF_BANDS_POLICY_ID, gt=version - 1, lte=version))
        if not events or not isinstance(events[0], ReliefBandsPolicy.ReliefBandsSet):
            raise RuntimeError(f"relief-bands policy version {version} is not bands being set")
        event = events[0]
        return ReliefBands(event.effective_from, tuple(event.bands), event.yearly_cap, event.reason)

    def relief_bands_on(self, day: date, as_of: datetime | None = None) -> ReliefBands | None:
        """The payout bands in force on ``day``, as known now or at recorded time ``as_of``."""
        policy = self.relief_bands_policy(as_of)
        return policy.bands_on(day) if policy else None

    # ------------------------------------------------------------------ governance

    def arrive_push(self, department: Department, *, batch_id: str, by: Actor,
                    command_id: str = "", **batch: Any) -> CommandResult:
        """Record that a department's batch arrived now, before its first row is recorded."""
        return self._push_ledger_command(department, command_id, lambda ledger: ledger.arrive(
            batch_id=batch_id, **batch, by=by, at=self.clock(), command_id=command_id))

    def receive_push(
        self, department: Department, *, batch_id: str, by: Actor, command_id: str = "",
        **receipt: Any,
    ) -> CommandResult:
        """Record that a department's batch was received, its rows all recorded (its push
        ledger)."""
        return self._push_ledger_command(department, command_id, lambda ledger: ledger.receive(
            batch_id=batch_id, **receipt, by=by, at=self.clock(), command_id=command_id))

    def _push_ledger_command(self, department: Department, command_id: str,
                             act: Callable[[PushLedger], None]) -> CommandResult:
        at = self.clock()

        def create() -> PushLedger:
            return PushLedger.start(department, occurred_on=local_date(at), by=SYSTEM, at=at)

        return self._command(push_ledger_id(department), f"{department}推送台账", command_id,
                             act, create=create, then_act=True)

    def push_ledger(self, department: Department) -> PushLedger | None:
        try:
            return self._get(push_ledger_id(department))
        except AggregateNotFoundError:
            return None

    def hold_consultation(self, *, by: Actor, command_id: str = "", **meeting: Any) -> CommandResult:
        """Record a monthly consultation meeting (月分析会商)."""
        return self._governance_command(command_id, lambda governance, at: governance.hold_consultation(
            **meeting, by=by, at=at, command_id=command_id))

    def hold_dispatch_meeting(self, *, by: Actor, command_id: str = "", **meeting: Any) -> CommandResult:
        """Record a quarterly dispatch meeting (季督导调度)."""
        return self._governance_command(command_id, lambda governance, at: governance.hold_dispatch_meeting(
            **meeting, by=by, at=at, command_id=command_id))

    def order_rectification(self, *, by: Actor, command_id: str = "", **item: Any) -> CommandResult:
        """Order a problem named at a dispatch meeting, or by an auditor, put right by a
        deadline (限期整改)."""
        return self._governance_command(command_id, lambda governance, at: governance.order_rectification(
            **item, by=by, at=at, command_id=command_id))

    def complete_rectification(
        self, item_id: str, *, by: Actor, command_id: str = "",
        allowed: Callable[[RectificationItem], None] | None = None, **completion: Any,
    ) -> CommandResult:
        """Record a rectification item put right. ``allowed``: a check of the item (raising a
        `DomainError`, e.g. that the caller's unit answers for it), under the lock."""
        def complete(governance: Governance, at: datetime) -> None:
            if allowed is not None:
                allowed(governance.rectification(item_id))
            governance.complete_rectification(item_id=item_id, **completion, by=by, at=at,
                                              command_id=command_id)

        return self._governance_command(command_id, complete)

    def extend_rectification_deadline(self, item_id: str, *, by: Actor, command_id: str = "",
                                      **extension: Any) -> CommandResult:
        """Move a rectification item's deadline later, before it has passed."""
        return self._governance_command(command_id, lambda governance, at: (
            governance.extend_rectification_deadline(item_id=item_id, **extension, by=by, at=at,
                                                     command_id=command_id)))

    def adopt_cadence_table(self, *, digest: str, text: str, by: Actor,
                            command_id: str = "") -> CommandResult:
        """Record a version of the department push cadence table."""
        return self._governance_command(command_id, lambda governance, at: governance.adopt_cadence_table(
            digest=digest, text=text, by=by, at=at, command_id=command_id))

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
        with self._holding(UNMATCHED_ID, household_ref):
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
                problems=alert.problems, target_group=alert.target_group, amount=alert.amount,
                sudden_hardship=alert.sudden_hardship,
                occurred_on=alert.discovered_on, by=by, at=at, command_id=command_id)
            recordings = self._save_together(household_code, held, household)
        return CommandResult(household.id, household.version, recordings[-1].notification.id,
                             outcome=outcome)

    def forward_unmatched_alert(self, alert_id: str, county: str, household_code: str, *, by: Actor,
                                command_id: str = "") -> CommandResult:
        """Mark an alert held at the province as gone to ``county``'s household
        ``household_code`` (`application.province.forwarding` records it there first)."""

        def act(held: UnmatchedAlerts) -> None:
            held.forward(alert_id, county, household_code, by=by, at=self.clock(),
                         command_id=command_id)

        return self._command(UNMATCHED_ID, "未匹配预警", command_id, act)

    def governance(self) -> Governance | None:
        try:
            return self._get(GOVERNANCE_ID)
        except AggregateNotFoundError:
            return None

    def _governance_command(
        self, command_id: str, act: Callable[[Governance, datetime], None]
    ) -> CommandResult:
        """Run ``act`` (a governance method, given the recording time) on the county's meetings."""
        def create() -> Governance:
            at = self.clock()
            return Governance.start(occurred_on=local_date(at), by=SYSTEM, at=at)

        return self._command(GOVERNANCE_ID, "会商调度", command_id,
                             lambda governance: act(governance, self.clock()),
                             create=create, then_act=True)

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
        entries = [history_entry(event) for event in self.events.get(aggregate_id)]
        if not entries:
            raise HouseholdNotFound(str(code_or_id))
        return entries

    def household_code_on(self, id_number: str, day: date) -> str | None:
        """The code of the household a person belonged to on ``day``, or None (in no registered
        household that day): how a push finds the household of the person each row names."""
        membership = self.household_on(id_number, day)
        return membership.household_code if membership else None

    def iter_households(self) -> Iterator[UUID]:
        """Ids of every household in the log, in order of registration."""
        return self.originators_of(Household.Registered.TOPIC)

    def log_tables(self) -> LogTables:
        """The raw event and chain tables, for checking the log (`application.audit`)."""
        if self._log_tables is None:
            self._log_tables = LogTables(self.recorder, self.settings.backend,
                                         create=not self.settings.read_only)
        return self._log_tables

    def attachments(self) -> AttachmentStore:
        """The evidence files kept beside the log (`application.evidence`)."""
        if self._attachments is None:
            self._attachments = AttachmentStore(
                self.recorder.datastore, self.settings.backend,  # type: ignore[attr-defined]
                keep_metadata=self.settings.keep_photo_metadata, clock=self.clock,
                create=not self.settings.read_only)
        return self._attachments


def history_entry(event: Any) -> HistoryEntry:
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
