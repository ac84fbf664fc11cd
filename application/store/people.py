"""The person index: every membership of every household, in a table beside the event log.

One row per membership (`domain.people.Membership`): an ID number in a household, from a day
until the day it left. The recorders write a save's membership changes in the same transaction
as its events (`write`), so the index is never behind the log, and a unique index on the ID
numbers of current memberships lets only one of two saves that would put a person in two
households commit: the other fails as a whole with `PersonTaken`, on SQLite and PostgreSQL
alike. The rule itself, and the refusal a caller sees, are the domain's; this table is how
the rule holds when two saves race.

The table follows from the log: `rebuild` empties it and replays the membership events (done
when it is empty on a log that has households, and by ``fangpin people rebuild``). A log
written before the rule may hold a person in two households at once: such a membership is kept
as the log has it, marked ``recorded_duplicate`` (outside the unique index), and listed by
`duplicates` (``fangpin people duplicates``) — reported, never changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent

from application.store.beside import BesideTable
from application.store.chain import as_bytes, values
from domain.people import (
    MEMBERSHIP_TOPICS,
    Began,
    Ended,
    Membership,
    MembershipBook,
    MembershipChange,
    membership_changes,
)

TABLE = "fangpin_people"
#: The unique index on current memberships: one household per person at a time.
ONE_HOUSEHOLD = "fangpin_people_one_household"
_COLUMNS = ("id_number, household_id, household_code, since_version, member_since, "
            "registered_with, left_on, recorded_duplicate")
#: Most ID numbers asked for in one statement.
_CHUNK = 500


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as columns (arrays to unnest), ``width`` empty ones when there are no rows."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


class PersonTaken(IntegrityError):
    """A save would have made a person a current member of a second household; another save
    recorded the first membership before it. Nothing of this save was recorded."""


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild of the index found in the log."""

    memberships: int
    duplicates: int  # memberships begun while the person was current in another household


