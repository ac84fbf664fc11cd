"""What a cached household costs in memory: as the live object commands once kept, and as the
encoded bytes the aggregate cache keeps now (`application.store.cache`), by tracemalloc.

    python -m bench.cache_memory [HOUSEHOLDS]    # a demo county of HOUSEHOLDS (default 3,000)

The demo county is loaded into a throw-away SQLite file; each household is then read back
from the log (snapshot and events, no cache) as a command would load it. Not part of
``python -m bench``: it prints its table and writes nothing.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from application.app import CaseFiles
from application.demo import DEMO_UNTIL, generate_county, load_demo
from application.settings import Settings
from application.store.cache import AggregateCache
from bench.common import Clock

#: Households of at least this many events are reported apart (a county's busy cases).
BUSY = 20


def traced(make: Callable[[], Any]) -> tuple[Any, int]:
    """What ``make`` returns, and the bytes still allocated once it has returned."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    made = make()
    gc.collect()
    return made, tracemalloc.get_traced_memory()[0] - before


def main(households: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(sqlite_path=Path(tmp) / "demo.sqlite3", aggregate_cache_mb=0,
                            signing_key_path=Path(tmp) / "key.pem", checkpoint_dir=Path(tmp) / "cp")
        with CaseFiles(settings, clock=Clock()) as app:
            load_demo(app, households)
            codes = [demo.code for demo in generate_county(households, until=DEMO_UNTIL)]
            app.household(codes[0])  # decoders made before anything is counted
            tracemalloc.start()
            try:
                rows = [("all", codes)]
                sizes = {code: app.household(code).version for code in codes}
                rows.append((f"{BUSY}+ events", [c for c in codes if sizes[c] >= BUSY]))
                print(f"{households:,} demo households: events median "
                      f"{statistics.median(sizes.values()):g}, max {max(sizes.values())}\n")
                print("| households | n | live (B each) | encoded, counted (B each) "
                      "| encoded, traced (B each) | live / encoded |")
                print("|---|--:|--:|--:|--:|--:|")
                for label, chosen in rows:
                    live, live_bytes = traced(lambda chosen=chosen: [app.household(c) for c in chosen])
                    del live
                    cache = AggregateCache(2**40)

                    def fill(cache: AggregateCache = cache, chosen: list[str] = chosen) -> None:
                        for code in chosen:
                            cache.put(app.household(code))  # the live one dropped once kept

                    _, cache_bytes = traced(fill)
                    n, counted = len(chosen), cache.fill().bytes
                    print(f"| {label} | {n:,} | {live_bytes / n:,.0f} | {counted / n:,.0f} | "
                          f"{cache_bytes / n:,.0f} | {live_bytes / cache_bytes:.1f}× |")
            finally:
                tracemalloc.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
