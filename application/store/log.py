"""The event log: the library's application over our store, and the reads that go around it.

`EventLog` opens the store the settings name (refusing a log written under another key), saves
the pending events of several aggregates in one transaction — with the membership changes they
make, refused if they would put a person in a second household (`domain.people`), written to
the person index in that transaction (`application.store.people`) — snapshots what it saved in
batches, tells listeners the position reached, and answers where things are in the log: an
event's position, the last position, the aggregates that have an event of a given topic, the
household a person was in on a day, and the snapshots that no longer match their events. It
runs no command: that is the unit of work's (`application.unit_of_work`) and the case files'
(`application.app`); the one rule it applies is the domain's rule across households, which only
a save of the whole log can hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent, Repository
from eventsourcing.persistence import Recording
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from application.settings import APP_NAME, Settings
from application.store.ddl import schema_lock
from application.store.encryption import check_store_key
from application.store.people import PersonIndex, PersonTaken, Rebuilt
from application.store.snapshots import SnapshotBatches, outdated, stale_snapshots
from application.store.states import StateCodec, stale_states
from domain.people import (
    Membership,
    MembershipChange,
    PersonInAnotherHousehold,
    household_on,
    membership_changes,
    refuse_second_households,
)
from domain.replay import replay

logger = logging.getLogger(__name__)


class _Repository(Repository[UUID]):
    """The library's repository, replaying from the events an aggregate whose latest snapshot
    is outdated (`SnapshotOutdated`: taken before a fact its events hold was kept)."""

    def _reconstruct_aggregate(self, aggregate_id: UUID, version: int | None,
                               projector_func: Any) -> Any:
        try:
            return super()._reconstruct_aggregate(aggregate_id, version, projector_func)
        except Exception as error:
            if not outdated(error):
                raise
        aggregate = projector_func(None, self.event_store.get(originator_id=aggregate_id,
                                                              lte=version))
        if aggregate is None:
            raise AggregateNotFoundError(f"Aggregate {aggregate_id!r} version {version!r} not found.")
        return aggregate


class EventLog(Application[UUID]):
    """One county's event log, as the settings say where it is and how it is kept."""

    name = APP_NAME
    #: Aggregates snapshotted every ``Settings.snapshot_interval`` events, whose current state
    #: is also kept with their events (`application.store.states`) unless that interval is 0.
    snapshot_kinds: tuple[type, ...] = ()

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        #: Called with the log position after each save (e.g. to wake the read models).
        self.on_saved: list[Callable[[int], None]] = []
        self._snapshot_batches = SnapshotBatches(self.settings.snapshot_interval, self.snapshot_kinds)
        super().__init__(env=self.settings.eventsourcing_env())
        datastore = self.factory.datastore  # type: ignore[attr-defined]
        #: The current states of aggregates of `snapshot_kinds`, kept with their events.
        self.states: StateCodec | None = (
            StateCodec(self.snapshot_kinds, self.mapper.cipher)
            if self.settings.snapshot_interval and self.snapshot_kinds else None)
        #: Who belongs to which household, kept with the log (`application.store.people`).
        self.people: PersonIndex = self.recorder.people  # type: ignore[attr-defined]
        if self.settings.read_only:  # a hot standby: the primary checked (and writes) all this
            return
        try:
            with schema_lock(datastore, self.settings.backend):
                check_store_key(datastore, self.settings.backend, self.settings.cipher_key,
                                log_is_empty=self.max_position() == 0)
                if self.people.needs_rebuild():  # a new index on a log that has households
                    self.rebuild_person_index()
        except Exception:
            Application.close(self)
            raise

    def save(self, *aggregates: Any, **kwargs: Any) -> list[Recording]:
        """Save the pending events of the given aggregates in one transaction.

        The library's `save` checks each object against runtime protocols, which costs more
        than the rest of a one-event command's Python; everything saved here is an aggregate.
        """
        processing = ProcessingEvent[UUID]()
        for aggregate in aggregates:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs.update(kwargs)
        if self.states is not None:  # the states of those that changed, written with the events
            changed = {event.originator_id for event in processing.events}
            processing.saved_kwargs["states"] = self.states.rows(
                aggregate for aggregate_id, aggregate in processing.aggregates.items()
                if aggregate_id in changed)
        changes = membership_changes(processing.events,
                                     lambda household: processing.aggregates[household].code)
        if changes:
            self._refuse_second_households(changes)
            processing.saved_kwargs["people"] = changes
        try:
            recordings = self._record(processing)
        except PersonTaken:  # another save put the person in a household first: say which
            self._refuse_second_households(changes)
            raise
        try:
            self._snapshot_batches.take(self.snapshots, processing)
        except Exception:  # the events are saved; a lost snapshot only costs replay time
            logger.exception("snapshots not written")
        self._notify(recordings)
        if recordings:
            for listener in self.on_saved:
                listener(recordings[-1].notification.id)
        return recordings

    def _refuse_second_households(self, changes: list[MembershipChange]) -> None:
        recorded = self.people.memberships_of(change.id_number for change in changes)
        try:
            refuse_second_households(changes, recorded)
        except PersonInAnotherHousehold as refused:
            other = self.repository.get(refused.other.household_id, projector_func=replay)
            raise refused.located(other.township, other.village) from None

    def household_on(self, id_number: str, day: date) -> Membership | None:
        """The membership a person had on ``day`` (its household), or None: read from the
        person index, so it is never behind the log."""
        number = id_number.strip().upper()
        return household_on(self.people.memberships_of([number]), day)

    def rebuild_person_index(self) -> Rebuilt:
        """Fill the person index again from the log (logged: how many memberships, and how
        many began while the person was in another household)."""
        rebuilt = self.people.rebuild(self.mapper.to_domain_event)
        logger.info("person index rebuilt: %d memberships", rebuilt.memberships)
        if rebuilt.duplicates:
            logger.warning("the log puts %d people in two households at once: "
                           "see `fangpin people duplicates`", rebuilt.duplicates)
        return rebuilt

    def creating_tables(self) -> AbstractContextManager[None]:
        """Hold the store's table-creation lock (`application.store.ddl`) for a block that
        creates tables beside the log (other processes may be creating them too)."""
        return schema_lock(self.factory.datastore, self.settings.backend)  # type: ignore[attr-defined]

    def flush_snapshots(self) -> None:
        """Write the snapshots taken since the last batch (done on close)."""
        self._snapshot_batches.flush(self.snapshots)

    def close(self) -> None:
        try:
            self.flush_snapshots()
        except Exception:
            logger.exception("snapshots not written on close")
        finally:
            super().close()

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        """The notification id (log position) of an aggregate's event."""
        recorder = self.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT rowid FROM {recorder.events_table_name} "
                    "WHERE originator_id=? AND originator_version=?",
                    (aggregate_id.hex, version),
                )
                row = cursor.fetchone()
            return int(row[0])
        if isinstance(recorder, PostgresApplicationRecorder):
            schema = recorder.datastore.schema or "public"
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f'SELECT notification_id FROM "{schema}"."{recorder.events_table_name}" '
                    "WHERE originator_id=%s AND originator_version=%s",
                    (aggregate_id, version),
                )
                row = cursor.fetchone()
            assert row is not None
            return int(row["notification_id"])
        raise TypeError(f"unsupported recorder {type(recorder).__name__}")

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, as its settings say, that replays past outdated snapshots."""
        repository = super().construct_repository()
        repository.__class__ = _Repository  # same state; one method differs
        return repository

    def max_position(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def first_recorded_at(self) -> datetime | None:
        """When the first event of the log was recorded (None while the log is empty): when the
        county began keeping its case files here."""
        first = self.recorder.select_notifications(1, 1)
        return self.mapper.recorded_at(first[0].state) if first else None  # type: ignore[attr-defined]

    def position_at(self, moment: datetime, up_to: int | None = None) -> int:
        """The position of the last event recorded at or before ``moment`` (0 when none), in
        the log up to ``up_to`` (default: its end now).

        Every event recorded later is already in the log when this is asked, so the answer
        never changes afterwards: a result as of ``moment`` pinned to it reads the same events
        however long the log grows. Recorded times are inside the events' state (not in a
        column), and need not follow log order (a loaded history, a corrected clock), so the
        log is read from its end backwards until the first event recorded by ``moment``: the
        events recorded since ``moment``, each decoded only as far as its time.
        """
        up_to = self.max_position() if up_to is None else up_to
        recorded_at = self.mapper.recorded_at  # type: ignore[attr-defined]
        page = 64  # as of a recent time, the answer is a few events back
        while up_to > 0:
            rows = self.recorder.select_states_before(up_to, page)  # type: ignore[attr-defined]
            for position, state in rows:
                if recorded_at(state) <= moment:
                    return int(position)
            if len(rows) < page:
                return 0
            up_to = rows[-1][0] - 1
            page = min(page * 4, 4096)
        return 0

    def originators_of(self, topic: str) -> Iterator[UUID]:
        """Ids of the aggregates with an event of ``topic``, in log order of those events."""
        start = 1
        while True:
            page = self.recorder.select_notifications(start, 1000, topics=[topic])
            if not page:
                return
            for notification in page:
                yield notification.originator_id  # type: ignore[misc]
            start = page[-1].id + 1

    def stale_snapshots(self, progress: Callable[[int, int], None] | None = None,
                        ) -> Iterator[tuple[UUID, int]]:
        """(aggregate, version) of every snapshot and current state (`application.store.states`)
        that differs from replaying the aggregate's events up to its version. Both are a cache
        outside the hash chain: one changed behind the application would change what a case
        file shows, so auditors check them."""
        def replayed(aggregate_id: UUID, version: int) -> Any:
            return replay(None, self.events.get(aggregate_id, lte=version))

        yield from stale_snapshots(self.snapshots, self.settings.backend, replayed, progress)
        if self.states is not None:  # the current states are snapshots too
            yield from stale_states(self.recorder.states,  # type: ignore[attr-defined]
                                    self.states, replayed, progress)
