"""Figures are computed one at a time in a process, with a short queue (`OneAtATime`)."""

from __future__ import annotations

import threading

from application.errors import Busy

#: How many computations may wait for the one running, in a process: with more, a request is
#: refused as busy rather than holding a server thread (12 a worker: `interfaces.http.app`)
#: that lighter requests need.
WAITING_AT_MOST = 4


class OneAtATime:
    """Figures are computed one at a time in a process. A computation reads every household in
    its scope in Python: under the GIL, two at once take about as long as one after the other,
    but hold the memory of both, and each slows every other request of the process as much (a
    soak's workers, serving several verifications at once, grew with the computations in
    flight). At most ``waiting_at_most`` wait their turn; one more is refused (`Busy`).
    Re-entrant: a computation may ask for another."""

    def __init__(self, waiting_at_most: int = WAITING_AT_MOST) -> None:
        self.waiting_at_most = waiting_at_most
        self.waiting = 0
        self._turn = threading.RLock()
        self._count = threading.Lock()

    def __enter__(self) -> None:
        if self._turn.acquire(blocking=False):  # free, or this thread's already
            return
        with self._count:
            if self.waiting >= self.waiting_at_most:
                raise Busy("FIGURES_BUSY", f"正在计算考核指标，另有 {self.waiting} 项在排队；"
                                           "本次未计算，请稍后重试")
            self.waiting += 1
        try:
            self._turn.acquire()
        finally:
            with self._count:
                self.waiting -= 1

    def __exit__(self, *exc: object) -> None:
        self._turn.release()


#: The gate every computation of figures in the process goes through.
FIGURES = OneAtATime()
