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
from projections.source import LogSource
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
#: How long a rebuild's lease on its read models lasts without renewal (it renews with each
#: chunk of households, about once a second).
REBUILD_LEASE_SECONDS = 60.0
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
                # Another process applied this batch first, or started rebuilding a read
                # model: carry on from where they are now.
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
        """The positions of the read models this process should follow now: not those another
        process is rebuilding (a lease renewed within `REBUILD_LEASE_SECONDS`). A read model
        whose rebuilder stopped (an older lease) is emptied and followed from 0."""
        positions, leases = self.store.positions_and_leases(self.models)
        for model, age in leases.items():
            if age < REBUILD_LEASE_SECONDS:
                positions.pop(model)
            elif self.store.drop_if_abandoned(model, REBUILD_LEASE_SECONDS):
                logger.warning("read model %s: its rebuild stopped %.0f s ago; following the "
                               "log from the start", model, age)
                positions[model] = 0
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
                continue  # the income-line policy: no read model of its own yet
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
        """Every read model being rebuilt stops at ``stored`` (emptied, as a failed builder
        leaves it): the catch-up after the rebuild follows them no further than that event."""
        position = self.app.position_of(stored.originator_id, stored.originator_version)
        for model in list(models):
            stop, _ = unreadable_event(self.app, model, position, stored.topic,
                                       stored.originator_id, error)
            models.remove(model)
            self.store.drop(model, indexes=False)
            self._hold(_Held(stop, 0), error)

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
        """Empty the given read models (all by default) and rebuild them from the log; returns
        how many events were read.

        The log is read household by household in id order, up to the position reached when
        the rebuild starts (`_fill`), then followed in log order for what came after. Each
        event is decoded once and each household replayed once, and the rows go into the
        tables in key order, so the tables grow at their right edge rather than at random
        pages: the cost per event stays flat as the county grows (docs/performance.md). The
        secondary indexes are built once the tables are full, for the same reason; were the
        process stopped before, opening the store again builds them (`create_tables`).

        While it fills them, the rebuild holds a lease on the read models, renewed with every
        chunk: followers in other processes leave them alone meanwhile, and take them over
        (emptied, from the start) once the lease is older than `REBUILD_LEASE_SECONDS`. Should
        the lease be lost (another rebuild emptied them, or a follower took them over), this
        one empties them again and follows the log from the start, taking turns with others.

        A read model that cannot build a household's rows is emptied again, with a stop
        naming the event, and followed from the start in log order by the catch-up that ends
        the rebuild: it stops before the batch holding that event, as a catch-up does."""
        models = list(models or self.models)
        with self._lock:
            self._households.clear()
            lease = self.store.begin_rebuild(models)
            try:
                done = self._fill(list(models), lease, progress)
            except IntegrityError:
                logger.warning("read models %s: rebuild lease lost to another process; "
                               "following the log from the start", models)
                for model in models:
                    self.store.drop(model, indexes=False)
                done = 0
        done += self.catch_up(progress)
        for model in models:
            self.store.create_indexes(model)
        self.store.analyze()
        return done

    def _fill(self, models: list[str], lease: int, progress: Progress | None) -> int:
        """Write the rows of every household as the log stands now into the emptied ``models``,
        a chunk of households per transaction, then record the position they reflect; returns
        how many events were read. `IntegrityError` when the lease is lost meanwhile. A model
        that cannot build a household's rows is dropped from ``models`` (and from the fill)."""
        recorder = self.app.recorder
        position = self.app.max_position()
        households = recorder.count_first_events(REGISTERED_TOPIC, position)
        after: UUID | None = None
        filled = done = 0
        while models and (ids := recorder.select_first_event_ids(
            REGISTERED_TOPIC, after, position, self.batch_size
        )):
            stored = recorder.select_events_of(ids, position)
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
                models.remove(model)
                self.store.drop(model, indexes=False)
                self._hold(_Held(stop, 0), error)
            if rows:
                lease = self.store.add_rows(rows, lease)
            done += len(stored)
            filled += len(ids)
            after = ids[-1]
            if progress:  # in log positions, as the catch-up that follows reports
                progress(position * filled // max(households, 1), position)
        if models:
            self.store.end_rebuild(position, models, lease)
        if progress and not households:
            progress(position, position)
        return done

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
                for _ in listener.notifies(timeout=poll, stop_after=1):
                    # Let a burst of commits gather into one batch (as `follow` does).
                    stop.wait(settle)
                    for _ in listener.notifies(timeout=0):
                        pass  # those commits are in the batch about to be read
                    break

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
