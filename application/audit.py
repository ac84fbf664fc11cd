"""Checking the event log against its hash chain and its signed checkpoints.

`verify` re-reads the whole log twice, streaming (memory does not grow with the county):

1. In log order, position by position, each event against the chain row sealed at that position
   when it was written: an event whose content no longer gives its link was **altered**; an
   event at a position sealed for another one was **reordered** (moved); an event with no chain
   row was **inserted** behind the application; a chain row with no event marks one **deleted**.
2. Household by household, in version order: versions must run 1, 2, 3… (a gap is a deletion),
   positions must grow with versions (else reordered), and each chain row must name the link
   of the event before it (else that earlier event was altered and its link recomputed).

A **checkpoint** commits to the log as it stood at a position: the log is cut into segments of
`SEGMENT_SIZE` positions, each segment's digest is a SHA-256 over (position, content hash) of its
events in order, and the checkpoint holds every segment digest, their hash, the event count and
an Ed25519 signature. Checkpoints are kept in a table beside the log and written to files to be
kept elsewhere; verifying against one names every segment whose events were added, removed,
changed or reordered since it was signed, even if the chain table was rewritten to match.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from application.settings import APP_NAME, Settings
from application.store.beside import beside_log
from application.store.chain import GENESIS, ChainSQL, as_bytes, content_hash, link, values
from domain.errors import DomainError

SEGMENT_SIZE = 1000
PAGE = 5000
CHECKPOINT_FORMAT = "fangpin-checkpoint/1"
CHECKPOINTS_TABLE = "fangpin_checkpoints"


class AuditError(DomainError):
    """An audit command cannot run (no key, a damaged checkpoint file…); the message is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


# ---------------------------------------------------------------------------------- the tables


