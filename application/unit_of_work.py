"""The unit of work: one command on one aggregate, saved in one transaction, exactly once.

A command loads its aggregate live from the command cache (or from the log), holds it under its
lock, lets it check the rules, and saves what it triggered in one transaction. A command carries
a client command id: when the aggregate has already recorded that id, the command changes nothing
and answers as the first time. Two writers on one aggregate: the second save fails on the
version number, the loser gets `ConcurrentChange`, nothing of its command is kept, and a retry
(`retrying`) reads the new state.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from itertools import takewhile
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.persistence import Recording as Saved

from application.commands import HouseholdCommand, Recording
from application.deadlines import Deadlines
from application.errors import ConcurrentChange, HouseholdNotFound
from application.settings import Settings
from application.store.cache import MB, AggregateCache, CacheFill
from application.store.log import EventLog
from application.store.snapshots import outdated
from domain.errors import DomainError, InvalidValue
from domain.household import AlertOutcome, Household, household_id
from domain.relief import ReliefBands
from domain.replay import replay
from domain.rules import CHINA_TIME
from domain.values import Actor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandResult:
    """What a command saved: the household, its new version and the log position reached.

    ``position`` is the notification id of the last event the command saved: a caller can wait
    for read models to reach it. ``repeated`` says the command id had been seen and nothing new
    was recorded.
    """

    aggregate_id: UUID
    version: int
    position: int
    outcome: Any = None
    repeated: bool = False


#: Attempts of a command that keeps losing races on its aggregate.
RETRIES = 3


def retrying(command: Callable[[], CommandResult]) -> CommandResult:
    """Run a command, again if it lost a race on its aggregate (at most `RETRIES` times): a
    retry reads the new state, and the command id keeps it from being recorded twice."""
    for attempt in range(RETRIES):
        try:
            return command()
        except ConcurrentChange:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


class UnitOfWork(EventLog):
    """The event log, with commands run on live aggregates under their locks, exactly once."""

    def __init__(
        self, settings: Settings | None = None, *, clock: Callable[[], datetime]
    ) -> None:
        self.clock = clock
        super().__init__(settings)
        self._cache = AggregateCache(round(self.settings.aggregate_cache_mb * MB))
        #: The county's time limits, read once (a bad file stops the start, naming it).
        self.deadlines = Deadlines.load(self.settings.deadlines_path)

    def cache_fill(self) -> CacheFill:
        """How full this process's cache of recently used aggregates is (for operators)."""
        return self._cache.fill()

    # ------------------------------------------------------------------ reading aggregates

    def _household_id(self, code_or_id: str | UUID) -> UUID:
        if isinstance(code_or_id, UUID):
            return code_or_id
        if not isinstance(code_or_id, str) or not code_or_id.strip():
            raise InvalidValue("HOUSEHOLD_CODE", "户编号须为非空文本", "household_code")
        return household_id(code_or_id.strip())

    def _get(self, aggregate_id: UUID) -> Any:
        """A private copy of the aggregate as recorded now (raises AggregateNotFoundError)."""
        aggregate = self._cache.copy(aggregate_id)
        if aggregate is None:
            aggregate = self._load(aggregate_id)
            # Someone reading a case file is likely to act on it next: keep the loaded one live.
            return self._cache.keep_and_copy(aggregate)
        newer = list(self.events.get(aggregate_id, gt=aggregate.version))
        return replay(aggregate, newer) if newer else aggregate

    def _load(self, aggregate_id: UUID) -> Any:
        """The aggregate from its current state (`application.store.states`), else its latest
        snapshot, and the events after it, all read in one statement."""
        select = getattr(self.recorder, "select_current", None)
        if select is None:
            return self.repository.get(aggregate_id, projector_func=replay)
        snapshots = self.snapshots.recorder.events_table_name if self.snapshots else None
        current = select(aggregate_id, self.states.shapes if self.states else (), snapshots)
        to_event = self.mapper.to_domain_event
        try:
            if current.state is not None:
                aggregate = self.states.decode(current.state)  # type: ignore[union-attr]
            elif current.snapshot is not None:
                aggregate = to_event(current.snapshot).mutate(None)
            else:
                aggregate = None
        except Exception as error:
            if current.state is not None:  # a cache: the audit names it; the events still say
                logger.warning("state of %s at version %d does not decode: replayed",
                               aggregate_id, current.state.originator_version)
            elif not outdated(error):
                raise
            return self.repository.get(aggregate_id, projector_func=replay)  # replays past it
        aggregate = replay(aggregate, map(to_event, current.events))
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    def _as_of(self, aggregate_id: UUID, recorded_at: datetime) -> Any:
        if recorded_at.tzinfo is None:  # a wall-clock time in the county
            recorded_at = recorded_at.replace(tzinfo=CHINA_TIME)
        events = takewhile(lambda e: e.timestamp <= recorded_at, self.events.get(aggregate_id))
        aggregate = replay(None, events)
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    # ------------------------------------------------------------------ running commands

    def _on_household(
        self, code: str, command: HouseholdCommand, *, by: Actor, command_id: str,
        allowed: Callable[[Household], None] | None, line_in_force: Decimal | None,
        relief_bands: ReliefBands | None = None,
    ) -> CommandResult:
        """Run ``command`` on the household. ``allowed``: a check of the live household (raising
        a `DomainError`) made before the command, under its lock."""

        def act(household: Household) -> Any:
            if allowed is not None:
                allowed(household)  # e.g. the caller's area: refuses before any change
            recording = Recording(by=by, at=self.clock(), command_id=command_id,
                                  line_in_force=line_in_force, relief_bands=relief_bands,
                                  appeal_answer_days=self.deadlines.appeal_answer_days)
            return command.run(household, recording)

        return self._command(self._household_id(code), code, command_id, act)

    def _command(
        self, aggregate_id: UUID, label: str, command_id: str, act: Callable[[Any], Any], *,
        create: Callable[[], Any] | None = None, then_act: bool = False,
    ) -> CommandResult:
        """Run one command on one aggregate and save what it triggered.

        The aggregate comes live from the cache (or from the log) and is held under its lock.
        A command id the aggregate has recorded answers as the first time. Another process may
        have recorded events since the aggregate was cached: a refusal or a failed save on a
        cached aggregate is tried once more on the aggregate as the log has it now, so a stale
        cache is never the reason for an answer. ``create`` makes the aggregate when the log has
        none (and ``then_act`` runs the command on the new aggregate too).
        """
        with self._cache.lock(aggregate_id):
            aggregate = self._cache.take(aggregate_id)
            from_cache = aggregate is not None
            if aggregate is None:
                try:
                    aggregate = self._load(aggregate_id)
                except AggregateNotFoundError:
                    if create is None:
                        raise HouseholdNotFound(label) from None
                    aggregate = create()
                    if then_act:
                        act(aggregate)
                    return self._save(aggregate, None, label)
            while True:
                if command_id and command_id in aggregate.command_ids:
                    self._cache.put(aggregate)
                    return self._repeated(aggregate, command_id)
                try:
                    outcome = act(aggregate)
                except DomainError:
                    if aggregate.pending_events:
                        raise  # a rule broke half-way: drop the aggregate, reload next time
                    if from_cache and self._newer_events(aggregate):
                        aggregate, from_cache = self._load(aggregate_id), False
                        continue
                    self._cache.put(aggregate)  # refused before any change: still current
                    raise
                try:
                    return self._save(aggregate, outcome, label)
                except ConcurrentChange:
                    if not from_cache:
                        raise
                    aggregate, from_cache = self._load(aggregate_id), False

    @contextlib.contextmanager
    def _holding(self, *aggregate_ids: UUID) -> Iterator[None]:
        """Hold the locks of several aggregates (always in the same order), their live copies
        dropped from the cache: a command on all of them loads each from the log."""
        locks = sorted({id(lock): lock for lock in map(self._cache.lock, aggregate_ids)}.items())
        with contextlib.ExitStack() as stack:
            for _, lock in locks:
                stack.enter_context(lock)
            for aggregate_id in aggregate_ids:
                self._cache.take(aggregate_id)
            yield

    def _save_together(self, label: str, *aggregates: Any) -> list[Saved]:
        """Save what several held aggregates triggered in one transaction, and keep them live."""
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            raise ConcurrentChange(label) from None
        for aggregate in aggregates:
            self._cache.put(aggregate)
        return recordings

    def _save(self, aggregate: Any, outcome: Any, label: str) -> CommandResult:
        try:
            recordings = self.save(aggregate)
        except IntegrityError:
            raise ConcurrentChange(label) from None
        self._cache.put(aggregate)
        return CommandResult(
            aggregate_id=aggregate.id,
            version=aggregate.version,
            position=recordings[-1].notification.id,
            outcome=outcome,
        )

    def _newer_events(self, aggregate: Any) -> bool:
        return bool(self.recorder.select_events(aggregate.id, gt=aggregate.version, limit=1))

    def _repeated(self, aggregate: Any, command_id: str) -> CommandResult:
        version = aggregate.command_ids[command_id]
        outcome = None
        if isinstance(aggregate, Household):
            first = self.events.get(aggregate.id, gt=version - 2, lte=version)
            outcome = _first_outcome(aggregate, first, command_id)
        return CommandResult(
            aggregate_id=aggregate.id,
            version=version,
            position=self.position_of(aggregate.id, version),
            outcome=outcome,
            repeated=True,
        )


def _first_outcome(household: Household, events: Iterable[Any], command_id: str) -> Any:
    """The outcome a repeated command first answered with: the alert it raised (an alert, or a
    visit with a failed check) or the income assessment it made."""
    for event in events:
        if event.command_id != command_id:
            continue
        if isinstance(event, Household.AlertRaised):
            alert = household.alerts[event.alert_id]
            return AlertOutcome(alert.alert_id, alert.case_number, alert.duplicate_of,
                                event.opens_case)
        if isinstance(event, Household.IncomeAssessed):
            return replace(next(a for a in household.assessments
                                if a.assessment_id == event.assessment_id))
    return None