class PersonIndex(BesideTable):
    """The ``fangpin_people`` table of one store."""

    name = TABLE

    def __init__(self, datastore: Any, backend: str, events_table: str) -> None:
        super().__init__(datastore, backend, events_table)
        self.position = "notification_id" if self.postgres else "rowid"

    # ------------------------------------------------------------------ writing

    def create_statements(self) -> list[str]:
        if self.postgres:
            kinds, not_duplicate = ("UUID", "BIGINT", "DATE", "BOOLEAN", "FALSE"), "NOT recorded_duplicate"
        else:
            kinds, not_duplicate = ("TEXT", "INTEGER", "TEXT", "INTEGER", "0"), "recorded_duplicate = 0"
        uuid, integer, day, flag, false = kinds
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} (id_number TEXT NOT NULL, "
            f"household_id {uuid} NOT NULL, household_code TEXT NOT NULL, "
            f"since_version {integer} NOT NULL, member_since {day} NOT NULL, "
            f"registered_with {flag} NOT NULL, left_on {day}, "
            f"recorded_duplicate {flag} NOT NULL DEFAULT {false}, "
            "PRIMARY KEY (household_id, id_number, since_version))",
            f"CREATE INDEX IF NOT EXISTS fangpin_people_by_person ON {self.table} (id_number)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {ONE_HOUSEHOLD} ON {self.table} (id_number) "
            f"WHERE left_on IS NULL AND {not_duplicate}",
        ]

    def write(self, cursor: Any, changes: Sequence[MembershipChange]) -> None:
        """Write a save's membership changes with ``cursor``, inside the transaction that
        inserts its events (after them). On SQLite, raises `PersonTaken` when the unique index
        refuses; on PostgreSQL the statements may be pipelined, so the caller asks `taken` of
        the error the transaction ends with."""
        p = self.p
        insert = f"INSERT INTO {self.table} ({_COLUMNS}) VALUES ({', '.join([p] * 8)})"
        end = (f"UPDATE {self.table} SET left_on = {p} "
               f"WHERE household_id = {p} AND id_number = {p} AND left_on IS NULL")
        try:
            for change in changes:
                if isinstance(change, Began):
                    cursor.execute(insert, self._params(change.membership))
                else:
                    cursor.execute(end, (self._day(change.left_on), self._id(change.household_id),
                                         change.id_number))
        except sqlite3.IntegrityError as error:
            raise PersonTaken(str(error)) from error

    @staticmethod
    def in_one_statement(changes: Sequence[MembershipChange]) -> bool:
        """Whether `statement_parts` can write these changes: the parts of one statement see
        one snapshot and run in no set order, so only changes that touch no row twice go
        together — memberships begun (a registration, a join) or ended, not both, each of
        another person. A command's save always qualifies; others are written in order."""
        began = sum(isinstance(change, Began) for change in changes)
        people = {change.id_number for change in changes}
        return began in (0, len(changes)) and len(people) == len(changes)

    def statement_parts(self) -> str:
        """Common table expressions writing a save's changes (PostgreSQL), to go in the
        statement that inserts its events; their parameters are `statement_params`."""
        return (
            f"joined AS (INSERT INTO {self.table} ({_COLUMNS}) SELECT * FROM unnest("
            "%s::text[], %s::uuid[], %s::text[], %s::bigint[], %s::date[], %s::boolean[], "
            "%s::date[], %s::boolean[])), "
            f"ended AS (UPDATE {self.table} AS m SET left_on = e.left_on FROM unnest("
            "%s::date[], %s::uuid[], %s::text[]) AS e(left_on, household_id, id_number) "
            "WHERE m.household_id = e.household_id AND m.id_number = e.id_number "
            "AND m.left_on IS NULL) ")

    def statement_params(self, changes: Sequence[MembershipChange]) -> tuple[list[Any], ...]:
        began = [self._params(c.membership) for c in changes if isinstance(c, Began)]
        ended = [(c.left_on, c.household_id, c.id_number) for c in changes
                 if isinstance(c, Ended)]
        return (*_columns(began, 8), *_columns(ended, 3))

    @staticmethod
    def taken(error: psycopg.errors.UniqueViolation) -> bool:
        """Whether PostgreSQL refused a row of the index (not an event of the log)."""
        return getattr(error.diag, "constraint_name", None) == ONE_HOUSEHOLD

    # ------------------------------------------------------------------ reading

    def memberships_of(self, id_numbers: Iterable[str]) -> list[Membership]:
        """Every membership, current or past, of these people."""
        wanted = sorted(set(id_numbers))
        found: list[Membership] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            found += self._select(f"WHERE id_number IN ({', '.join([self.p] * len(chunk))})", chunk)
        return found

    def duplicates(self) -> list[Membership]:
        """The current memberships of every person who is a current member of more than one
        household (only a log from before the rule can hold one), by person, first recorded
        first."""
        return self._select(
            "WHERE left_on IS NULL AND id_number IN (SELECT id_number FROM "
            f"{self.table} WHERE left_on IS NULL GROUP BY id_number HAVING COUNT(*) > 1) "
            "ORDER BY id_number, recorded_duplicate, since_version, household_code", [])

    def _select(self, where: str, params: Sequence[Any]) -> list[Membership]:
        """One autocommit statement (atomic on its own): a save that changes members reads
        the index once before it writes."""
        statement = f"SELECT {_COLUMNS} FROM {self.table} {where}"
        if self.postgres:
            with self.datastore.get_connection() as connection:
                rows = connection.execute(statement, params).fetchall()
        else:
            with self.datastore.get_connection(commit=False) as connection:
                rows = connection._sqlite_conn.execute(statement, params).fetchall()
        return [self._membership(values(row)) for row in rows]

    # ------------------------------------------------------------------ rebuilding

    def needs_rebuild(self) -> bool:
        """Whether the index is empty while the log has households (a new table on an old log,
        or a log loaded from a backup)."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT 1 FROM {self.table} LIMIT 1")
            if cursor.fetchone() is not None:
                return False
            cursor.execute(f"SELECT 1 FROM {self.events} WHERE topic = {self.p} LIMIT 1",
                           (MEMBERSHIP_TOPICS[0],))
            return cursor.fetchone() is not None

    def rebuild(self, decode: Callable[[StoredEvent], Any], page: int = 5000) -> Rebuilt:
        """Empty the index and fill it again from the log's membership events, in one
        transaction that keeps writers of the log waiting (so none is missed)."""
        book = MembershipBook()
        codes: dict[UUID, str] = {}
        duplicates = 0
        marks = ", ".join([self.p] * len(MEMBERSHIP_TOPICS))
        with self.datastore.transaction(commit=True) as cursor:
            if self.postgres:  # writers insert under ROW EXCLUSIVE: they wait for this
                cursor.execute(f"LOCK TABLE {self.events} IN EXCLUSIVE MODE")
            cursor.execute(f"DELETE FROM {self.table}")  # on SQLite: takes the write lock
            after = 0
            while True:
                cursor.execute(
                    f"SELECT {self.position}, originator_id, originator_version, topic, state "
                    f"FROM {self.events} WHERE topic IN ({marks}) AND {self.position} > {self.p} "
                    f"ORDER BY {self.position} LIMIT {page}", (*MEMBERSHIP_TOPICS, after))
                rows = [values(row) for row in cursor.fetchall()]
                if not rows:
                    break
                for _, raw_id, version, topic, state in rows:
                    household = raw_id if isinstance(raw_id, UUID) else UUID(raw_id)
                    event = decode(StoredEvent(household, version, topic, as_bytes(state)))
                    for change in membership_changes([event], codes.__getitem__):
                        if isinstance(change, Began) and change.membership.since_version == 1:
                            codes[household] = change.membership.household_code
                        duplicates += book.apply(change) is not None
                after = rows[-1][0]
            rows_out = [self._params(m) for m in book.memberships()]
            p = self.p
            cursor.executemany(f"INSERT INTO {self.table} ({_COLUMNS}) "
                               f"VALUES ({', '.join([p] * 8)})", rows_out)
        return Rebuilt(len(rows_out), duplicates)

    # ------------------------------------------------------------------ values

    def _id(self, household_id: UUID) -> Any:
        return household_id if self.postgres else household_id.hex

    def _day(self, day: date | None) -> Any:
        return day if self.postgres or day is None else day.isoformat()

    def _params(self, m: Membership) -> tuple[Any, ...]:
        return (m.id_number, self._id(m.household_id), m.household_code, m.since_version,
                self._day(m.member_since), m.registered_with, self._day(m.left_on),
                m.recorded_duplicate)

    def _membership(self, row: tuple[Any, ...]) -> Membership:
        id_number, household, code, version, since, registered_with, left_on, duplicate = row
        if not self.postgres:
            household, since = UUID(household), date.fromisoformat(since)
            left_on = date.fromisoformat(left_on) if left_on else None
        return Membership(id_number, household, code, int(version), since, bool(registered_with),
                          left_on, bool(duplicate))