class LogTables:
    """Raw reads of the events and chain tables (no decoding, so no key is needed)."""

    def __init__(self, recorder: Any, backend: str) -> None:
        self.backend = backend
        self.datastore = recorder.datastore
        schema = getattr(self.datastore, "schema", None) if backend == "postgres" else None
        self.chain = ChainSQL(backend, schema, recorder.events_table_name)
        self.events = self.chain.events
        self.pos = self.chain.position
        self.p = self.chain.p
        self.checkpoints = beside_log(self.datastore, backend, CHECKPOINTS_TABLE)
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.checkpoints} (sequence INTEGER PRIMARY KEY, "
                "position BIGINT NOT NULL, created_at TEXT NOT NULL, body TEXT NOT NULL)")

    def _rows(self, statement: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, tuple(params))
            return [values(row) for row in cursor.fetchall()]

    def _uuid(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(value)

    def max_position(self) -> int:
        (events,), = self._rows(f"SELECT MAX({self.pos}) FROM {self.events}")
        (chain,), = self._rows(f"SELECT MAX(position) FROM {self.chain.table}")
        return max(events or 0, chain or 0)

    def events_between(self, first: int, last: int) -> list[tuple[int, UUID, int, str, bytes]]:
        p = self.p
        rows = self._rows(
            f"SELECT {self.pos}, originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {self.pos} BETWEEN {p} AND {p} ORDER BY {self.pos}", (first, last))
        return [(r[0], self._uuid(r[1]), r[2], str(r[3]), as_bytes(r[4])) for r in rows]

    def chain_between(self, first: int, last: int) -> list[tuple[int, UUID, int, bytes, bytes]]:
        p = self.p
        rows = self._rows(
            "SELECT position, originator_id, originator_version, previous_hash, event_hash "
            f"FROM {self.chain.table} WHERE position BETWEEN {p} AND {p} ORDER BY position",
            (first, last))
        return [(r[0], self._uuid(r[1]), r[2], as_bytes(r[3]), as_bytes(r[4])) for r in rows]

    def household_rows(self) -> Iterator[tuple[UUID, int, int, bytes | None, bytes | None]]:
        """(household, version, position, previous link, link) of every event, by household and
        version, streamed."""
        statement = (
            f"SELECT e.originator_id, e.originator_version, e.{self.pos}, c.previous_hash, "
            f"c.event_hash FROM {self.events} e LEFT JOIN {self.chain.table} c "
            "ON c.originator_id = e.originator_id "
            "AND c.originator_version = e.originator_version ")
        for r in self._stream(statement, "ORDER BY e.originator_id, e.originator_version",
                              ("e.originator_id", "e.originator_version")):
            yield (self._uuid(r[0]), r[1], r[2], _maybe_bytes(r[3]), _maybe_bytes(r[4]))

    def _stream(self, statement: str, order: str, key: tuple[str, str]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``statement`` in ``order``, never all in memory. On PostgreSQL one
        server-side cursor (a keyset page per round trip made the planner sort the remaining
        rows again each page: quadratic in the log); on SQLite keyset pages over the index."""
        if self.backend == "postgres":
            from uuid import uuid4

            with self.datastore.get_connection() as conn, conn.transaction(), \
                    conn.cursor(name=f"fangpin_audit_{uuid4().hex[:8]}") as cursor:
                cursor.itersize = PAGE
                cursor.execute(statement + order)
                for row in cursor:
                    yield values(row)
            return
        p = self.p
        after: tuple[Any, int] = ("", 0)
        while True:
            rows = self._rows(f"{statement}WHERE ({key[0]}, {key[1]}) > ({p}, {p}) {order} "
                              f"LIMIT {PAGE}", after)
            if not rows:
                return
            yield from rows
            after = (rows[-1][0], rows[-1][1])

    def household_chain(self, household: UUID) -> list[tuple[int, int, str, bytes, bytes | None,
                                                             bytes | None]]:
        """(version, position, topic, state, previous link, link) of one household's events."""
        p = self.p
        rows = self._rows(
            f"SELECT e.originator_version, e.{self.pos}, e.topic, e.state, c.previous_hash, "
            f"c.event_hash FROM {self.events} e LEFT JOIN {self.chain.table} c "
            "ON c.originator_id = e.originator_id AND c.originator_version = e.originator_version "
            f"WHERE e.originator_id = {p} ORDER BY e.originator_version",
            (self.chain.id_param(household),))
        return [(r[0], r[1], str(r[2]), as_bytes(r[3]), _maybe_bytes(r[4]), _maybe_bytes(r[5]))
                for r in rows]

    def stored_checkpoints(self) -> list[Checkpoint]:
        rows = self._rows(f"SELECT body FROM {self.checkpoints} ORDER BY sequence")
        return [Checkpoint.from_json(row[0]) for row in rows]

    def latest_checkpoint(self) -> Checkpoint | None:
        rows = self._rows(f"SELECT body FROM {self.checkpoints} ORDER BY sequence DESC LIMIT 1")
        return Checkpoint.from_json(rows[0][0]) if rows else None

    def store_checkpoint(self, checkpoint: Checkpoint) -> None:
        p = self.p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self.checkpoints} (sequence, position, created_at, body) "
                f"VALUES ({p}, {p}, {p}, {p})",
                (checkpoint.sequence, checkpoint.position, checkpoint.created_at,
                 checkpoint.to_json().decode()))


def _maybe_bytes(value: Any) -> bytes | None:
    return None if value is None else as_bytes(value)


@contextmanager
def open_log_tables(settings: Settings) -> Iterator[LogTables]:
    """The log's raw tables without an application: checking and copying them needs no
    encryption key."""
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    if settings.backend == "sqlite" and not settings.sqlite_file.is_file():
        raise AuditError("LOG_NOT_FOUND", f"没有事件日志：{settings.sqlite_file} 不存在"
                         "（检查 FANGPIN_SQLITE_PATH / FANGPIN_DATABASE_URL）")
    env = {k: v for k, v in settings.eventsourcing_env().items() if not k.startswith("CIPHER_")}
    factory = InfrastructureFactory.construct(Environment(APP_NAME, env))
    try:
        yield LogTables(factory.application_recorder(), settings.backend)
    finally:
        factory.close()


