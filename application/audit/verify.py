"""Checking the log against its hash chain and its checkpoints (see `application.audit`, and
`passes` for the passes over the log), signing a checkpoint once the log is clean, and one
household's proof."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
from application.audit.findings import Finding, VerifyReport, unique
from application.audit.passes import Segments, check_attachments, check_households, check_positions
from application.audit.tables import LogTables
from application.store.chain import GENESIS, content_hash, link


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
    segments = Segments(c.position for c in checkpoints if c.position <= end)
    found = check_positions(tables, end, segments, report, progress)
    report.households = found.households
    check_households(tables, end, found.unsure, report)
    check_attachments(tables, found.attached, report, open_state)
    segments.finish(end)
    report.segments = list(segments.digests_at(end)) if end else []
    for checkpoint in checkpoints:
        report.checkpoints.append(checkpoint.sequence)
        _compare_checkpoint(checkpoint, segments, end, report)
    report.findings = unique(report.findings)
    return report


def _compare_checkpoint(
    checkpoint: Checkpoint, segments: Segments, end: int, report: VerifyReport
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
