"""A rebuild fills next tables beside the live ones and swaps them in at the end.

While a rebuild fills a read model's *next* tables (``<table>_next``), the live tables go on
being followed and served: lists keep answering with the previous read model and its
position. When the next tables hold the log up to the position the rebuild started from, one
transaction drops the live tables, renames the next ones into their place and records that
position; the catch-up that follows brings them to the log's end. Readers see either the old
tables and their position or the new tables and theirs, never a mix and never an empty model.

The rebuild holds a lease on the next tables (a tracking record renewed with every chunk):
a second rebuild takes it over, and the first stops at its next chunk (`IntegrityError`); the
tables of a rebuild whose process died are dropped by a follower once its lease is older than
the runner's ``REBUILD_LEASE_SECONDS``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from projections.rows import Rows
from projections.tables import COLUMNS, TABLE, TABLES, index_name

if TYPE_CHECKING:
    from projections.store import ReadModelStore


class NextTables:
    """The rebuild side of `projections.store.ReadModelStore` (a mixin of it)."""

    def begin_rebuild(self: ReadModelStore, models: Sequence[str]) -> int:
        """Make empty next tables for ``models`` (without their secondary indexes) and take a
        lease on them, in one transaction; returns the lease. `add_rows` renews it."""
        lease = new_lease()
        with self.transaction() as cursor:
            self._lock_tracking(cursor, list(models))
            for model in models:
                self._drop_next(cursor, model)
                for table in TABLES[model]:
                    for statement in self.table_ddl(table, indexes=False, named=next_name(table)):
                        cursor.execute(statement)
                self._write_lease(cursor, model, lease)
        return lease

    def add_rows(self: ReadModelStore, rows: dict[str, Rows], lease: int,
                 replacing: Sequence[UUID] = ()) -> int:
        """Add rows to the next tables of read models rebuilt under ``lease`` (in place of
        those of the households ``replacing``), in one transaction, and renew the lease;
        returns the renewed one. `IntegrityError` when the lease is no longer held (another
        rebuild took these read models over)."""
        renewed = new_lease()
        with self.transaction() as cursor:
            self._lock_tracking(cursor, list(rows))
            self._check_lease(cursor, list(rows), lease)
            for model, tables in rows.items():
                for table in TABLES[model]:
                    self._delete_households(cursor, next_name(table), replacing)
                    self._add_next(cursor, table, tables.get(table, []))
                self._write_lease(cursor, model, renewed)
        return renewed

    def _add_next(self: ReadModelStore, cursor: Any, table: str, rows: list[Any]) -> None:
        """Insert rows of ``table`` into its next table."""
        self._insert(cursor, table, rows, into=next_name(table))

    def end_rebuild(self: ReadModelStore, position: int, models: Sequence[str], lease: int) -> None:
        """Swap the next tables of ``models`` in for the live ones, record that they have
        reached ``position`` and release the lease, in one transaction (`IntegrityError` when
        the lease is no longer held). A stop at an event up to ``position`` is cleared: the
        rebuilt read model has applied it."""
        self._index_next(models)
        with self.transaction() as cursor:
            self._lock_tracking(cursor, list(models))
            self._check_lease(cursor, list(models), lease)
            for model in models:
                for table in TABLES[model]:
                    cursor.execute(f"DROP TABLE IF EXISTS {self.qualified(table)}")
                    cursor.execute(f"ALTER TABLE {self.qualified(next_name(table))} "
                                   f"RENAME TO {table}")
                    self._name_as_live(cursor, table)
                self._forget(cursor, lease_name(model))
                self._record_position(cursor, model, position)

    def abandon_rebuild(self: ReadModelStore, model: str, *, older_than: float = 0.0) -> bool:
        """Drop the next tables of ``model`` and its lease, if one is held and was last renewed
        at least ``older_than`` seconds ago (its rebuilder stopped); the live tables stay as
        they are. True if done."""
        with self.transaction() as cursor:
            self._lock_tracking(cursor, [model])
            cursor.execute(
                f"SELECT notification_id FROM {self.tracking_table} "
                f"WHERE application_name = {self.placeholder}", (lease_name(model),))
            found = cursor.fetchone()
            if found is None:
                return False
            lease = found[0] if not isinstance(found, dict) else found["notification_id"]
            if lease_age(lease) < older_than:
                return False
            self._drop_next(cursor, model)
            self._forget(cursor, lease_name(model))
        return True

    def _drop_next(self: ReadModelStore, cursor: Any, model: str) -> None:
        for table in TABLES[model]:
            cursor.execute(f"DROP TABLE IF EXISTS {self.qualified(next_name(table))}")

    def _forget(self: ReadModelStore, cursor: Any, name: str) -> None:
        cursor.execute(f"DELETE FROM {self.tracking_table} WHERE application_name = "
                       f"{self.placeholder}", (name,))

    def _write_lease(self: ReadModelStore, cursor: Any, model: str, lease: int) -> None:
        self._forget(cursor, lease_name(model))
        cursor.execute(
            f"INSERT INTO {self.tracking_table} (application_name, notification_id) "
            f"VALUES ({self.placeholder}, {self.placeholder})", (lease_name(model), lease))

    def _check_lease(self: ReadModelStore, cursor: Any, models: list[str], lease: int) -> None:
        for model in models:
            cursor.execute(
                f"SELECT notification_id FROM {self.tracking_table} "
                f"WHERE application_name = {self.placeholder}", (lease_name(model),))
            found = cursor.fetchone()
            held = (found[0] if not isinstance(found, dict) else found["notification_id"]
                    ) if found else None
            if held != lease:
                raise IntegrityError(f"read model {model}: the rebuild's lease is no longer held")

    # ------------------------------------------------------------------ per back end

    def _index_next(self: ReadModelStore, models: Sequence[str]) -> None:
        """Build the secondary indexes of the next tables before they are swapped in (so the
        swap holds its locks only for renames), where the back end can rename indexes."""

    def _name_as_live(self: ReadModelStore, cursor: Any, table: str) -> None:
        """Give a next table just renamed to ``table`` its secondary indexes (SQLite renames
        its primary key's index with the table, but cannot rename an index): built in the
        swap's transaction, while readers go on reading their snapshot of the old tables."""
        for statement in self.index_ddl(table):
            cursor.execute(statement)


class PostgresNextTables(NextTables):
    """On PostgreSQL, the next tables' indexes are built beforehand and renamed in the swap:
    readers wait for the swap's locks only as long as the renames take."""

    def _index_next(self: ReadModelStore, models: Sequence[str]) -> None:
        with self.transaction() as cursor:
            for model in models:
                for table in TABLES[model]:
                    for statement in self.index_ddl(table, named=next_name(table)):
                        cursor.execute(statement)

    def _add_next(self: ReadModelStore, cursor: Any, table: str, rows: list[Any]) -> None:
        """COPY the rows in: a rebuild writes tens of thousands of rows a chunk, and a row
        sent as an INSERT of its own cost four times its share of a COPY (docs/performance.md).
        The next table is the rebuild's alone, so nothing is in the way."""
        table_rows = self.adapt_rows(table, rows)
        if not table_rows:
            return
        columns = ", ".join(COLUMNS[table])
        with cursor.copy(f"COPY {self.qualified(next_name(table))} ({columns}) FROM STDIN") as copy:
            for row in table_rows:
                copy.write_row(row)

    def _name_as_live(self: ReadModelStore, cursor: Any, table: str) -> None:
        cursor.execute(f"ALTER TABLE {self.qualified(table)} "
                       f"RENAME CONSTRAINT {next_name(table)}_pkey TO {table}_pkey")
        for index in TABLE[table].indexes:
            cursor.execute(f"ALTER INDEX {self.qualified(index_name(next_name(table), index))} "
                           f"RENAME TO {index_name(table, index)}")


def next_name(table: str) -> str:
    """The table a rebuild fills beside ``table``."""
    return f"{table}_next"


def lease_name(model: str) -> str:
    """The tracking record a rebuild holds on a read model's next tables while it fills them."""
    return f"rebuilding:{model}"


def new_lease() -> int:
    """A lease: when it was taken or renewed (milliseconds since the epoch), and three random
    digits, so that two rebuilds never hold the same one."""
    return int(time.time() * 1000) * 1000 + secrets.randbelow(1000)


def lease_age(lease: int) -> float:
    """Seconds since ``lease`` was taken or renewed."""
    return time.time() - lease // 1000 / 1000
