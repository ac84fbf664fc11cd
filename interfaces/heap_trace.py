"""Where a server process's memory goes, for finding a leak (off unless ``FANGPIN_HEAP_TRACE_DIR``
is set; `Settings.heap_trace_dir`).

On, each server process starts `tracemalloc` (``FANGPIN_HEAP_TRACE_FRAMES`` frames a block,
default 16; 0: no tracing, the figures alone) as it starts, and every
``FANGPIN_HEAP_TRACE_MINUTES`` (default 2), and whenever it is sent SIGUSR1, writes to the
directory, after a full collection:

- ``<pid>-<nn>.tracemalloc``: a tracemalloc snapshot, for ``Snapshot.load`` and ``compare_to``
  (``python -m bench.heap_trace DIR`` compares a process's snapshot after warm-up with its last);
- a line of ``<pid>.jsonl``: the minute, resident memory (VmRSS), what Python has allocated and
  still holds (tracemalloc's traced total, and its own bookkeeping), and glibc's heap
  (``mallinfo2``: in use, free but kept, mapped). Resident memory growing while the traced total
  stays flat is memory outside Python's objects: the allocators' free holes (Python's own
  small-object arenas, ``pymalloc_*``; glibc's, ``malloc_*``), or C libraries'.

Tracing costs time (every allocation is recorded) and memory (its bookkeeping, counted apart):
for diagnosis, not for a county's server.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

_STARTED = threading.Event()


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def heap_figures() -> dict[str, Any]:
    """This process's memory now: resident, traced by tracemalloc (when tracing), glibc's heap
    (on glibc 2.33 and later), all in bytes."""
    figures: dict[str, Any] = {"pid": os.getpid(), "rss": _vmrss()}
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        figures.update(traced=current, traced_peak=peak,
                       tracing_overhead=tracemalloc.get_tracemalloc_memory())
    figures["python_blocks"] = sys.getallocatedblocks()
    figures.update(_pymalloc_figures())
    info = _mallinfo2()
    if info is not None:
        figures.update(malloc_in_use=info.uordblks, malloc_free=info.fordblks,
                       malloc_arena=info.arena, malloc_mapped=info.hblkhd)
    return figures


def start_heap_trace(directory: Path, minutes: float, frames: int) -> None:
    """Trace this process's allocations (``frames`` a block; 0: not traced) and write what it
    holds to ``directory`` every ``minutes`` and on SIGUSR1 (once per process; a second call
    does nothing)."""
    if _STARTED.is_set():
        return
    _STARTED.set()
    directory.mkdir(parents=True, exist_ok=True)
    if frames:
        tracemalloc.start(frames)
    began = time.monotonic()
    asked = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGUSR1, lambda *_: asked.set())

    def write_every() -> None:
        for number in range(1, 10_000):
            asked.wait(minutes * 60)
            asked.clear()
            write_heap_trace(directory, number, (time.monotonic() - began) / 60)

    threading.Thread(target=write_every, name="fangpin-heap-trace", daemon=True).start()


def write_heap_trace(directory: Path, number: int, minute: float) -> Path | None:
    """Write snapshot ``number`` of this process (when tracing) and its figures' line; returns
    the snapshot's path."""
    gc.collect()
    path = None
    if tracemalloc.is_tracing():
        path = directory / f"{os.getpid()}-{number:02d}.tracemalloc"
        tracemalloc.take_snapshot().dump(str(path))
    line = {"number": number, "minute": round(minute, 2), "at": time.time(), **heap_figures()}
    with (directory / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as figures:
        figures.write(json.dumps(line) + "\n")
    return path


_PYMALLOC = {"# arenas allocated current": "pymalloc_arenas",
             "# bytes in allocated blocks": "pymalloc_in_use",
             "# bytes in available blocks": "pymalloc_free"}


def _pymalloc_figures() -> dict[str, int]:
    """Python's small-object allocator: arenas held, bytes in use and free within them (from
    ``sys._debugmallocstats``, which writes to the stderr file: redirected for the call, so
    another thread's line to stderr in that moment lands in the figures' file instead)."""
    with tempfile.TemporaryFile("w+") as out:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
            ctypes.CDLL(None).fflush(None)  # C's stderr buffer, written before fd 2 goes back
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        found = {}
        for row in out:
            name, _, value = row.partition("=")
            if name.strip() in _PYMALLOC:
                found[_PYMALLOC[name.strip()]] = int(value.strip().replace(",", ""))
    return found


def _vmrss() -> int | None:
    try:
        status = Path(f"/proc/{os.getpid()}/status").read_text()
    except OSError:
        return None
    for row in status.splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) * 1024
    return None


def _mallinfo2() -> _MallInfo2 | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    function.restype = _MallInfo2
    return function()
