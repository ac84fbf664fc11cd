"""Each household's events as a hash chain, kept in a table beside the event log.

For every stored event the store keeps, in the same transaction as the event, one row of
``fangpin_chain``: the event's log position, its aggregate and version, the link of the
aggregate's previous event and its own link::

    content = SHA-256("fangpin/event/1" 0x00 ‖ aggregate id (16 bytes) ‖ version (8 bytes)
                      ‖ len(topic) (4 bytes) ‖ topic (UTF-8) ‖ stored state bytes)
    link    = SHA-256(previous link ‖ content)          (previous link of version 1: 32 zero bytes)

so an event's link commits to its own content and to every earlier event of its household. The
hash is over the bytes as stored (ciphertext when the log is encrypted), so checking the chain
never needs the encryption key. Positions are not hashed into the link (they are only known
once the row is inserted); the chain row records the position, and the checkpoints commit to
the log's order (see `application.audit`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

GENESIS = bytes(32)
TABLE = "fangpin_chain"
_CONTENT_PREFIX = b"fangpin/event/1\x00"


def content_hash(originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The hash of one stored event's content (its aggregate, version, topic and state)."""
    return raw_content_hash(originator_id.bytes, version, topic_bytes(topic), state)


def topic_bytes(topic: str) -> bytes:
    """A topic as the content hash takes it: the length of its UTF-8 (4 bytes), then its UTF-8."""
    encoded = topic.encode()
    return len(encoded).to_bytes(4, "big") + encoded


def raw_content_hash(id_bytes: bytes, version: int, topic: bytes, state: bytes) -> bytes:
    """`content_hash` from the aggregate id's 16 bytes and the topic's `topic_bytes` (what a loop
    over the whole log has at hand), hashed in one call."""
    return hashlib.sha256(b"".join(
        (_CONTENT_PREFIX, id_bytes, version.to_bytes(8, "big"), topic, state))).digest()


def link(previous: bytes, content: bytes) -> bytes:
    """The chain link of an event: its content hash bound to the link before it."""
    return hashlib.sha256(previous + content).digest()


@dataclass(frozen=True)
class ChainRow:
    """One link of the chain as stored."""

    position: int
    originator_id: UUID
    originator_version: int
    previous_hash: bytes
    event_hash: bytes


class ChainHeads:
    """The last link of recently written aggregates, so a command need not read it back.

    Only ever asked for an exact version, and only filled after a commit: a link is immutable
    once committed, so a stale entry can miss but never answer wrongly.
    """

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._heads: OrderedDict[UUID, tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, originator_id: UUID, version: int) -> bytes | None:
        with self._lock:
            head = self._heads.get(originator_id)
        if head is not None and head[0] == version:
            return head[1]
        return None

    def put_all(self, rows: Sequence[ChainRow]) -> None:
        with self._lock:
            for row in rows:
                self._heads[row.originator_id] = (row.originator_version, row.event_hash)
                self._heads.move_to_end(row.originator_id)
            while len(self._heads) > self._size:
                self._heads.popitem(last=False)


class ChainSQL:
    """The chain table's statements for one back end (``?`` for SQLite, ``%s`` for PostgreSQL)."""

    def __init__(self, backend: str, schema: str | None = None, events_table: str = "") -> None:
        self.backend = backend
        self.p = "%s" if backend == "postgres" else "?"
        self.table = f'"{schema}".{TABLE}' if backend == "postgres" and schema else TABLE
        self.events = (f'"{schema}".{events_table}' if backend == "postgres" and schema
                       else events_table)
        self.position = "notification_id" if backend == "postgres" else "rowid"

    def create_statements(self) -> list[str]:
        if self.backend == "postgres":
            return [
                f"CREATE TABLE IF NOT EXISTS {self.table} (position BIGINT PRIMARY KEY, "
                "originator_id UUID NOT NULL, originator_version BIGINT NOT NULL, "
                "previous_hash BYTEA NOT NULL, event_hash BYTEA NOT NULL, "
                "UNIQUE (originator_id, originator_version))",
            ]
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} (position INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
            "previous_hash BLOB NOT NULL, event_hash BLOB NOT NULL, "
            "UNIQUE (originator_id, originator_version))",
        ]

    def insert(self) -> str:
        p = self.p
        return (f"INSERT INTO {self.table} (position, originator_id, originator_version, "
                f"previous_hash, event_hash) VALUES ({p}, {p}, {p}, {p}, {p})")

    def select_link(self) -> str:
        p = self.p
        return (f"SELECT event_hash FROM {self.table} "
                f"WHERE originator_id = {p} AND originator_version = {p}")

    def id_param(self, originator_id: UUID) -> Any:
        return originator_id if self.backend == "postgres" else originator_id.hex

    def row_params(self, row: ChainRow) -> tuple[Any, ...]:
        return (row.position, self.id_param(row.originator_id), row.originator_version,
                row.previous_hash, row.event_hash)


