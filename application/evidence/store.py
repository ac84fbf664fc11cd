"""The evidence files, kept beside the event log by their SHA-256 (``fangpin_attachments``: in
the log's SQLite file or PostgreSQL schema, never inside an event).

A file is stored once however often it is sent or attached (its digest is its key); it is never
changed or deleted through the application. The digest recorded in an `EvidenceAttached` event
is what `fangpin audit verify` checks each file's bytes against.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.evidence.content import CheckedFile, checked_file
from application.store.beside import beside_log, placeholder
from application.store.chain import as_bytes, values
from application.store.ddl import schema_lock
from domain.errors import InvalidValue

TABLE = "fangpin_attachments"
#: Files read per round trip when every file is read (verify, export): a few tens of MB.
PAGE = 16


@dataclass(frozen=True)
class StoredFile:
    """What the API says of a kept file."""

    sha256: str
    size: int
    media_type: str
    has_thumbnail: bool


class AttachmentStore:
    """The evidence files of one store, on either back end."""

    def __init__(self, datastore: Any, backend: str, *, keep_metadata: bool = False,
                 clock: Callable[[], datetime] | None = None, create: bool = True) -> None:
        """``create``: make the table if missing (not on a read-only standby)."""
        self.datastore = datastore
        self.backend = backend
        self.keep_metadata = keep_metadata
        self.clock = clock or (lambda: datetime.now(UTC))
        self._p = placeholder(backend)
        self.table = beside_log(datastore, backend, TABLE)
        blob = "BYTEA" if backend == "postgres" else "BLOB"
        if not create:
            return
        with schema_lock(datastore, backend), datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (sha256 TEXT PRIMARY KEY, "
                f"media_type TEXT NOT NULL, size BIGINT NOT NULL, content {blob} NOT NULL, "
                f"thumbnail {blob}, stored_at TEXT NOT NULL, stored_by TEXT NOT NULL)")

    def receive(self, data: bytes, declared: str | None, *, by: str) -> StoredFile:
        """Check a file sent as evidence and keep it (once: the same bytes again keep nothing
        new); what was kept. Refused with 413, 415 or 422 (`application.evidence.content`)."""
        return self.keep(checked_file(data, declared, keep_metadata=self.keep_metadata), by=by)

    def keep(self, file: CheckedFile, *, by: str) -> StoredFile:
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} (sha256, media_type, size, content, thumbnail, "
                f"stored_at, stored_by) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) "
                # the same bytes again keep nothing new but who sent them last: sending a file
                # is what shows one holds it (see `require_usable`)
                "ON CONFLICT (sha256) DO UPDATE SET stored_by = excluded.stored_by",
                (file.sha256, file.media_type, len(file.content), file.content, file.thumbnail,
                 self.clock().astimezone(UTC).isoformat(), by))
        return StoredFile(file.sha256, len(file.content), file.media_type, file.thumbnail is not None)

    def describe(self, digests: Iterable[str]) -> dict[str, StoredFile]:
        """What is kept of each digest (those not kept are absent)."""
        wanted = list(dict.fromkeys(digests))
        found: dict[str, StoredFile] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ", ".join([self._p] * len(chunk))
            for sha256, media_type, size, thumbnailed in self._fetch(
                    f"SELECT sha256, media_type, size, thumbnail IS NOT NULL FROM {self.table} "
                    f"WHERE sha256 IN ({marks})", chunk):
                found[sha256] = StoredFile(sha256, int(size), media_type, bool(thumbnailed))
        return found

    def require_usable(self, digests: Iterable[str], *, by: str, attached: Callable[[str], bool],
                       field: str = "attachments") -> None:
        """Refuse digests ``by`` may not attach (422, naming ``field[i]``): a kept file is
        attached by whoever sent it last, or again where it is evidence already. Knowing a
        digest is not holding the file: otherwise anyone told one could attach it to a household
        they cover and read it there. An unusable digest is answered as an unknown one. (Two
        people sending the same bytes: the later one attaches them; the earlier sends again.)"""
        listed = list(digests)
        kept = self.describe(listed)
        senders = dict(self._fetch(
            f"SELECT sha256, stored_by FROM {self.table} WHERE sha256 IN "
            f"({', '.join([self._p] * len(kept))})", list(kept))) if kept else {}
        for index, digest in enumerate(listed):
            usable = digest in kept and (senders.get(digest) == by or attached(digest))
            if not usable:
                raise InvalidValue(
                    "ATTACHMENT_UNKNOWN",
                    f"没有摘要为 {digest[:12]}… 的已上传文件：请先上传（POST /api/attachments）",
                    f"{field}[{index}]")

    def content(self, digest: str) -> tuple[bytes, str] | None:
        """A file's bytes and media type, or None."""
        rows = self._fetch(f"SELECT content, media_type FROM {self.table} WHERE sha256 = {self._p}",
                           (digest,))
        return (as_bytes(rows[0][0]), rows[0][1]) if rows else None

    def thumbnail(self, digest: str) -> bytes | None:
        rows = self._fetch(f"SELECT thumbnail FROM {self.table} WHERE sha256 = {self._p}", (digest,))
        return as_bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    def digests(self) -> set[str]:
        """The digest of every file kept."""
        return {row[0] for row in self._fetch(f"SELECT sha256 FROM {self.table}", ())}

    def altered(self) -> Iterator[str]:
        """The digest of every kept file whose bytes no longer give it, in digest order."""
        after = ""
        while True:
            rows = self._fetch(f"SELECT sha256, content FROM {self.table} WHERE sha256 > {self._p} "
                               f"ORDER BY sha256 LIMIT {PAGE}", (after,))
            if not rows:
                return
            for sha256, content in rows:
                if hashlib.sha256(as_bytes(content)).hexdigest() != sha256:
                    yield sha256
            after = rows[-1][0]

    def _fetch(self, statement: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, tuple(params))
            return [values(row) for row in cursor.fetchall()]
