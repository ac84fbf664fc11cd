"""Readers of the log (the projections) rely on notification ids becoming visible in order:
a reader that has passed id N must never later find an event with a smaller id."""

from __future__ import annotations

import threading
from datetime import date

from application.commands import RaiseAlert
from domain.codes import Channel, RiskType
from tests.builders import COUNTY, VILLAGE, family, registering


def test_concurrent_writers_never_leave_a_gap_that_fills_later(make_app):
    app = make_app()
    writers, commands = 4, 60
    codes = [f"13063010100{n}" for n in range(writers)]
    heads = {code: family(n)[0].id_number for n, code in enumerate(codes)}
    for n, code in enumerate(codes):
        app.register_household(registering(code, members=family(n)), by=COUNTY)
    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        while True:
            finished = done.is_set()
            start = (seen[-1] + 1) if seen else 1
            seen.extend(n.id for n in app.recorder.select_notifications(start, 500))
            if finished:
                return

    def write(code: str) -> None:
        for n in range(commands):
            app.execute(code, RaiseAlert(alert_id=f"A{n}", channel=Channel.SELF_DECLARATION,
                                         person_id_number=heads[code], risk_types=[RiskType.ILLNESS],
                                         period=f"p{n}", occurred_on=date(2025, 1, 1)), by=VILLAGE)

    reader = threading.Thread(target=read)
    threads = [threading.Thread(target=write, args=(code,)) for code in codes]
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()

    everything = [n.id for n in app.recorder.select_notifications(1, 10_000)]
    assert len(everything) == writers * (commands + 1)
    assert seen == everything, "an event became visible after a later one had been read"
