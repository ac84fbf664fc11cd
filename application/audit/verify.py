"""Checking the log against its hash chain and its checkpoints (see `application.audit`), signing a
checkpoint once the log is clean, and one household's proof."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from application.audit.checkpoints import (
    SEGMENT_SIZE,
    AuditError,
    Checkpoint,
    log_hash,
    public_hex,
    write_checkpoint_file,
)
from application.audit.tables import PAGE, LogTables
from application.evidence import AttachmentStore
from application.store.chain import GENESIS, content_hash, link
from domain.household import Household


@dataclass(frozen=True)
class Finding:
    """One thing the log shows was done behind the application's back."""

    # altered | deleted | inserted | reordered | checkpoint | signature | snapshot | attachment
    kind: str
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
    "attachment": "附件与摘要不符",
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
    #: Evidence files checked against their digests.
    attachments: int = 0
    #: Whether every digest the log names was looked for among the files (it needs the
    #: events' state readable: not with encryption at rest).
    attachments_named_checked: bool = False

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
    open_state: Callable[[bytes], bytes] | None = None,
) -> VerifyReport:
    """Re-read the log and report every event altered, deleted, reordered or inserted behind the
    application's back, every checkpoint the log (or its signature) no longer matches, and
    every evidence file altered or missing. ``open_state`` decrypts an event's state encrypted
    at rest (`state_reader`): only the evidence check needs it."""
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
    _verify_attachments(tables, end, report, open_state)
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


def _verify_attachments(tables: LogTables, end: int, report: VerifyReport,
                        open_state: Callable[[bytes], bytes] | None) -> None:
    """Each evidence file against its digest (one altered in the database is named, with the
    household and fact it was attached to), and each digest the log's `EvidenceAttached` events
    name against the files kept (one deleted). Encrypted event state is read with
    ``open_state`` (the key's decryption); without it only the files themselves are checked."""
    store = AttachmentStore(tables.datastore, tables.backend)
    kept = store.digests()
    report.attachments = len(kept)
    named = _named_attachments(tables, end, open_state)
    report.attachments_named_checked = named is not None
    for digest in store.altered():
        places = [n for n in named or () if digest in n.attachments]
        report.findings.extend(Finding(
            "attachment", f"{n.fact} 所附的附件 {digest} 的内容与其 SHA-256 不符（文件在库中被改动）",
            n.household, n.version, n.position) for n in places)
        if not places:
            report.findings.append(Finding(
                "attachment", f"附件 {digest} 的内容与其 SHA-256 不符（文件在库中被改动；"
                f"{'未附于任何事实' if named is not None else '事件内容无法解密，未能查明所附事实'}）"))
    for n in named or ():
        for digest in n.attachments:
            if digest not in kept:
                report.findings.append(Finding(
                    "attachment", f"{n.fact} 所附的附件 {digest} 不在库中（被删除）",
                    n.household, n.version, n.position))


@dataclass(frozen=True)
class _Attached:
    """One `EvidenceAttached` event as the log holds it."""

    household: UUID
    version: int
    position: int
    fact: str
    attachments: list[str]


def _named_attachments(tables: LogTables, end: int, open_state: Callable[[bytes], bytes] | None,
                       ) -> list[_Attached] | None:
    """Every `EvidenceAttached` event up to ``end``; None when their state cannot be read here
    (encrypted at rest, and no key or the wrong one)."""
    found = []
    for position, aggregate, version, state in tables.events_of_topic(Household.EvidenceAttached.TOPIC):
        if position > end:
            break
        files = _read_named(state, open_state)
        if files is None:
            return None
        found.append(_Attached(aggregate, version, position, files.fact, files.attachments))
    return found


def _read_named(state: bytes, open_state: Callable[[bytes], bytes] | None) -> _NamedFiles | None:
    try:
        return msgspec.json.decode(state, type=_NamedFiles)
    except msgspec.DecodeError:
        if open_state is None:
            return None
    try:
        return msgspec.json.decode(open_state(state), type=_NamedFiles)
    except (ValueError, msgspec.DecodeError):  # the wrong key, or damaged beyond reading
        return None


class _NamedFiles(msgspec.Struct):
    fact: str
    attachments: list[str]


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
        if finding.kind == "attachment":  # one event may name several files
            key = (*key, finding.detail)
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
        log_hash=log_hash(report.segments), public_key=public_hex(key.public_key()),
    )
    checkpoint = msgspec.structs.replace(unsigned, signature=key.sign(unsigned.signed_bytes()).hex())
    if directory is not None:  # the file first: a checkpoint in the table always has its file
        write_checkpoint_file(checkpoint, directory)
    tables.store_checkpoint(checkpoint)
    return checkpoint


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
