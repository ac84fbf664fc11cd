"""A read model that cannot build a household's rows stops at that event and says so.

`rows_of` builds the rows of a batch and tells which read models could not; `stop_in_batch`
and `stop_in_history` find the event after which a household's rows first fail.

Skipping the household would drop it from the lists while the read model's position moved on;
instead the batch is not written for that read model (its rows and position stay as they were),
and a `Stop` names the event, the household and the error. The stop is kept in the read-model
store, so every process and `fangpin projections status` see it; it goes once the read model
has applied that event (after the builder is fixed), or is emptied for a rebuild.

Rows holding text no store can keep (a NUL: PostgreSQL text has none; the edge refuses it now,
but a log written before may hold one) count as rows that cannot be built, on either back end.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from domain.household import Household
from domain.replay import replay
from projections.rows import ROW_BUILDERS, Rows
from projections.source import LogSource
from projections.tables import COLUMNS

#: The table holding the stops, one row per stopped read model.
STOPS_TABLE = "read_model_stops"


@dataclass(frozen=True)
class Stop:
    """Read model ``model`` could not build the rows of a household after the event at log
    position ``position``: it stays before the batch holding that event until it can."""

    model: str
    position: int  # the event's notification id
    topic: str
    household_id: UUID
    household_code: str | None
    error_type: str
    error: str
    stopped_at: datetime  # when first stopped at this event

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, column) for column in STOP_COLUMNS)

    def describe(self) -> str:
        """One line for people: which read model, event, household and error."""
        return (f"{self.model} stopped at event {self.position} ({self.topic}) of household "
                f"{self.household_code or self.household_id}: {self.error_type}: {self.error}")


#: The stops table's columns: a `Stop`'s fields (the store derives their types from it).
STOP_COLUMNS = tuple(f.name for f in fields(Stop))


@dataclass(frozen=True)
class ReadModelStatus:
    """Where a read model is: its log position, whether a rebuild holds it (seconds since the
    rebuild last renewed its lease), and the stop it is held at, if any."""

    model: str
    position: int
    rebuilding_for: float | None = None
    stop: Stop | None = None

    @property
    def stopped(self) -> bool:
        return self.stop is not None


#: A read model's stop, and the error that stopped it.
Stopped = tuple[Stop, Exception]


@dataclass(frozen=True)
class Failure:
    """Read model ``model``'s row builder raised ``error`` for ``household``."""

    model: str
    household: Household
    error: Exception


def rows_of(models: list[str], households: Collection[Household],
            ) -> tuple[dict[str, Rows], dict[str, Failure]]:
    """The rows of ``households`` in each of ``models``, table by table; and the models that
    cannot build them all, with the first household that failed (none is left out)."""
    rows: dict[str, Rows] = {}
    failures: dict[str, Failure] = {}
    for model in models:
        merged: Rows = {}
        for household in households:
            try:
                part = built_rows(model, household)
            except Exception as error:
                failures[model] = Failure(model, household, error)
                break
            for table, table_rows in part.items():
                merged.setdefault(table, []).extend(table_rows)
        else:
            rows[model] = merged
    return rows, failures


def stop_in_batch(log: LogSource, failure: Failure, events: list[tuple[Any, Any]]) -> Stopped:
    """Where a read model stops when a household's rows failed after a batch holding
    ``events`` of it (notification, event): at the first of them after which its rows cannot
    be built (the household is replayed again from before the batch, event by event)."""
    first = events[0][1]
    household = None if first.originator_version == 1 else log.repository.get(
        first.originator_id, version=first.originator_version - 1, projector_func=replay)
    for notification, event in events:
        household = event.mutate(household)
        error = row_error(failure.model, household)
        if error is not None:
            return _stop_at(log, failure.model, notification.id, notification.topic, household,
                            error)
    last = events[-1][0]
    return _stop_at(log, failure.model, last.id, last.topic, failure.household, failure.error)


def stop_in_history(log: LogSource, failure: Failure, history: list[StoredEvent]) -> Stopped:
    """The same, for a household replayed whole from its stored ``history`` (a rebuild)."""
    to_event = log.mapper.to_domain_event
    household: Household | None = None
    for stored in history:
        household = to_event(stored).mutate(household)
        error = row_error(failure.model, household)
        if error is not None:
            break
    else:
        error = failure.error
    position = log.position_of(stored.originator_id, stored.originator_version)
    return _stop_at(log, failure.model, position, stored.topic, household, error)


def _stop_at(log: LogSource, model: str, position: int, topic: str, household: Any,
             error: Exception) -> Stopped:
    code = getattr(household, "code", None)
    stop = Stop(model=model, position=position, topic=topic, household_id=household.id,
                household_code=_storable(code) if code is not None else None,
                error_type=type(error).__qualname__, error=_storable(str(error)),
                stopped_at=log.clock())
    return stop, error


def unreadable_event(log: LogSource, model: str, position: int, topic: str, household_id: UUID,
                     error: Exception) -> Stopped:
    """Read model ``model`` stops at the event at log ``position`` that cannot be decoded or
    applied to its household (named by id: the household cannot be rebuilt past it)."""
    stop = Stop(model=model, position=position, topic=topic, household_id=household_id,
                household_code=None, error_type=type(error).__qualname__, error=str(error),
                stopped_at=log.clock())
    return stop, error


def replay_history(log: LogSource, history: list[StoredEvent],
                   ) -> tuple[Household | None, tuple[StoredEvent, Exception] | None]:
    """The household its stored ``history`` makes; or, when an event of it cannot be decoded
    or applied, that event and the error."""
    to_event = log.mapper.to_domain_event
    household: Household | None = None
    for stored in history:
        try:
            household = to_event(stored).mutate(household)
        except Exception as error:
            return None, (stored, error)
    return household, None


def row_error(model: str, household: Household) -> Exception | None:
    """What building the household's rows in ``model`` raises (None when they build)."""
    try:
        built_rows(model, household)
    except Exception as error:
        return error
    return None


class UnstorableText(ValueError):
    """A row holds text the read-model store cannot keep."""


def built_rows(model: str, household: Household) -> Rows:
    """The household's rows in ``model``; `UnstorableText` naming the column when one holds a
    NUL (whichever the back end: both keep the same read models)."""
    rows = ROW_BUILDERS[model](household)
    for table, table_rows in rows.items():
        for row in table_rows:
            for index, value in enumerate(msgspec.structs.astuple(row)):
                if isinstance(value, str) and "\x00" in value:
                    raise UnstorableText(f"{table}.{COLUMNS[table][index]} holds a NUL character "
                                         "(U+0000), which a read-model store cannot keep")
    return rows


def _storable(text: str) -> str:
    """A stop's text as a store can keep it (a household code may hold a NUL)."""
    return text.replace("\x00", "\ufffd")
