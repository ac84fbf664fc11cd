"""Keeps the read models following the event log, in batches, exactly once.

A batch is a run of notifications from the log (1,000 by default). The runner applies their
events to the households they belong to (kept in memory between batches; a household not in
memory is loaded from the log as of the version before its first event in the batch), then
writes, per read model that has not yet reached the batch's end, the rows of every household
the batch touched and the new position, in one transaction. Rows are recomputed from the whole
household, so writing a household again is harmless; the tracking record makes each batch count
once. A crash at any point leaves each read model at the position of its last committed batch.

A read model that cannot build a household's rows does not skip it: that batch is not written
for it, and it stops there, with a `Stop` naming the event, the household and the error
(`status`), until a catch-up can apply the batch (`projections.stops`). The others go on.

Three ways to keep up: `catch_up` (after commands, or on demand with `wait_for`), a follower
thread in the application's process (the embedded default), and a worker process on PostgreSQL
woken by NOTIFY and by a periodic poll (`fangpin projections run`). The runner reads the log
through `projections.source.LogSource` (the application's `CaseFiles`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.household import Household
from domain.replay import replay
from projections.backends import open_read_models
from projections.source import KnownPovertyLines, LogSource
from projections.stops import (
    ReadModelStatus,
    Stop,
    replay_history,
    row_error,
    rows_of,
    stop_in_batch,
    stop_in_history,
    unreadable_event,
)
from projections.store import ReadModelStore
from projections.tables import TABLES

logger = logging.getLogger(__name__)

HOUSEHOLD_TOPICS = f"{Household.TOPIC}."
REGISTERED_TOPIC = Household.Registered.TOPIC
#: How long a rebuild's lease on its next tables lasts without renewal (it renews with each
#: chunk of households, about once a second).
REBUILD_LEASE_SECONDS = 60.0
#: At most how many times a rebuild tops up its tables with what the live read models applied
#: while it filled them, before it swaps them in (each round is shorter than the one before).
TOP_UPS = 5
Progress = Callable[[int, int], None]


class Projections:
    """Applies the log to the read models; one catch-up at a time per process."""

    def __init__(
        self, app: LogSource, store: ReadModelStore | None = None, *,
        models: Iterable[str] = TABLES, batch_size: int = 1000, cache_size: int = 20_000,
    ) -> None:
        self.app = app
        self._owns_store = store is None
        self.store = store or open_read_models(app)
        self.models = list(models)
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._households: OrderedDict[UUID, Household] = OrderedDict()
        self._lines = KnownPovertyLines(app)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        #: The read models this process last found stopped (and has not seen advance since).
        self._held: dict[str, _Held] = {}

    # ------------------------------------------------------------------ positions

    def positions(self) -> dict[str, int]:
        return self.store.positions(self.models)

    def position(self) -> int:
        """The position every read model has reached."""
        return self.store.least_position(self.models)

    def status(self) -> dict[str, ReadModelStatus]:
        """Each read model's position, whether a rebuild holds it, and where it is stopped
        (as every process sees it: read from the store)."""
        positions, leases = self.store.positions_and_leases(self.models)
        stops = self.store.stops(self.models)
        return {model: ReadModelStatus(model, positions[model], leases.get(model), stops.get(model))
                for model in self.models}

    def stops(self) -> dict[str, Stop]:
        """The read models held at an event they cannot apply (one query: a health check)."""
        return self.store.stops(self.models)

    # ------------------------------------------------------------------ catching up

    def catch_up(self, progress: Progress | None = None, *, wait: float = -1) -> int:
        """Apply every event recorded since the slowest read model's position, batch by
        batch; returns how many notifications were read. A read model that cannot build a
        household's rows stays before that batch, stopped (`status`), while the others go on.
        ``wait``: seconds to wait for a catch-up already running in this process (-1: as long
        as it takes); 0 read when it does not finish in time."""
        if not self._lock.acquire(timeout=wait):
            return 0
        try:
            with self._lines.in_use():
                return self._catch_up(progress)
        finally:
            self._lock.release()

    def _catch_up(self, progress: Progress | None) -> int:
        """A read model stopped at a batch is left out of the rest of this catch-up (and tried
        again at the next one)."""
        stopped: set[str] = set()
        positions = self._followed()
        if not positions:
            return 0
        start = min(positions.values()) + 1
        end = self.app.max_position()
        done = 0
        while positions and start <= end:
            notifications = self._read(start)
            if not notifications:
                break
            for model in self._still_held(notifications, positions):
                stopped.add(model)
                del positions[model]
            try:
                stops = self._apply(notifications, positions)
            except IntegrityError:
                # Another process applied this batch first, or a rebuild swapped its tables
                # in: carry on from where they are now.
                self._households.clear()
                positions = {model: position for model, position in self._followed().items()
                             if model not in stopped}
                start = min(positions.values(), default=0) + 1
                continue
            for model, (held, error) in stops.items():
                self._hold(held, error)
                stopped.add(model)
                del positions[model]
            done += len(notifications)
            start = max(notifications[-1].id, min(positions.values(), default=0)) + 1
            if progress:
                progress(notifications[-1].id, end)
        for model in positions:  # applied, or already there
            self._held.pop(model, None)
        return done

    def _followed(self) -> dict[str, int]:
        """The positions of the read models to follow. A rebuild elsewhere does not hold them
        up (it fills tables of its own); the tables of one whose process stopped (its lease
        not renewed for `REBUILD_LEASE_SECONDS`) are dropped here."""
        positions, leases = self.store.positions_and_leases(self.models)
        for model, age in leases.items():
            if age >= REBUILD_LEASE_SECONDS and self.store.abandon_rebuild(
                    model, older_than=REBUILD_LEASE_SECONDS):
                logger.warning("read model %s: its rebuild stopped %.0f s ago; its unfinished "
                               "tables are dropped (the live ones were never touched)", model, age)
        return positions

    def _read(self, start: int) -> list[Any]:
        """The next batch of notifications (the lean recorder's reader when there is one)."""
        reader = getattr(self.app.recorder, "select_notification_batch", None)
        if reader is not None:
            return reader(start, self.batch_size)
        return self.app.recorder.select_notifications(start, self.batch_size)

    def _apply(self, notifications: list[Any], positions: dict[str, int],
               ) -> dict[str, tuple[_Held, Exception]]:
        """Write the batch to each read model in ``positions`` not yet past it, and advance
        them there; returns the read models it could not be written to, each with its stop
        and the error (those stay where they were)."""
        end = notifications[-1].id
        behind = [model for model, position in positions.items() if position < end]
        if not behind:
            return {}
        touched: dict[UUID, Household] = {}
        batch: dict[UUID, list[tuple[Any, Any]]] = {}  # each household's (notification, event)
        to_event = self.app.mapper.to_domain_event
        for index, notification in enumerate(notifications):
            if not notification.topic.startswith(HOUSEHOLD_TOPICS):
                self._lines.forget()  # the income-line policy's, say: no read model of its own
                continue
            try:
                event = to_event(StoredEvent(
                    notification.originator_id, notification.originator_version,
                    notification.topic, notification.state,
                ))
                household = touched.get(event.originator_id) or self._household_before(event)
                touched[event.originator_id] = event.mutate(household)
            except Exception as error:  # an event no read model can apply: all stop before it
                return self._stop_before(notifications, index, positions, error)
            batch.setdefault(event.originator_id, []).append((notification, event))
        rows, failures = rows_of(behind, touched.values())
        stops = {}
        for model, failure in failures.items():
            events = batch[failure.household.id]
            stop, error = stop_in_batch(self.app, failure, events)
            stops[model] = (_Held(stop, positions[model], (notifications[0].id, end),
                                  events[-1][1].originator_version), error)
        if rows:
            self.store.apply(end, list(touched), rows, {model: positions[model] for model in rows})
            for model in rows:
                positions[model] = end
            for household_id, household in touched.items():
                self._remember(household_id, household)
        return stops

    def _stop_before(self, notifications: list[Any], index: int, positions: dict[str, int],
                     error: Exception) -> dict[str, tuple[_Held, Exception]]:
        """The event at ``index`` cannot be decoded or applied to its household: apply what
        comes before it, then stop every read model still behind it there (the catch-up leaves
        them out, so none moves past it)."""
        stops = self._apply(notifications[:index], positions) if index else {}
        notification = notifications[index]
        for model, position in positions.items():
            if model not in stops and position < notification.id:
                stop, _ = unreadable_event(self.app, model, notification.id, notification.topic,
                                           notification.originator_id, error)
                stops[model] = (_Held(stop, position), error)
        return stops

    def _stop_rebuild(self, models: list[str], stored: StoredEvent, error: Exception) -> None:
        """No read model being rebuilt can pass ``stored``: each rebuild is abandoned (the
        live tables stay as they are) with a stop at that event, and the catch-up after the
        rebuild follows them no further."""
        position = self.app.position_of(stored.originator_id, stored.originator_version)
        for model in list(models):
            stop, _ = unreadable_event(self.app, model, position, stored.topic,
                                       stored.originator_id, error)
            self._abandon(models, model, stop, error)

    def _abandon(self, models: list[str], model: str, stop: Stop, error: Exception) -> None:
        """Leave ``model`` out of the rest of the rebuild, its next tables dropped, held at
        ``stop``: the live read model goes on as it was."""
        models.remove(model)
        self.store.abandon_rebuild(model)
        self._hold(_Held(stop, self.store.position(model)), error)

    def _household_before(self, event: Any) -> Household | None:
        """The household as it was just before ``event`` (None before its registration)."""
        if event.originator_version == 1:
            return None
        household = self._households.pop(event.originator_id, None)
        if household is not None and household.version == event.originator_version - 1:
            return household
        return self.app.repository.get(
            event.originator_id, version=event.originator_version - 1, projector_func=replay
        )

    def _remember(self, household_id: UUID, household: Household) -> None:
        self._households[household_id] = household
        self._households.move_to_end(household_id)
        while len(self._households) > self.cache_size:
            self._households.popitem(last=False)

    # ------------------------------------------------------------------ stops

    def _hold(self, held: _Held, error: Exception) -> None:
        """Record the stop where every process sees it; log it once (not at every retry)."""
        stop = held.stop
        self.store.record_stop(stop)
        known = self._held.get(stop.model)
        if known is None or (known.stop.position, known.stop.error) != (stop.position, stop.error):
            logger.error("read model %s", stop.describe(), exc_info=error)
        self._held[stop.model] = held

    def _still_held(self, notifications: list[Any], positions: dict[str, int]) -> list[str]:
        """The read models this process stopped at this very batch whose household's rows
        still cannot be built: the batch is not replayed again for them (a retry at every poll
        loads one household, not every household of the batch)."""
        batch = (notifications[0].id, notifications[-1].id)
        still = []
        for model, held in list(self._held.items()):
            if (held.batch, held.position) != (batch, positions.get(model)):
                continue
            household = self.app.repository.get(held.stop.household_id, version=held.version,
                                                projector_func=replay)
            error = row_error(model, household)
            if error is not None:
                self._hold(held, error)
                still.append(model)
        return still

    # ------------------------------------------------------------------ rebuild

    def rebuild(self, models: Iterable[str] | None = None, progress: Progress | None = None) -> int:
        """Rebuild the given read models (all by default) from the log beside the live ones,
        and swap them in (`projections.rebuilds`); returns how many events were read.

        The log is read household by household in id order up to where it stood at the start
        (`_fill`), so each event is decoded once, each household replayed once, and the rows
        go into the tables in key order: the cost per event stays flat as the county grows
        (docs/performance.md); secondary indexes are built once the tables are full. The
        live read models go on being followed and served meanwhile; a catch-up follows the
        swapped-in tables from their position in log order.

        A read model that cannot build a household's rows is left out of the rest of the
        rebuild, with a stop naming the event: its live tables stay as they were, and the
        catch-up that ends the rebuild takes them no further than that event."""
        models = list(models or self.models)
        with self._lock, self._lines.in_use():
            self._households.clear()
            lease = self.store.begin_rebuild(models)
            try:
                done = self._fill(models, lease, progress)
            except IntegrityError:
                logger.warning("read models %s: rebuild lease lost to another rebuild, which "
                               "finishes them; the live tables stay as they are", models)
                done = 0
        done += self.catch_up(progress)
        self.store.analyze(models)
        return done

    def _fill(self, models: list[str], lease: int, progress: Progress | None) -> int:
        """Write the rows of every household as the log stands now into the next tables of
        ``models``, a chunk of households per transaction; top them up with what the live
        read models applied meanwhile; then swap them in at the position they reflect.
        Returns how many events were read. `IntegrityError` when the lease is lost meanwhile.
        A model that cannot build a household's rows is dropped from ``models``."""
        recorder = self.app.recorder
        position = self.app.max_position()
        households = recorder.count_first_events(REGISTERED_TOPIC, position)
        after: UUID | None = None
        filled = done = 0
        while models and (ids := recorder.select_first_event_ids(
            REGISTERED_TOPIC, after, position, self.batch_size
        )):
            lease, read = self._fill_households(models, ids, position, lease)
            done += read
            filled += len(ids)
            after = ids[-1]
            if progress:  # in log positions, as the catch-up that follows reports
                progress(position * filled // max(households, 1), position)
        for _ in range(TOP_UPS):
            if not models or max(self.store.positions(models).values()) <= position:
                break
            lease, read, position = self._top_up(models, position, lease)
            done += read
        if models:
            self.store.end_rebuild(position, models, lease)
        if progress:
            progress(position, position)
        return done

    def _top_up(self, models: list[str], position: int, lease: int) -> tuple[int, int, int]:
        """Bring the next tables from ``position`` to the log's end, household by household
        (those with events since); returns the lease, the events read and the new position."""
        end = self.app.max_position()
        touched: dict[UUID, None] = {}
        start = position + 1
        while start <= end and (notifications := self._read(start)):
            for notification in notifications:
                if notification.id <= end and notification.topic.startswith(HOUSEHOLD_TOPICS):
                    touched[notification.originator_id] = None
            start = notifications[-1].id + 1
        ids, done = sorted(touched), 0
        for chunk in range(0, len(ids), self.batch_size):
            if not models:
                break
            lease, read = self._fill_households(models, ids[chunk:chunk + self.batch_size], end,
                                                lease, replacing=True)
            done += read
        return lease, done, end

    def _fill_households(self, models: list[str], ids: list[UUID], up_to: int, lease: int,
                         *, replacing: bool = False) -> tuple[int, int]:
        """Write the rows of the households ``ids`` as the log stood at ``up_to`` into the next
        tables (``replacing`` their rows there); returns the renewed lease and the events read."""
        stored = self.app.recorder.select_events_of(ids, up_to)
        histories = {household_id: list(events) for household_id, events
                     in groupby(stored, key=lambda event: event.originator_id)}
        replayed = []
        for history in histories.values():
            household, unreadable = replay_history(self.app, history)
            if unreadable is not None:  # no read model can be rebuilt past this event
                self._stop_rebuild(models, *unreadable)
            else:
                replayed.append(household)
        rows, failures = rows_of(models, replayed)
        for model, failure in failures.items():
            stop, error = stop_in_history(self.app, failure, histories[failure.household.id])
            self._abandon(models, model, stop, error)
        if rows:
            lease = self.store.add_rows(rows, lease, replacing=ids if replacing else ())
        return lease, len(stored)

    # ------------------------------------------------------------------ following

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Block until every read model has reached ``position`` (a command's answer), or the
        timeout passes, or a read model is found stopped short of it; catches up in this
        thread meanwhile. True when reached."""
        deadline = time.monotonic() + timeout
        while True:
            if self.position() >= position:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.catch_up(wait=min(left, 0.2))
            if self.position() < position:
                if self._held:  # it will not get there until the builder is fixed
                    return False
                time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))

    def follow(self, interval: float = 1.0, settle: float = 0.1) -> None:
        """Follow the log in a background thread: woken after a save in this process
        (`CaseFiles.on_saved`) and every ``interval`` seconds for other writers.

        Once woken it lets ``settle`` seconds pass before catching up, so that a burst of
        commands is applied as one batch rather than one small batch per command (which costs
        the commands' own thread most of its time). A reader that must see its own write
        passes the command's position and waits for it (`wait_for`)."""
        if self._follower is not None:
            return
        self.app.on_saved.append(lambda _position: self._wake.set())

        def loop() -> None:
            while not self._stop.is_set():
                self._catch_up_logging()
                if self._wake.wait(interval):
                    self._stop.wait(settle)
                self._wake.clear()

        self._follower = threading.Thread(target=loop, name="fangpin-projections", daemon=True)
        self._follower.start()

    def run_worker(self, poll: float = 2.0, stop: threading.Event | None = None,
                   settle: float = 0.1) -> None:
        """Follow the log as a worker process: woken by PostgreSQL NOTIFY on the events
        channel (then ``settle`` seconds for the rest of a burst), and by a poll every ``poll``
        seconds so a lost notification never stalls it."""
        stop = stop or self._stop
        channel = getattr(self.app.recorder, "channel_name", None)
        if self.app.settings.backend != "postgres" or channel is None:
            while not stop.is_set():
                self._catch_up_logging()
                stop.wait(poll)
            return
        import psycopg

        url = self.app.settings.database_url or ""
        with psycopg.connect(url, autocommit=True) as listener:
            listener.execute(f'LISTEN "{channel}"')
            while not stop.is_set():
                self._catch_up_logging()
                # The generator holds the connection's lock until it ends: drain only after.
                woken = any(True for _ in listener.notifies(timeout=poll, stop_after=1))
                if woken:  # let a burst of commits gather into one batch (as `follow` does)
                    stop.wait(settle)
                    for _ in listener.notifies(timeout=0):
                        pass  # those commits are in the batch about to be read

    def _catch_up_logging(self) -> None:
        try:
            self.catch_up()
        except Exception:  # keep following: a failed batch is retried at the next wake-up
            logger.exception("read models could not catch up")

    def __enter__(self) -> Projections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
            self._follower = None
        if self._owns_store:
            self.store.close()


@dataclass(frozen=True)
class _Held:
    """A stop as this process met it: the read model's position then, and the batch (its first
    and last log positions) and the household's version after it, whose rows failed."""

    stop: Stop
    position: int
    batch: tuple[int, int] | None = None
    version: int = 0
