"""The provincial person index: who is a member of which household, in which county, now.

A read model in the province's store, kept by following each county's log: the membership
events (`domain.people.MEMBERSHIP_TOPICS`) after the position reached in that county become the
same membership changes the county's own index writes (`domain.people.membership_changes`).
One tracking row per county (its code, the log position reached) is written in the same
province-store transaction as the rows it covers, so each event applies exactly once and a
process killed at any point leaves rows and position agreeing: the next catch-up goes on from
there. Two catch-ups of one county racing cannot both apply a batch: the tracking row is moved
only from the position the batch was read after.

Nothing joins across stores: a county's memberships reach the province only through its log.
Reading the index (`placements`, `position`) never catches up nor writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from application.app import CaseFiles
from application.province.deployment import County, Deployment
from application.store.beside import beside_log, placeholder
from application.store.chain import values
from application.store.ddl import schema_lock
from domain.people import MEMBERSHIP_TOPICS, Began, membership_changes

MEMBERS_TABLE = "fangpin_province_people"
TRACKING_TABLE = "fangpin_province_people_tracking"
#: Log notifications read (and applied in one transaction) at a time.
BATCH = 1000
#: Most ID numbers asked for in one statement.
_CHUNK = 500


@dataclass(frozen=True)
class Placement:
    """A current membership as the province sees it: the county and the household's code."""

    county: str
    household_code: str


class _Moved(Exception):
    """Another catch-up of the county moved its position first: this batch is not applied."""


class ProvincialPeople:
    """The province's index of current memberships in every county of ``deployment``."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        province = deployment.province()
        self.datastore: Any = province.factory.datastore  # type: ignore[attr-defined]
        self.backend = province.settings.backend
        self.p = placeholder(self.backend)
        self.members = beside_log(self.datastore, self.backend, MEMBERS_TABLE)
        self.tracking = beside_log(self.datastore, self.backend, TRACKING_TABLE)
        self._create_tables()

    # ------------------------------------------------------------------ reading

    def placements(self, id_numbers: Iterable[str]) -> dict[str, list[Placement]]:
        """Where each of these people is a current member (an empty list: in no county's
        household, as far as the index has followed the logs)."""
        wanted = sorted(set(id_numbers))
        found: dict[str, list[Placement]] = {id_number: [] for id_number in wanted}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            rows = self._read(
                f"SELECT id_number, county, household_code FROM {self.members} "
                f"WHERE left_on IS NULL AND id_number IN ({', '.join([self.p] * len(chunk))}) "
                "ORDER BY id_number, county, household_code", chunk)
            for id_number, county, code in rows:
                found[id_number].append(Placement(county, code))
        return found

    def position(self, county_code: str) -> int:
        """How far the index has followed the county's log (0: not at all)."""
        rows = self._read(f"SELECT position FROM {self.tracking} WHERE county = {self.p}",
                          (county_code,))
        return int(rows[0][0]) if rows else 0

    def _read(self, statement: str, params: Any) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return [values(row) for row in cursor.fetchall()]

    # ------------------------------------------------------------------ following

    def catch_up(self, county: County, app: CaseFiles, *, batch: int = BATCH) -> int:
        """Apply the county's membership events the index has not seen, ``batch`` log
        positions' worth per transaction; the position reached."""
        code = county.code
        self._track(code)
        while True:
            position, end = self.position(code), app.max_position()
            if position >= end:
                return position
            found = app.recorder.select_notifications(
                position + 1, batch, stop=end, topics=list(MEMBERSHIP_TOPICS))
            reached = found[-1].id if len(found) == batch else end
            try:
                self._apply(code, app, found, position, reached)
            except _Moved:  # another catch-up applied it (or a rebuild emptied the index)
                self._track(code)

    def catch_up_all(self) -> dict[str, int]:
        """Catch up with every county of the deployment; the position reached in each."""
        reached = {}
        for county in self.deployment.counties():
            with CaseFiles(self.deployment.county_settings(county.code),
                           clock=self.deployment.clock) as app:
                reached[county.code] = self.catch_up(county, app)
        return reached

    def rebuild(self) -> dict[str, int]:
        """Empty the index and follow every county's log again from its start."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.members}")
            cursor.execute(f"DELETE FROM {self.tracking}")
        return self.catch_up_all()

    def _apply(self, county: str, app: CaseFiles, notifications: Any, after: int,
               reached: int) -> None:
        """One batch: its rows and the county's new position, in one transaction."""
        p = self.p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"UPDATE {self.tracking} SET position = {p} "
                           f"WHERE county = {p} AND position = {p} RETURNING county",
                           (reached, county, after))
            if cursor.fetchone() is None:
                raise _Moved
            for notification in notifications:
                event = app.mapper.to_domain_event(notification)
                for change in membership_changes([event], lambda h: self._code_of(cursor, county, h)):
                    if isinstance(change, Began):
                        m = change.membership
                        cursor.execute(
                            f"INSERT INTO {self.members} (county, id_number, household_id, "
                            f"household_code, since_version, left_on) VALUES ({p}, {p}, {p}, {p}, {p}, NULL)",
                            (county, m.id_number, str(m.household_id), m.household_code,
                             m.since_version))
                    else:
                        cursor.execute(
                            f"UPDATE {self.members} SET left_on = {p} WHERE county = {p} "
                            f"AND household_id = {p} AND id_number = {p} AND left_on IS NULL",
                            (_day(change.left_on), county, str(change.household_id),
                             change.id_number))

    def _code_of(self, cursor: Any, county: str, household_id: UUID) -> str:
        """A household's code, from its registration's rows (kept after its members leave)."""
        cursor.execute(f"SELECT household_code FROM {self.members} WHERE county = {self.p} "
                       f"AND household_id = {self.p} LIMIT 1", (county, str(household_id)))
        row = cursor.fetchone()
        if row is None:
            raise LookupError(f"{county}: household {household_id} joined before it registered")
        return str(values(row)[0])

    # ------------------------------------------------------------------ tables

    def _track(self, county: str) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"INSERT INTO {self.tracking} (county, position) VALUES "
                           f"({self.p}, 0) ON CONFLICT (county) DO NOTHING", (county,))

    def _create_tables(self) -> None:
        integer = "BIGINT" if self.backend == "postgres" else "INTEGER"
        with schema_lock(self.datastore, self.backend), \
                self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.members} (county TEXT NOT NULL, "
                "id_number TEXT NOT NULL, household_id TEXT NOT NULL, "
                f"household_code TEXT NOT NULL, since_version {integer} NOT NULL, left_on TEXT, "
                "PRIMARY KEY (county, household_id, id_number, since_version))")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS fangpin_province_people_by_person "
                           f"ON {self.members} (id_number)")
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.tracking} ("
                           f"county TEXT PRIMARY KEY, position {integer} NOT NULL)")


def _day(day: date) -> str:
    return day.isoformat()
