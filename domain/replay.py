"""Replaying a case file: an aggregate is the fold of its events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply events in order (the library's projector minus a per-event protocol check that
    costs more than applying the event)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class SnapshotOutdated(Exception):
    """Raised by an upcast that cannot bring a snapshot to its class's version (the snapshot
    lacks facts its events hold): the snapshot is a cache to skip, and the aggregate is
    replayed from its events instead."""