def chain_links(
    stored_events: Sequence[Any], previous_link: Callable[[UUID, int], bytes | None],
) -> list[tuple[UUID, int, bytes, bytes]]:
    """(aggregate id, version, previous link, link) of each event about to be stored.

    ``previous_link(originator_id, version)`` gives the stored link of an earlier event; events
    of one aggregate saved together chain to each other.
    """
    heads: dict[UUID, tuple[int, bytes]] = {}
    links = []
    for event in stored_events:
        originator_id = event.originator_id
        if not isinstance(originator_id, UUID):
            originator_id = UUID(str(originator_id))
        version = event.originator_version
        head = heads.get(originator_id)
        if version == 1:
            previous = GENESIS
        elif head is not None and head[0] == version - 1:
            previous = head[1]
        else:
            found = previous_link(originator_id, version - 1)
            if found is None:
                raise ChainBroken(originator_id, version - 1)
            previous = found
        event_hash = link(previous, content_hash(originator_id, version, event.topic, event.state))
        heads[originator_id] = (version, event_hash)
        links.append((originator_id, version, previous, event_hash))
    return links


class ChainBroken(Exception):
    """An event is being appended after one that has no chain row."""

    def __init__(self, originator_id: UUID, version: int) -> None:
        super().__init__(f"event {originator_id} v{version} has no chain row: run `fangpin audit verify`")


def backfill(cursor: Any, sql: ChainSQL, page: int = 5000) -> int:
    """Seal the events that have no chain row yet (a log written before the chain existed),
    household by household in version order. Returns how many rows were added."""
    p = sql.p
    added = 0
    after_id: Any = UUID(int=0) if sql.backend == "postgres" else ""
    after_version = 0
    head: tuple[Any, int, bytes] | None = None
    while True:
        cursor.execute(
            f"SELECT e.originator_id, e.originator_version, e.topic, e.state, e.{sql.position}, "
            f"c.event_hash FROM {sql.events} e LEFT JOIN {sql.table} c "
            "ON c.originator_id = e.originator_id AND c.originator_version = e.originator_version "
            f"WHERE (e.originator_id, e.originator_version) > ({p}, {p}) "
            f"ORDER BY e.originator_id, e.originator_version LIMIT {page}",
            (after_id, after_version))
        rows = cursor.fetchall()
        if not rows:
            return added
        new = []
        for raw_id, version, topic, state, position, existing in map(values, rows):
            originator_id = raw_id if isinstance(raw_id, UUID) else UUID(raw_id)
            if existing is not None:
                head = (raw_id, version, as_bytes(existing))
                continue
            previous = GENESIS
            if version > 1:
                if head is None or head[0] != raw_id or head[1] != version - 1:
                    raise ChainBroken(originator_id, version - 1)
                previous = head[2]
            event_hash = link(previous, content_hash(originator_id, version, topic, as_bytes(state)))
            new.append(ChainRow(position, originator_id, version, previous, event_hash))
            head = (raw_id, version, event_hash)
        if new:
            cursor.executemany(sql.insert(), [sql.row_params(r) for r in new])
            added += len(new)
        last = values(rows[-1])
        after_id, after_version = last[0], last[1]


def as_bytes(value: Any) -> bytes:
    """A BLOB/BYTEA column's value as bytes; SQLite keeps whatever type was written, so a row
    changed by hand may hold text or a number instead."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def values(row: Any) -> tuple[Any, ...]:
    """A row's values in column order (PostgreSQL cursors here return dicts, SQLite's tuples)."""
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
