"""What the projections read of the event log, and nothing more.

The read models depend on the domain and on the event store, not on the application's use
cases: the runner is handed a `LogSource` — in practice the application's `CaseFiles` (an
`application.store.log.EventLog`), which has every member below — and uses only these
operations of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import StoredEvent

from domain.policy import INCOME_LINE_POLICY_ID


class LogSettings(Protocol):
    """Where the log is: the read models live beside it."""

    @property
    def backend(self) -> str: ...  # "sqlite" or "postgres"

    @property
    def sqlite_file(self) -> Path: ...

    @property
    def database_url(self) -> str | None: ...


class LogReader(Protocol):
    """The log's reading operations a catch-up and a rebuild use (the event store's recorder).

    A recorder may also offer ``select_notification_batch(start, limit)`` (a leaner reader of
    the same notifications) and, on PostgreSQL, ``channel_name`` (the NOTIFY channel of new
    events); the runner uses them when present."""

    def select_notifications(self, start: int, limit: int) -> Sequence[Any]: ...

    def count_first_events(self, topic: str, up_to: int) -> int: ...

    def select_first_event_ids(
        self, topic: str, after: UUID | None, up_to: int, limit: int
    ) -> list[UUID]: ...

    def select_events_of(self, originator_ids: Sequence[UUID], up_to: int) -> list[StoredEvent]: ...


@runtime_checkable
class LogSource(Protocol):
    """The event log as the projections read it."""

    @property
    def settings(self) -> LogSettings: ...

    @property
    def recorder(self) -> Any: ...  # a `LogReader`

    @property
    def mapper(self) -> Any: ...  # ``to_domain_event(stored)``

    @property
    def repository(self) -> Any: ...  # ``get(id, version=…, projector_func=…)``

    @property
    def factory(self) -> Any: ...  # ``datastore``: the PostgreSQL pool the read models share

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def on_saved(self) -> list[Callable[[int], None]]: ...  # called with each save's position

    def max_position(self) -> int: ...

    def creating_tables(self) -> AbstractContextManager[None]: ...  # the store's DDL lock

    def position_of(self, aggregate_id: UUID, version: int) -> int: ...


PovertyLines = tuple[tuple[date, Decimal], ...]
_POVERTY_LINES: ContextVar[Callable[[], PovertyLines]] = ContextVar(
    "poverty_lines", default=lambda: ())


def poverty_lines_in_use() -> PovertyLines:
    """The county's poverty lines for the rows being built (`KnownPovertyLines.in_use`;
    none outside a runner's catch-up or rebuild)."""
    return _POVERTY_LINES.get()()


class KnownPovertyLines:
    """The county's poverty lines as its log holds them now, for the rows a runner writes: read
    from the income-line policy when first wanted, and again once the runner has applied an
    event of anything but a household (the policy's may change them)."""

    def __init__(self, log: LogSource) -> None:
        self.log = log
        self._lines: PovertyLines | None = None

    def __call__(self) -> PovertyLines:
        if self._lines is None:
            try:
                policy = self.log.repository.get(INCOME_LINE_POLICY_ID)
            except AggregateNotFoundError:
                return ()
            self._lines = policy.poverty_lines_in_force()
        return self._lines

    def forget(self) -> None:
        self._lines = None

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Rows built meanwhile, in this thread, are found with these lines."""
        token = _POVERTY_LINES.set(self)
        try:
            yield
        finally:
            _POVERTY_LINES.reset(token)