def trusted_public_key(settings: Settings) -> Ed25519PublicKey | None:
    """The key checkpoints must carry: ``FANGPIN_AUDIT_PUBLIC_KEY``, else the signing key's."""
    if settings.audit_public_key:
        return load_public_key(settings.audit_public_key)
    if settings.signing_key_path.is_file():
        return load_signing_key(settings.signing_key_path).public_key()
    return None


# ---------------------------------------------------------------------------------- checkpoints


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A signed summary of the log up to ``position`` (see the module docstring)."""

    format: str = CHECKPOINT_FORMAT
    sequence: int
    position: int
    events: int
    created_at: str
    segment_size: int
    segments: list[str]
    log_hash: str
    public_key: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, in a fixed order."""
        return msgspec.json.encode(msgspec.structs.replace(self, signature=""))

    def to_json(self) -> bytes:
        return msgspec.json.format(msgspec.json.encode(self), indent=1)

    @classmethod
    def from_json(cls, data: str | bytes) -> Checkpoint:
        try:
            checkpoint = msgspec.json.decode(data, type=cls)
        except msgspec.ValidationError as error:
            raise AuditError("CHECKPOINT_UNREADABLE", f"检查点文件格式不对：{error}") from None
        except msgspec.DecodeError:
            raise AuditError("CHECKPOINT_UNREADABLE", "检查点文件不是 JSON") from None
        if checkpoint.format != CHECKPOINT_FORMAT:
            raise AuditError("CHECKPOINT_UNREADABLE", f"不认识的检查点格式 {checkpoint.format}")
        return checkpoint

    def signature_problem(self, trusted: Ed25519PublicKey | None) -> str | None:
        """Why the signature is not to be trusted (None when it is)."""
        try:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))
            key.verify(bytes.fromhex(self.signature), self.signed_bytes())
        except (ValueError, InvalidSignature):
            return "签名无效（检查点内容在签名后被改动，或签名是伪造的）"
        if trusted is not None and public_hex(trusted) != self.public_key:
            return "签名所用的公钥不是本县的审计公钥"
        if self.log_hash != _log_hash(self.segments):
            return "段摘要与总摘要不符"
        return None


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _log_hash(segments: list[str]) -> str:
    return hashlib.sha256(b"".join(bytes.fromhex(s) for s in segments)).hexdigest()


def generate_signing_key(path: Path) -> str:
    """Write a new Ed25519 private key (PEM, readable by the owner only); its public key in hex."""
    if path.exists():
        raise AuditError("KEY_EXISTS", f"{path} 已存在，不覆盖")
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return public_hex(key.public_key())


def load_signing_key(path: Path | None) -> Ed25519PrivateKey:
    if path is None or not path.exists():
        raise AuditError("SIGNING_KEY_MISSING",
                         f"未找到签名私钥{f' {path}' if path else ''}：用 `fangpin audit keygen` 生成，"
                         "并以 FANGPIN_SIGNING_KEY 指向它")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as error:
        raise AuditError("SIGNING_KEY_UNREADABLE", f"{path} 无法读取：{error.strerror}") from None
    except (ValueError, TypeError):
        raise AuditError("SIGNING_KEY_UNREADABLE", f"{path} 不是 PEM 格式的私钥") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError("SIGNING_KEY_UNREADABLE", f"{path} 不是 Ed25519 私钥")
    return key


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key given as 64 hex digits, or a path to a PEM public (or private) key."""
    try:
        if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        data = Path(text).read_bytes()
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            assert isinstance(private, Ed25519PrivateKey)
            return private.public_key()
        public = serialization.load_pem_public_key(data)
        assert isinstance(public, Ed25519PublicKey)
        return public
    except (OSError, ValueError, AssertionError):
        raise AuditError("PUBLIC_KEY_UNREADABLE",
                         f"审计公钥 {text} 无法读取（应为 64 位十六进制或 Ed25519 PEM 文件）") from None


# ---------------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Finding:
    """One thing the log shows was done behind the application's back."""

    kind: str  # altered | deleted | inserted | reordered | checkpoint | signature | snapshot
    detail: str
    household_id: UUID | None = None
    version: int | None = None
    position: int | None = None

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


