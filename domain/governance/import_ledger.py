"""`ImportLedger` (one per county): every file imported into the county's log (导入台账), by the
digest of its content, so a file is never imported twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.codes import Department
from domain.errors import RuleViolation
from domain.governance.recorded import RecordedEvent
from domain.rules import local_date
from domain.values import Actor

IMPORTS_ID: UUID = uuid5(NAMESPACE_URL, "https://fangpin.example/imports")


@dataclass(frozen=True)
class ImportRecord:
    """A file imported, by the digest of its content."""

    kind: str  # "alerts" | "households"
    digest: str
    filename: str
    batch_id: str | None
    department: Department | None
    rows: int
    recorded: int
    rejected: int
    imported_at: datetime


class ImportLedger(Aggregate):
    """Every file imported into the county's log (导入台账), so a file is never imported twice."""

    TOPIC = "fangpin:ImportLedger"

    files: dict[str, ImportRecord]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:ImportLedger.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:ImportLedger.Started"

        def apply_to(self, ledger: ImportLedger) -> None:
            ledger.files = {}
            ledger.command_ids = {}

    class FileImported(Event):
        TOPIC = "fangpin:ImportLedger.FileImported"
        kind: str
        digest: str
        filename: str
        batch_id: str | None
        department: Department | None
        rows: int
        recorded: int
        rejected: int

        def apply_to(self, ledger: ImportLedger) -> None:
            ledger.files[f"{self.kind}:{self.digest}"] = ImportRecord(
                self.kind, self.digest, self.filename, self.batch_id, self.department, self.rows,
                self.recorded, self.rejected, self.timestamp)

    def __init__(self) -> None:
        """State is set by `Started.apply_to`; use `ImportLedger.start`."""

    @classmethod
    def start(cls, *, occurred_on: date, by: Actor, at: datetime) -> ImportLedger:
        return cls._create(cls.Started, id=IMPORTS_ID, timestamp=at, occurred_on=occurred_on,
                           recorded_by=by, command_id="")

    def record_import(
        self, *, kind: str, digest: str, filename: str, batch_id: str | None,
        department: Department | None, rows: int, recorded: int, rejected: int, by: Actor,
        at: datetime, command_id: str = "",
    ) -> None:
        """Record that a file was imported (what it gave); the same content once only."""
        if f"{kind}:{digest}" in self.files:
            raise RuleViolation("FILE_ALREADY_IMPORTED", f"此文件已导入：{filename}", "file")
        self.trigger_event(
            self.FileImported, timestamp=at, occurred_on=local_date(at), recorded_by=by,
            command_id=command_id, kind=kind, digest=digest, filename=filename[:200],
            batch_id=batch_id, department=department, rows=rows, recorded=recorded,
            rejected=rejected,
        )

    def imported(self, kind: str, digest: str) -> ImportRecord | None:
        return self.files.get(f"{kind}:{digest}")
