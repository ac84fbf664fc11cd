"""The province's read models follow every county's log, county by county.

Each provincial read model (the person index, `application.province.people`; the counties'
figures, `application.province.figures`) keeps one tracking position per county in the
province's store, written in the same transaction as the rows it covers: each county's events
count once, and a process killed at any moment resumes from what was committed. The follower
only says when: it opens each county's store once and asks every model to catch up with it —
after a push is routed, on demand (``fangpin province catch-up``), and in the background of
`fangpin serve` (a thread of its parent process, on either back end).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from application.app import CaseFiles
from application.province.deployment import County, Deployment

logger = logging.getLogger(__name__)

#: How often the background follower looks at the counties' logs (a county whose log moved has
#: its year's figures recomputed from its log: seconds for a large county, so not too often).
POLL_SECONDS = 30.0


class ProvincialModel(Protocol):
    """A read model of the province kept from every county's log."""

    def catch_up(self, county: County, app: CaseFiles) -> int: ...


class ProvinceFollower:
    """Brings the province's read models up to every county's log."""

    def __init__(self, deployment: Deployment, models: list[ProvincialModel], *,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.deployment, self.models, self.clock = deployment, models, clock
        self._stores: dict[str, CaseFiles] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def store(self, county: County) -> CaseFiles:
        """The county's store, opened once."""
        with self._lock:
            if county.code not in self._stores:
                settings = self.deployment.county_settings(county.code)
                self._stores[county.code] = CaseFiles(settings, clock=self.clock)
            return self._stores[county.code]

    def catch_up(self, only: type | None = None) -> dict[str, int]:
        """Every model (``only``: those of one class) up to every county's log; the
        position each county's log was followed to."""
        reached: dict[str, int] = {}
        counties = self.deployment.counties()
        # model by model, each over every county: a later model (forwarding held rows) sees
        # an earlier one (the person index) caught up with all the counties, not only its own
        for model in self.models:
            if only is None or isinstance(model, only):
                for county in counties:
                    try:
                        reached[county.code] = model.catch_up(county, self.store(county))
                    except Exception:  # said, not swallowed; the other counties go on
                        logger.exception("%s could not catch up with county %s",
                                         type(model).__name__, county.code)
        return reached

    def follow(self, poll_seconds: float = POLL_SECONDS) -> threading.Thread:
        """Catch up now and every ``poll_seconds`` in a thread, until `close`."""

        def run() -> None:
            while not self._stopping.is_set():
                try:
                    self.catch_up()
                except Exception:  # said, not swallowed: the next round tries again
                    logger.exception("provincial read models could not catch up")
                self._stopping.wait(poll_seconds)

        self._thread = threading.Thread(target=run, name="fangpin-province", daemon=True)
        self._thread.start()
        return self._thread

    def close(self) -> None:
        """Stop following (the round under way ends first), and close the counties' stores."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            store.close()
