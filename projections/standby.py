"""The read models as a PostgreSQL hot standby has them (`FANGPIN_READ_DATABASE_URL`).

The standby is a physical copy of the primary, kept by PostgreSQL's own streaming replication:
its read-model tables and their tracking positions are the primary's, as of the last WAL it
replayed. It cannot apply anything itself (it is read-only), so a reader that asks for a log
position waits for two things: the primary's read models reaching it (the primary's
`Projections` catch up), then the standby replaying that commit.
"""

from __future__ import annotations

import time

from projections.backends import PostgresReadModels
from projections.runner import Projections
from projections.source import LogSource


class StandbyReadModels:
    """Where the standby's read models are, and waiting for them (what a list's ``after``
    does); the same face as `Projections` for those two questions."""

    def __init__(self, standby: LogSource, primary: Projections) -> None:
        self.store = PostgresReadModels(standby.factory.datastore, read_only=True)
        self.primary = primary
        self.models = primary.models

    def position(self) -> int:
        """The position every read model has reached on the standby."""
        return self.store.least_position(self.models)

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Block until the standby's read models have reached ``position``, or ``timeout``
        passes; the primary's catch up meanwhile (the standby can only replay them). True
        when reached."""
        deadline = time.monotonic() + timeout
        while True:
            if self.position() >= position:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.primary.position() < position:
                self.primary.catch_up(wait=min(left, 0.2))
            time.sleep(min(0.02, max(deadline - time.monotonic(), 0)))
