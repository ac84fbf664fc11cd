"""The access log on both back ends, as a server keeps it: reads recorded in batches are all
there for an auditor's query at once, and all in the table once the server closes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.app import CaseFiles
from domain.codes import Role

AUDITOR_SEES = User("county-01", Role.COUNTY_CENTRE)


def test_batched_reads_are_all_logged_for_queries_and_after_close(make_app, clock) -> None:
    """Given 300 reads of case files by eight threads of a server (more than one batch), the
    server's own query of the log finds every one at once, and once it closes so does any
    other process's."""
    app: CaseFiles = make_app()
    datastore, backend = app.factory.datastore, app.settings.backend  # type: ignore[attr-defined]
    served = AccessLog(datastore, backend=backend, clock=clock, batched=True)
    codes = [f"1306301010{n:02d}" for n in range(60)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: served.record(AUDITOR_SEES, codes[n % 60], "/api/households"),
                      range(300)))
    assert len(served.query(limit=1000)) == 300
    served.record(AUDITOR_SEES, codes[0], "/api/households", "refused:OUTSIDE_AREA")
    served.close()
    elsewhere = AccessLog(datastore, backend=backend)
    logged = elsewhere.query(household_code=codes[0], limit=1000)
    assert [r.outcome for r in logged] == ["refused:OUTSIDE_AREA"] + ["read"] * 5


def test_a_writer_whose_store_is_closed_under_it_says_so_once_and_stops(make_app, clock,
                                                                        caplog) -> None:
    """A server's store closed before its access log (an abrupt shutdown): the writer logs the
    reads it could not write once and stops, where it used to retry and log a traceback every
    0.2 s for as long as the process lived."""
    app: CaseFiles = make_app()
    datastore, backend = app.factory.datastore, app.settings.backend  # type: ignore[attr-defined]
    served = AccessLog(datastore, backend=backend, clock=clock, batched=True)
    served.record(AUDITOR_SEES, "130630101001", "/api/households")
    served.query()  # the writer is running and has written the first read
    datastore.close()
    served.record(AUDITOR_SEES, "130630101002", "/api/households")
    writer = served._writer
    assert writer is not None
    writer.join(timeout=10)
    assert not writer.is_alive()
    errors = [r for r in caplog.records if r.name == "application.accounts.access_log"]
    assert [r.getMessage() for r in errors] == [
        "access log: 1 reads not written: the store was closed before the access log"]
