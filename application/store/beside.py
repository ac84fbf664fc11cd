"""Tables kept beside the event log (users, access log, chain, checkpoints…): where they are.

On SQLite they share the log's file and need no prefix; on PostgreSQL they live in the log's
schema. One rule, so every such table of a store is found in the same place.
"""

from __future__ import annotations

from typing import Any


def beside_log(datastore: Any, backend: str, name: str) -> str:
    """The qualified name of table ``name`` in the store of ``datastore``."""
    schema = getattr(datastore, "schema", None) if backend == "postgres" else None
    return f'"{schema}".{name}' if schema else name


def placeholder(backend: str) -> str:
    """The parameter mark of the back end's driver."""
    return "%s" if backend == "postgres" else "?"


class BesideTable:
    """The SQL of one table kept beside the log, written with the log's events: where it and
    the events table are, and the back end's dialect."""

    #: The table's name (unqualified); set by each subclass.
    name = ""

    def __init__(self, datastore: Any, backend: str, events_table: str) -> None:
        self.datastore, self.backend = datastore, backend
        self.postgres = backend == "postgres"
        self.p = placeholder(backend)
        self.table = beside_log(datastore, backend, self.name)
        self.events = beside_log(datastore, backend, events_table)
