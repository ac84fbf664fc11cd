"""A household's current state, kept in one row with its events (`application.store.states`):
a case file read from it is the one its events replay to, whatever happened to the row — left
behind by a save that did not write it, moved ahead of the log, changed behind the application,
or stored under an older shape — and the audit names every row that differs. Both back ends,
with and without encryption (FANGPIN_TEST_CIPHER_KEY)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import date
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError

from application.app import CaseFiles
from application.commands import RecordVisit
from domain.codes import Check
from domain.household import household_id
from domain.replay import replay
from tests.builders import COUNTY, VILLAGE, family, registering

CODE, OTHER = "130630101001", "130630101002"
ALL_PASSED = dict.fromkeys(Check, True)


def visit(n: int) -> RecordVisit:
    return RecordVisit(visit_id=f"V{n}", visitor="网格员张", checks=ALL_PASSED,
                       occurred_on=date(2024, 12, n))


class StateRows:
    """The states table, reached with plain SQL as someone bypassing the application would."""

    def __init__(self, app: CaseFiles) -> None:
        self.settings = app.settings
        self.sqlite = app.settings.backend == "sqlite"
        self.table = ("fangpin_states" if self.sqlite
                      else f'"{app.settings.postgres_schema}".fangpin_states')
        self.p = "?" if self.sqlite else "%s"

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.sqlite:
            with closing(sqlite3.connect(self.settings.sqlite_file)) as conn, conn:
                return conn.execute(statement, params).fetchall()
        with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def key(self, code: str) -> Any:
        return household_id(code).hex if self.sqlite else household_id(code)

    def get(self, code: str) -> tuple[int, bytes] | None:
        found = self.run(f"SELECT originator_version, state FROM {self.table} "
                         f"WHERE originator_id = {self.p}", (self.key(code),))
        return (found[0][0], bytes(found[0][1])) if found else None

    def set(self, code: str, **columns: Any) -> None:
        assignments = ", ".join(f"{name} = {self.p}" for name in columns)
        self.run(f"UPDATE {self.table} SET {assignments} WHERE originator_id = {self.p}",
                 (*columns.values(), self.key(code)))


@pytest.fixture
def app(make_app) -> CaseFiles:
    """Case files whose household CODE has three visits recorded, one command at a time."""
    app = make_app()
    app.register_household(registering(CODE), by=COUNTY)
    for n in range(1, 4):
        app.execute(CODE, visit(n), by=VILLAGE)
    return app


def replayed(app: CaseFiles, code: str = CODE) -> Any:
    return replay(None, app.events.get(household_id(code)))


def test_every_command_keeps_the_state_with_its_events(app, make_app) -> None:
    """Given a household saved by four commands, its state row is at its version and a fresh
    application (no cache) reads from it the case file its events replay to."""
    rows = StateRows(app)
    assert rows.get(CODE)[0] == 4  # type: ignore[index]
    fresh = make_app(aggregate_cache_mb=0)
    assert fresh.household(CODE) == replayed(fresh)
    assert fresh.household(CODE).version == 4
    assert list(fresh.stale_snapshots()) == []


def test_a_state_left_behind_by_a_save_that_did_not_write_it_is_read_with_the_events_after(
        app, make_app) -> None:
    """Given events saved without the state (a process that keeps none: snapshot interval 0),
    a load reads the row and the events after it: the case file shows the later visits."""
    keeping_none = make_app(snapshot_interval=0, aggregate_cache_mb=0)
    keeping_none.execute(CODE, visit(4), by=VILLAGE)
    keeping_none.execute(CODE, visit(5), by=VILLAGE)
    assert StateRows(app).get(CODE)[0] == 4  # type: ignore[index]
    fresh = make_app(aggregate_cache_mb=0)
    household = fresh.household(CODE)
    assert household.version == 6 and [v.visit_id for v in household.visits][-2:] == ["V4", "V5"]
    assert household == replayed(fresh)
    assert list(fresh.stale_snapshots()) == []


def test_a_state_ahead_of_the_log_is_not_used_and_is_named(app, make_app) -> None:
    """Given a state row whose version has no event in the log (moved ahead behind the
    application), the case file is read from the events, and the audit names the row."""
    StateRows(app).set(CODE, originator_version=9)
    fresh = make_app(aggregate_cache_mb=0)
    assert fresh.household(CODE) == replayed(fresh)
    assert fresh.household(CODE).version == 4
    assert list(fresh.stale_snapshots()) == [(household_id(CODE), 9)]


def test_a_state_changed_behind_the_application_is_named(app, make_app) -> None:
    """Given another household's state copied into this household's row (as stored: encrypted
    when the log is), the case file still reads as its events say and the audit names it."""
    app.register_household(registering(OTHER, members=family(other=1)), by=COUNTY)
    rows = StateRows(app)
    _, other_state = rows.get(OTHER)  # type: ignore[misc]
    rows.set(CODE, state=other_state, originator_version=1)
    fresh = make_app(aggregate_cache_mb=0)
    assert fresh.household(CODE) == replayed(fresh)
    assert fresh.household(CODE).code == CODE
    assert list(fresh.stale_snapshots()) == [(household_id(CODE), 1)]


def test_a_state_of_another_shape_is_not_used_nor_named(app, make_app) -> None:
    """Given a state row stored under an older shape (a value that has since gained a field),
    the case file is read from the snapshot and events, and the audit does not call the row
    changed (no load uses it); the next command stores the state again in today's shape."""
    rows = StateRows(app)
    rows.set(CODE, shape="0123456789abcdef")
    fresh = make_app(aggregate_cache_mb=0)
    assert fresh.household(CODE) == replayed(fresh)
    assert list(fresh.stale_snapshots()) == []
    fresh.execute(CODE, visit(4), by=VILLAGE)
    assert rows.get(CODE)[0] == 5  # type: ignore[index]
    assert make_app(aggregate_cache_mb=0).household(CODE) == replayed(fresh)


def test_two_saves_of_one_household_conflict_and_the_state_follows_the_winner(
        app, make_app) -> None:
    """Given two processes that both read the household at version 4 and each record a visit,
    the second save is refused on the version: its visit is nowhere, and the state row holds
    the first one's, as the events do."""
    first = make_app(aggregate_cache_mb=0).household(CODE)
    second = make_app(aggregate_cache_mb=0).household(CODE)
    recording = {"by": VILLAGE, "at": app.clock(), "command_id": ""}
    first.record_visit(visit_id="FIRST", visitor="甲", checks=ALL_PASSED,
                       occurred_on=date(2024, 12, 20), **recording)
    second.record_visit(visit_id="SECOND", visitor="乙", checks=ALL_PASSED,
                        occurred_on=date(2024, 12, 20), **recording)
    app.save(first)
    with pytest.raises(IntegrityError):
        make_app().save(second)
    fresh = make_app(aggregate_cache_mb=0)
    household = fresh.household(CODE)
    assert household.visits[-1].visit_id == "FIRST" and household.version == 5
    assert StateRows(app).get(CODE)[0] == 5  # type: ignore[index]
    assert household == replayed(fresh)


def test_states_are_stored_encrypted_when_the_log_is(settings, make_app) -> None:
    """With a cipher key, the state row holds no name, ID number or place in plaintext."""
    from application.store.encryption import new_key

    with CaseFiles(replace(settings, cipher_key=new_key())) as app:
        app.register_household(registering(CODE), by=COUNTY)
        _, state = StateRows(app).get(CODE)  # type: ignore[misc]
        assert app.household(CODE).township == "银坊镇"
    for plain in ("王建国", "银坊镇", CODE, "township"):
        assert plain.encode() not in state
