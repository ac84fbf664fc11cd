"""The log's raw tables — events, chain and checkpoints — read without decoding, so checking and
copying the log needs no encryption key."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from application.audit.checkpoints import AuditError, Checkpoint
from application.settings import APP_NAME, Settings
from application.store.beside import beside_log
from application.store.chain import ChainSQL, as_bytes, values
from application.store.ddl import schema_lock

PAGE = 5000
CHECKPOINTS_TABLE = "fangpin_checkpoints"


class LogTables:
    """Raw reads of the events and chain tables (no decoding, so no key is needed)."""

    def __init__(self, recorder: Any, backend: str, *, create: bool = True) -> None:
        """``create``: make the checkpoints table if missing (not on a read-only standby)."""
        self.backend = backend
        self.datastore = recorder.datastore
        schema = getattr(self.datastore, "schema", None) if backend == "postgres" else None
        self.chain = ChainSQL(backend, schema, recorder.events_table_name)
        self.events = self.chain.events
        self.pos = self.chain.position
        self.p = self.chain.p
        self.checkpoints = beside_log(self.datastore, backend, CHECKPOINTS_TABLE)
        if not create:
            return
        with schema_lock(self.datastore, backend), \
                self.datastore.transaction(commit=True) as cursor:
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

    def pages(self, end: int) -> Iterator[tuple[int, list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        """(last position, events, chain rows sealed for another event) of each page of `PAGE`
        positions up to ``end``, as the database gives them. Events: (position, raw id, version,
        topic, state, sealed, previous link, link), ``sealed`` true when the chain row at its
        position was sealed for it (then the links are that row's). Chain rows at a position
        where their event is not: (position, raw id, version). A raw id is what `id_bytes` and
        `household` read. The next page is read in a thread while the caller checks this one
        (the drivers let go of the GIL while the database works)."""
        if end < 1:
            return
        with ThreadPoolExecutor(1, thread_name_prefix="fangpin-audit-read") as reader:
            pending = reader.submit(self._page, 1, min(PAGE, end))
            for first in range(1, end + 1, PAGE):
                last = min(first + PAGE - 1, end)
                events, elsewhere = pending.result()
                if last < end:
                    pending = reader.submit(self._page, last + 1, min(last + PAGE, end))
                yield last, events, elsewhere

    def _page(self, first: int, last: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        p, pos, events, chain = self.p, self.pos, self.events, self.chain.table
        raw_id = "uuid_send({}.originator_id)" if self.backend == "postgres" else "{}.originator_id"
        same = ("c.originator_id IS NOT DISTINCT FROM e.originator_id "
                "AND c.originator_version IS NOT DISTINCT FROM e.originator_version")
        with self._plain_cursor() as cursor:
            cursor.execute(
                f"SELECT e.{pos}, {raw_id.format('e')}, e.originator_version, e.topic, e.state, "
                f"{same}, c.previous_hash, c.event_hash FROM {events} e "
                f"LEFT JOIN {chain} c ON c.position = e.{pos} AND c.position BETWEEN {p} AND {p} "
                f"WHERE e.{pos} BETWEEN {p} AND {p} ORDER BY e.{pos}", (first, last) * 2)
            rows = cursor.fetchall()
            cursor.execute(f"SELECT COUNT(*) FROM {chain} WHERE position BETWEEN {p} AND {p}",
                           (first, last))
            if cursor.fetchone()[0] == sum(1 for row in rows if row[5]):
                return rows, []
            cursor.execute(
                f"SELECT c.position, {raw_id.format('c')}, c.originator_version FROM {chain} c "
                f"LEFT JOIN {events} e ON e.{pos} = c.position AND e.{pos} BETWEEN {p} AND {p} "
                f"WHERE c.position BETWEEN {p} AND {p} AND NOT ({same}) ORDER BY c.position",
                (first, last) * 2)
            return rows, cursor.fetchall()

    @contextmanager
    def _plain_cursor(self) -> Iterator[Any]:
        """A cursor in a read-only transaction whose rows are plain tuples; on PostgreSQL in
        binary (bytea as it is, not hex) and without JIT compilation (compiling cost more than
        each page query's whole run)."""
        if self.backend == "postgres":
            from psycopg.rows import tuple_row

            with self.datastore.get_connection() as conn, conn.transaction(force_rollback=True):
                cursor = conn.cursor(row_factory=tuple_row, binary=True)
                cursor.execute("SET LOCAL jit = off")
                yield cursor
            return
        with self.datastore.transaction(commit=False) as wrapper:
            cursor = wrapper.sqlite_cursor
            cursor.row_factory = None
            yield cursor

    def id_reader(self) -> Callable[[Any], bytes]:
        """The quickest way from an aggregate id as `pages` gives it to its 16 bytes, for ids as
        the application writes them (`id_bytes` reads any)."""
        return bytes if self.backend == "postgres" else bytes.fromhex

    def id_bytes(self, raw: Any) -> bytes:
        """The 16 bytes of an aggregate id as `pages` gives it."""
        if self.backend == "postgres":
            return raw  # type: ignore[no-any-return]
        try:
            return bytes.fromhex(raw)
        except (TypeError, ValueError):  # not as the application writes it: read as a UUID
            return UUID(raw).bytes

    def household(self, raw: Any) -> UUID:
        """The aggregate id `pages` gives as ``raw``."""
        return UUID(bytes=raw) if self.backend == "postgres" else UUID(raw)

    def rows_of_household(self, raw: Any) -> list[tuple[UUID, int, int, bytes | None, bytes | None]]:
        """`household_rows` of one household (its id as `pages` gives it)."""
        p = self.p
        param = UUID(bytes=raw) if self.backend == "postgres" else raw
        rows = self._rows(self._household_statement() + f"WHERE e.originator_id = {p} "
                          "ORDER BY e.originator_version", (param,))
        return [(self._uuid(r[0]), r[1], r[2], _maybe_bytes(r[3]), _maybe_bytes(r[4]))
                for r in rows]

    def _household_statement(self) -> str:
        return (f"SELECT e.originator_id, e.originator_version, e.{self.pos}, c.previous_hash, "
                f"c.event_hash FROM {self.events} e LEFT JOIN {self.chain.table} c "
                "ON c.originator_id = e.originator_id "
                "AND c.originator_version = e.originator_version ")

    def household_rows(self) -> Iterator[tuple[UUID, int, int, bytes | None, bytes | None]]:
        """(household, version, position, previous link, link) of every event, by household and
        version, streamed."""
        for r in self._stream(self._household_statement(),
                              "ORDER BY e.originator_id, e.originator_version",
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


def state_reader(settings: Settings) -> Callable[[bytes], bytes] | None:
    """How `verify` reads an event's state encrypted at rest: decrypted with the settings' key
    (``FANGPIN_CIPHER_KEY``); None without a key (the chain is checked all the same)."""
    if not settings.cipher_key:
        return None
    from eventsourcing.cryptography import AESCipher
    from eventsourcing.utils import Environment

    return AESCipher(Environment(APP_NAME, {"CIPHER_KEY": settings.cipher_key})).decrypt