KIND_NAMES = {
    "altered": "被改动", "deleted": "被删除", "inserted": "被插入", "reordered": "被重排",
    "checkpoint": "与检查点不符", "signature": "检查点签名无效", "snapshot": "快照与事件不符",
}


@dataclass
class VerifyReport:
    position: int
    events: int = 0
    households: int = 0
    checkpoints: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Digests of the segments up to ``position`` as the log is now (hex).
    segments: list[str] = field(default_factory=list)
    #: Whether the snapshots were compared with the events (it needs the log decoded).
    snapshots_checked: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings


class _Segments:
    """Segment digests of the log in position order, with a snapshot at chosen positions."""

    def __init__(self, stops: Iterable[int]) -> None:
        self.digests: list[str] = []
        self.index = 0
        self.current = hashlib.sha256()
        self.stops = sorted(set(stops))
        # (closed segments, digest of the open one, events) at each stop: the closed digests
        # only ever grow, so a prefix of them is the stop's list without copying it.
        self.at_stop: dict[int, tuple[int, str, int]] = {}
        self.count = 0

    def add(self, position: int, content: bytes) -> None:
        self._advance_to(position)
        self.current.update(position.to_bytes(8, "big") + content)
        self.count += 1

    def _advance_to(self, position: int) -> None:
        """Snapshot the stops before ``position``, then close the segments before it."""
        while self.stops and self.stops[0] < position:
            self._snapshot(self.stops.pop(0))
        self._close_segments_before(position)

    def _snapshot(self, stop: int) -> None:
        self._close_segments_before(stop)
        self.at_stop[stop] = (len(self.digests), self.current.hexdigest(), self.count)

    def digests_at(self, stop: int) -> Iterator[str]:
        closed, current, _ = self.at_stop[stop]
        yield from self.digests[:closed]
        yield current

    def _close_segments_before(self, position: int) -> None:
        while position > (self.index + 1) * SEGMENT_SIZE:
            self.digests.append(self.current.hexdigest())
            self.current = hashlib.sha256()
            self.index += 1

    def finish(self, end: int) -> None:
        for stop in self.stops:
            self._snapshot(stop)
        self.stops = []
        if end:
            self._snapshot(end)


