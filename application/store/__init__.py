"""The event store's machinery: how the case files' events are kept, sealed, encrypted, read and
cached, under the eventsourcing library.

- `recorders`: the library's SQLite and PostgreSQL recorders, with leaner hot paths;
- `mapper`: events and snapshots as strictly typed msgspec JSON;
- `chain`: each event sealed into its aggregate's hash chain as it is written;
- `people`: the person index (who is in which household), written with the events;
- `encryption`: the key the log was written under, checked before anything is read;
- `cache`: live aggregates for commands, under striped locks;
- `snapshots`: snapshots taken from saved aggregates, written in batches;
- `states`: each household's current state, written with its events: a load reads one row;
- `log`: the application over the store — saving, positions, raw reads of the log;
- `beside`: where the tables kept beside the log are.
"""
