"""Backup and restore of a county's log: one compressed file, streamed both ways.

``fangpin log export FILE`` writes, gzip-compressed, a sequence of msgpack frames (each
preceded by its length, 4 bytes big-endian):

- a header: format, time, source, the store's encryption fingerprint, last position, event count;
- every event in log order with its chain row: position, aggregate id, version, topic, the state
  bytes exactly as stored (still encrypted if the log is), previous link and link;
- every signed checkpoint, the users (token hashes only), the access log and the evidence files
  (their bytes as kept: `fangpin audit verify` checks each against the digest its event names);
- a trailer: the number of events and a SHA-256 over every frame before it.

``fangpin log import FILE`` loads that into an empty store, on either back end, keeping every
event's position (so results and checkpoints that name positions stay true), recomputing each
event's link as it goes, then verifies the whole chain and every checkpoint; a file that does not
verify leaves the store empty again. The same path moves a county from SQLite to PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from uuid import UUID

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from application.audit import AuditError, Checkpoint, LogTables, public_hex, verify
from application.evidence import AttachmentStore
from application.evidence.store import TABLE as ATTACHMENTS
from application.store.beside import beside_log
from application.store.chain import GENESIS, content_hash, link, values

FORMAT = "fangpin-log/1"
BATCH = 2000
_LENGTH = struct.Struct(">I")

Progress = Callable[[int, int], None]


class BackupError(AuditError):
    """An export file that cannot be imported here, and why (Chinese)."""


@dataclass(frozen=True)
class BackupSummary:
    events: int
    position: int
    checkpoints: int
    users: int
    access_records: int
    attachments: int = 0


class _FrameWriter:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.encoder = msgspec.msgpack.Encoder()

    def write(self, frame: Any) -> None:
        data = self.encoder.encode(frame)
        header = _LENGTH.pack(len(data))
        self.digest.update(header)
        self.digest.update(data)
        self.out.write(header)
        self.out.write(data)


def _ensure_side_tables(tables: LogTables) -> None:
    from application.accounts.access_log import AccessLog
    from application.accounts.desk_marks import DeskMarks
    from application.accounts.logins import Logins
    from application.accounts.users import Users

    users = Users(tables.datastore, backend=tables.backend)
    Logins(users)
    DeskMarks(users)
    AccessLog(tables.datastore, backend=tables.backend)
    AttachmentStore(tables.datastore, tables.backend)


def _side_tables(tables: LogTables) -> dict[str, str]:
    """The tables kept beside the log that a move must carry: users (with the 网格员 each
    village user is), the access log and the evidence files. (Which notifications were read is
    not carried.)"""
    return {name: beside_log(tables.datastore, tables.backend, name)
            for name in ("fangpin_users", "fangpin_passwords", "fangpin_user_grid_workers",
                         "fangpin_access_log", ATTACHMENTS)}


def export_log(
    tables: LogTables, path: Path, *, encryption: str, source: str, now: datetime,
    progress: Progress | None = None, signing_key: Ed25519PrivateKey | None = None,
) -> BackupSummary:
    """Stream the whole log, its chain, checkpoints, users and access log to ``path``; with a
    signing key, the trailer's hash of every frame is signed (users and the access log are not
    in the chain: the signature is what vouches for them)."""
    end = tables.max_position()
    (count,), = tables._rows(f"SELECT COUNT(*) FROM {tables.events}")
    checkpoints = tables.stored_checkpoints()
    _ensure_side_tables(tables)
    tmp = path.with_name(path.name + ".part")
    with gzip.open(tmp, "wb", compresslevel=5) as out:
        frames = _FrameWriter(out)  # type: ignore[arg-type]
        frames.write({"format": FORMAT, "exported_at": now.astimezone(UTC).isoformat(),
                      "source": source, "encryption": encryption, "position": end,
                      "events": count})
        written = 0
        for first in range(1, end + 1, BATCH):
            last = min(first + BATCH - 1, end)
            chain = {row[0]: row for row in tables.chain_between(first, last)}
            for position, household, version, topic, state in tables.events_between(first, last):
                sealed = chain.get(position)
                if sealed is None or (sealed[1], sealed[2]) != (household, version):
                    sealed = None
                frames.write(("e", position, household.bytes, version, topic, state,
                              sealed[3] if sealed else None, sealed[4] if sealed else None))
                written += 1
            if progress:
                progress(last, end)
        for checkpoint in checkpoints:
            frames.write(("k", checkpoint.to_json()))
        side = {}
        for name, table in _side_tables(tables).items():
            side[name] = 0
            for columns, rows in _table_pages(tables, name, table):
                if not side[name]:
                    frames.write(("t", name, columns))
                for row in rows:
                    frames.write(("r", name, row))
                side[name] += len(rows)
        digest = frames.digest.hexdigest()
        signer, signature = None, None
        if signing_key is not None:
            signer = public_hex(signing_key.public_key())
            signature = signing_key.sign(digest.encode()).hex()
        frames.write(("end", written, digest, signer, signature))
    tmp.replace(path)
    return BackupSummary(written, end, len(checkpoints), side["fangpin_users"],
                         side["fangpin_access_log"], side[ATTACHMENTS])


#: The columns each table beside the log may have (names from a file go into SQL).
_SIDE_COLUMNS = {
    "fangpin_users": {"name", "role", "township", "village", "department", "display_name",
                      "token_hash", "created_at", "token_issued_at", "disabled_at"},
    "fangpin_access_log": {"id", "at", "user_name", "role", "household_code", "route", "outcome"},
    "fangpin_passwords": {"name", "password_hash", "failures", "locked_until", "changed_at"},
    "fangpin_user_grid_workers": {"name", "grid_worker", "linked_at"},
    ATTACHMENTS: {"sha256", "media_type", "size", "content", "thumbnail", "stored_at", "stored_by"},
}
#: The key of each table beside the log, to page through it in order.
_SIDE_KEYS = {"fangpin_users": "name", "fangpin_passwords": "name",
              "fangpin_user_grid_workers": "name", "fangpin_access_log": "id", ATTACHMENTS: "sha256"}
#: Rows read or written at a time, where a row may be large (an evidence file: up to 20 MB).
_SIDE_BATCH = {ATTACHMENTS: 16}


def _table_pages(tables: LogTables, name: str, table: str,
                 ) -> Iterator[tuple[list[str], list[list[Any]]]]:
    """(column names, rows) of a table beside the log, a page at a time in key order."""
    key = _SIDE_KEYS[name]
    last: Any = None
    while True:
        where = f"WHERE {key} > {tables.p} " if last is not None else ""
        with tables.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT * FROM {table} {where}ORDER BY {key} "
                           f"LIMIT {_SIDE_BATCH.get(name, BATCH)}",
                           (last,) if last is not None else ())
            fetched = cursor.fetchall()
        if not fetched:
            return
        columns = list(fetched[0].keys())
        rows = [list(values(row)) for row in fetched]
        yield columns, rows
        last = rows[-1][columns.index(key)]


def _frames(source: BinaryIO) -> Iterator[tuple[Any, bytes]]:
    """(decoded frame, its bytes with length) of each frame of an export file."""
    decoder = msgspec.msgpack.Decoder()
    while True:
        header = source.read(4)
        if not header:
            return
        if len(header) < 4:
            raise BackupError("BACKUP_TRUNCATED", "导出文件不完整（在帧头处截断）")
        (length,) = _LENGTH.unpack(header)
        data = source.read(length)
        if len(data) < length:
            raise BackupError("BACKUP_TRUNCATED", "导出文件不完整（在帧中截断）")
        yield decoder.decode(data), header + data


def import_log(
    tables: LogTables, path: Path, *, encryption: str, progress: Progress | None = None,
    trusted_key: Any = None,
) -> BackupSummary:
    """Load an export into this empty store, verifying it; on any problem the store is left
    empty and `BackupError` says what was wrong."""
    _ensure_side_tables(tables)
    if tables.max_position() or tables.stored_checkpoints():
        raise BackupError("TARGET_NOT_EMPTY", "目标库已有事件：只能导入到空库")
    for name, table in _side_tables(tables).items():
        if tables._rows(f"SELECT 1 FROM {table} LIMIT 1"):
            what = {"fangpin_access_log": "查阅记录", ATTACHMENTS: "附件"}.get(name, "用户")
            raise BackupError("TARGET_NOT_EMPTY", f"目标库已有{what}：只能导入到空库")
    # From here on the store held nothing: whatever goes wrong, emptying it again undoes
    # exactly what this import wrote.
    try:
        with gzip.open(path, "rb") as source:
            summary = _load(tables, source, encryption, progress, trusted_key)  # type: ignore[arg-type]
        report = verify(tables, tables.stored_checkpoints(), trusted_key=trusted_key)
        if not report.clean:
            first = report.findings[0]
            raise BackupError("BACKUP_NOT_VERIFIED", f"导入后校验发现 {len(report.findings)} 处问题"
                              f"（如：{first.detail}），已撤销导入")
    except BaseException as error:
        _wipe(tables)
        if isinstance(error, BackupError) or not isinstance(error, Exception):
            raise
        if isinstance(error, OSError | EOFError | msgspec.DecodeError | ValueError):
            raise BackupError("BACKUP_UNREADABLE", f"导出文件无法读取：{error}") from None
        raise BackupError("BACKUP_FAILED", f"导入失败，已撤销：{type(error).__name__}: {error}"
                          ) from error
    return summary


def _load(tables: LogTables, source: BinaryIO, encryption: str, progress: Progress | None,
          trusted_key: Ed25519PublicKey | None) -> BackupSummary:
    frames = _frames(source)
    digest = hashlib.sha256()
    try:
        header, raw = next(frames)
    except StopIteration:
        raise BackupError("BACKUP_EMPTY", "导出文件是空的") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("BACKUP_FORMAT", "不是 fangpin 日志导出文件")
    if header["encryption"] != encryption:
        raise BackupError(
            "BACKUP_KEY_MISMATCH",
            f"导出文件的事件加密为 {header['encryption']}，目标库为 {encryption}："
            "目标库须设置与源库相同的 FANGPIN_CIPHER_KEY（未加密则都不设）")
    digest.update(raw)
    writer = _Writer(tables)
    side_columns: dict[str, list[str]] = {}
    counts = {"e": 0, "k": 0, **dict.fromkeys(_SIDE_COLUMNS, 0)}
    end = header["position"]
    for frame, raw in frames:
        kind = frame[0]
        if kind == "end":
            if frame[1] != counts["e"] or frame[2] != digest.hexdigest():
                raise BackupError("BACKUP_DAMAGED", "导出文件的结尾校验不符（文件被改动或损坏）")
            _check_trailer_signature(frame, trusted_key)
            writer.flush()
            writer.finish()
            return BackupSummary(counts["e"], end, counts["k"], counts["fangpin_users"],
                                 counts["fangpin_access_log"], counts[ATTACHMENTS])
        digest.update(raw)
        if kind == "e":
            _, position, household_bytes, version, topic, state, previous, event_hash = frame
            household = UUID(bytes=household_bytes)
            if previous is None or event_hash is None:
                raise BackupError("BACKUP_NOT_VERIFIED",
                                  f"位置 {position} 的事件没有哈希链记录（源库中被绕过应用写入）")
            if version == 1 and previous != GENESIS:
                raise BackupError("BACKUP_NOT_VERIFIED", f"位置 {position} 的事件链首不对")
            if link(previous, content_hash(household, version, topic, state)) != event_hash:
                raise BackupError("BACKUP_NOT_VERIFIED",
                                  f"位置 {position} 的事件内容与其哈希链不符（被改动）")
            writer.event(position, household, version, topic, state, previous, event_hash)
            counts["e"] += 1
            if progress and counts["e"] % BATCH == 0:
                progress(position, end)
        elif kind == "k":
            writer.flush()
            tables.store_checkpoint(Checkpoint.from_json(frame[1]))
            counts["k"] += 1
        elif kind == "t":
            side_columns[frame[1]] = frame[2]
        elif kind == "r":
            writer.side_row(frame[1], side_columns[frame[1]], frame[2])
            counts[frame[1]] += 1
    raise BackupError("BACKUP_TRUNCATED", "导出文件不完整（缺少结尾校验）")


def _check_trailer_signature(frame: list[Any], trusted_key: Ed25519PublicKey | None) -> None:
    """With a trusted key, the export must be signed by it (the signature covers the users and
    the access log, which no chain or checkpoint does)."""
    if trusted_key is None:
        return
    signer, signature = (frame[3], frame[4]) if len(frame) >= 5 else (None, None)
    if signer is None or signature is None:
        raise BackupError("BACKUP_UNSIGNED", "导出文件未签名：已配置审计公钥时只接受用本县签名私钥导出的文件")
    if signer != public_hex(trusted_key):
        raise BackupError("BACKUP_UNSIGNED", "导出文件的签名公钥不是本县的审计公钥")
    try:
        trusted_key.verify(bytes.fromhex(signature), frame[2].encode())
    except (InvalidSignature, ValueError):
        raise BackupError("BACKUP_UNSIGNED", "导出文件的签名无效（文件在签名后被改动）") from None


class _Writer:
    """Inserts events and chain rows at their original positions, a batch per transaction."""

    def __init__(self, tables: LogTables) -> None:
        self.tables = tables
        self.pending: list[tuple[Any, ...]] = []
        self.pending_side: dict[str, tuple[list[str], list[list[Any]]]] = {}
        p = tables.p
        self.insert_event = (
            f"INSERT INTO {tables.events} ({tables.pos}, originator_id, originator_version, topic, "
            f"state) VALUES ({p}, {p}, {p}, {p}, {p})")
        self.insert_chain = tables.chain.insert()
        self.side = _side_tables(tables)

    def event(self, position: int, household: UUID, version: int, topic: str, state: bytes,
              previous: bytes, event_hash: bytes) -> None:
        self.pending.append((position, household, version, topic, state, previous, event_hash))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for name, (columns, rows) in self.pending_side.items():
            p = self.tables.p
            with self.tables.datastore.transaction(commit=True) as cursor:
                cursor.executemany(f"INSERT INTO {self.side[name]} ({', '.join(columns)}) "
                                   f"VALUES ({', '.join([p] * len(columns))})", rows)
        self.pending_side = {}
        if not self.pending:
            return
        chain = self.tables.chain
        with self.tables.datastore.transaction(commit=True) as cursor:
            cursor.executemany(self.insert_event, [
                (pos, chain.id_param(h), v, topic, state)
                for pos, h, v, topic, state, _, _ in self.pending])
            cursor.executemany(self.insert_chain, [
                (pos, chain.id_param(h), v, previous, event_hash)
                for pos, h, v, _, _, previous, event_hash in self.pending])
        self.pending = []

    def side_row(self, name: str, columns: list[str], row: list[Any]) -> None:
        if name not in self.side:
            raise BackupError("BACKUP_FORMAT", f"导出文件含未知的表 {name}")
        unknown = set(columns) - _SIDE_COLUMNS[name]
        if unknown or len(row) != len(columns):
            raise BackupError("BACKUP_FORMAT", f"导出文件中 {name} 的列不对：{sorted(unknown)}")
        pending = self.pending_side.setdefault(name, (columns, []))[1]
        pending.append(row)
        if len(pending) >= _SIDE_BATCH.get(name, BATCH):
            self.flush()

    def finish(self) -> None:
        """Later inserts continue after the imported positions and ids (PostgreSQL sequences)."""
        if self.tables.backend != "postgres":
            return
        with self.tables.datastore.transaction(commit=True) as cursor:
            for table, column in ((self.tables.events, "notification_id"),
                                  (self.side["fangpin_access_log"], "id")):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                    f"GREATEST(COALESCE((SELECT MAX({column}) FROM {table}), 0), 1))",
                    (table, column))


def _wipe(tables: LogTables) -> None:
    """Leave the store as empty as it was before a failed import."""
    with tables.datastore.transaction(commit=True) as cursor:
        for table in (tables.events, tables.chain.table, tables.checkpoints,
                      *_side_tables(tables).values()):
            cursor.execute(f"DELETE FROM {table}")