def verify(
    tables: LogTables, checkpoints: Iterable[Checkpoint] = (), *,
    trusted_key: Ed25519PublicKey | None = None, up_to: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Re-read the log and report every event altered, deleted, reordered or inserted behind the
    application's back, and every checkpoint the log (or its signature) no longer matches."""
    checkpoints = list(checkpoints)
    end = tables.max_position() if up_to is None else up_to
    report = VerifyReport(position=end)
    for checkpoint in checkpoints:
        problem = checkpoint.signature_problem(trusted_key)
        if problem:
            report.findings.append(Finding(
                "signature", f"第 {checkpoint.sequence} 号检查点（位置 {checkpoint.position}）：{problem}",
                position=checkpoint.position))
    segments = _Segments(c.position for c in checkpoints if c.position <= end)
    _verify_positions(tables, end, segments, report, progress)
    _verify_households(tables, end, report)
    segments.finish(end)
    report.segments = list(segments.digests_at(end)) if end else []
    for checkpoint in checkpoints:
        report.checkpoints.append(checkpoint.sequence)
        _compare_checkpoint(checkpoint, segments, end, report)
    report.findings = _unique(report.findings)
    return report


def _verify_positions(
    tables: LogTables, end: int, segments: _Segments, report: VerifyReport,
    progress: Callable[[int, int], None] | None,
) -> None:
    found_at: dict[tuple[UUID, int], int] = {}    # event at a position sealed for another
    sealed_at: dict[tuple[UUID, int], int] = {}   # chain row whose event is not at its position
    for first in range(1, end + 1, PAGE):
        last = min(first + PAGE - 1, end)
        events = tables.events_between(first, last)
        chain = {row[0]: row for row in tables.chain_between(first, last)}
        for position, household, version, topic, state in events:
            content = content_hash(household, version, topic, state)
            segments.add(position, content)
            report.events += 1
            sealed = chain.pop(position, None)
            if sealed is None:
                found_at[(household, version)] = position
            elif (sealed[1], sealed[2]) != (household, version):
                found_at[(household, version)] = position
                sealed_at[(sealed[1], sealed[2])] = position
            elif link(sealed[3], content) != sealed[4]:
                report.findings.append(Finding(
                    "altered", f"位置 {position} 的事件内容与写入时的哈希链不符",
                    household, version, position))
        for position, household, version, _, _ in chain.values():
            sealed_at[(household, version)] = position
        if progress:
            progress(last, end)
    for key, position in sorted(found_at.items(), key=lambda item: item[1]):
        household, version = key
        was = sealed_at.pop(key, None)
        if was is not None:
            report.findings.append(Finding(
                "reordered", f"该事件写入时在位置 {was}，现在在位置 {position}",
                household, version, position))
        else:
            report.findings.append(Finding(
                "inserted", f"位置 {position} 的事件没有写入时的哈希链记录（绕过应用写入）",
                household, version, position))
    for (household, version), position in sorted(sealed_at.items(), key=lambda item: item[1]):
        report.findings.append(Finding(
            "deleted", f"写入在位置 {position} 的事件已不在日志中", household, version, position))


def _verify_households(tables: LogTables, end: int, report: VerifyReport) -> None:
    household: UUID | None = None
    expected_version = 1
    last_position = 0
    head: bytes | None = GENESIS
    for current, version, position, previous, event_hash in tables.household_rows():
        if position > end:
            continue
        if current != household:
            household, expected_version, last_position, head = current, 1, 0, GENESIS
            report.households += 1
        for missing in range(expected_version, version):
            report.findings.append(Finding(
                "deleted", f"第 {missing} 件事件缺失（事件与其哈希链记录都被删除）",
                household, missing))
            head = None
        if position < last_position:
            report.findings.append(Finding(
                "reordered", f"位置 {position} 早于同户前一件事件的位置 {last_position}",
                household, version, position))
        if previous is not None and head is not None and previous != head:
            report.findings.append(Finding(
                "altered", f"第 {version - 1} 件事件的哈希与第 {version} 件记录的前链不符"
                "（事件与其链值都被改写）", household, version - 1))
        expected_version, last_position, head = version + 1, position, event_hash


def _compare_checkpoint(
    checkpoint: Checkpoint, segments: _Segments, end: int, report: VerifyReport
) -> None:
    if checkpoint.position > end:
        report.findings.append(Finding(
            "checkpoint", f"第 {checkpoint.sequence} 号检查点签于位置 {checkpoint.position}，"
            f"日志现在只到位置 {end}（末尾的事件被删除）", position=end + 1))
        return
    closed, _, count = segments.at_stop[checkpoint.position]
    length = closed + 1
    differing = [i for i, (now, then) in enumerate(zip(segments.digests_at(checkpoint.position),
                                                        checkpoint.segments, strict=False))
                 if now != then]
    if length != len(checkpoint.segments):
        differing.append(min(length, len(checkpoint.segments)))
    for index in differing:
        first = index * SEGMENT_SIZE + 1
        last = min((index + 1) * SEGMENT_SIZE, checkpoint.position)
        report.findings.append(Finding(
            "checkpoint", f"位置 {first}–{last} 的事件与第 {checkpoint.sequence} 号检查点不符"
            "（签名后有事件被增、删、改或重排）", position=first))
    if count != checkpoint.events and not differing:
        report.findings.append(Finding(
            "checkpoint", f"事件数 {count} 与第 {checkpoint.sequence} 号检查点的 {checkpoint.events} 不符",
            position=checkpoint.position))


def _unique(findings: list[Finding]) -> list[Finding]:
    """One finding per event and kind (both passes can see the same reordering)."""
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for finding in findings:
        key = (finding.kind, finding.household_id, finding.version,
               finding.position if finding.household_id is None else None)
        if finding.household_id is not None and finding.kind in ("deleted", "reordered"):
            key = ("event", finding.household_id, finding.version)
        if key in seen:
            continue
        seen.add(key)
        unique.append(finding)
    return unique


def sign_checkpoint(
    tables: LogTables, key: Ed25519PrivateKey, *, now: datetime, directory: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Checkpoint:
    """Verify the whole log and, if it is clean, sign and store a checkpoint at its end."""
    earlier = tables.stored_checkpoints()
    report = verify(tables, earlier, trusted_key=key.public_key(), progress=progress)
    if not report.clean:
        raise AuditError("LOG_NOT_CLEAN",
                         f"日志校验发现 {len(report.findings)} 处问题，不签发检查点："
                         "先运行 `fangpin audit verify` 查明")
    if report.position == 0:
        raise AuditError("LOG_EMPTY", "日志中还没有事件，不签发检查点")
    unsigned = Checkpoint(
        sequence=(earlier[-1].sequence + 1) if earlier else 1,
        position=report.position, events=report.events,
        created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
        segment_size=SEGMENT_SIZE, segments=report.segments,
        log_hash=_log_hash(report.segments), public_key=public_hex(key.public_key()),
    )
    checkpoint = msgspec.structs.replace(unsigned, signature=key.sign(unsigned.signed_bytes()).hex())
    if directory is not None:  # the file first: a checkpoint in the table always has its file
        write_checkpoint_file(checkpoint, directory)
    tables.store_checkpoint(checkpoint)
    return checkpoint


def checkpoint_file(checkpoint: Checkpoint, directory: Path) -> Path:
    return directory / f"checkpoint-{checkpoint.sequence:06d}-{checkpoint.position}.json"


def write_checkpoint_file(checkpoint: Checkpoint, directory: Path) -> Path:
    path = checkpoint_file(checkpoint, directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(checkpoint.to_json())
    except OSError as error:
        raise AuditError("CHECKPOINT_DIR_UNWRITABLE",
                         f"检查点文件无法写入 {directory}（{error.strerror}），未签发") from None
    return path


# ---------------------------------------------------------------------------------- one household


def household_proof(tables: LogTables, household: UUID) -> dict[str, Any]:
    """A household's chain as stored, each link recomputed, and the latest checkpoint: what an
    auditor needs to check the history shown is the history sealed."""
    links = []
    head = GENESIS
    intact = True
    for version, position, topic, state, previous, event_hash in tables.household_chain(household):
        content = content_hash(household, version, topic, state)
        ok = (previous is not None and event_hash is not None and previous == head
              and link(previous, content) == event_hash)
        intact = intact and ok and version == len(links) + 1
        links.append({"version": version, "position": position, "content_hash": content.hex(),
                      "previous_hash": previous.hex() if previous else None,
                      "event_hash": event_hash.hex() if event_hash else None, "intact": ok})
        head = event_hash or b""
    last = tables.latest_checkpoint()
    return {
        "algorithm": "SHA-256: content = H('fangpin/event/1'‖id‖version‖topic‖state), "
                     "link = H(previous link ‖ content)",
        "intact": intact,
        "links": links,
        "checkpoint": None if last is None else {
            "sequence": last.sequence, "position": last.position, "created_at": last.created_at,
            "log_hash": last.log_hash, "public_key": last.public_key, "signature": last.signature,
            "covers_last_event": bool(links) and links[-1]["position"] <= last.position,
        },
    }
