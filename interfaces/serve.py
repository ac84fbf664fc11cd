"""Running the HTTP API under uvicorn: one process on the SQLite default, or several worker
processes on PostgreSQL with the read models followed by a separate projection process.

SQLite allows one writer at a time and its read models follow the log in the server's own
process, so it runs one server process. On PostgreSQL every server process shares the log; a
separate process (`Projections.run_worker`, woken by NOTIFY) keeps the read models following it,
and a query asking for ``after=<position>`` catches up itself if the worker is behind.

Start-up: the parent makes every table once (`prepare`, under the schema's lock) before any
child starts, so the workers find them made; they still take the lock, as a CLI command may be
starting beside them. Supervision: no child outlives the parent, even one killed with SIGKILL
(which runs no clean-up): each child (the projection process, every uvicorn worker) asks Linux
for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``) and also watches, in a thread,
that its parent is still the one that started it (``os.getppid()``; on other systems too), and
ends itself if not. With the children gone, multiprocessing's resource tracker (started by the
spawn context) reads the end of its pipe and exits as well. The other way round, the parent
starts the projection process again should it die (`ProjectionProcess`): lists would otherwise
go stale with nothing to say so.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

import uvicorn
from litestar.datastructures import State

from application.app import CaseFiles
from application.province import Deployment
from application.province.figures import ProvincialFigures
from application.province.follower import ProvinceFollower
from application.province.forwarding import HeldForwarding
from application.province.people import ProvincialPeople
from application.settings import Settings
from interfaces.heap_trace import start_heap_trace
from interfaces.http.app import Services
from interfaces.http.mounts import DeploymentApp, deployment_app
from projections.runner import Projections

#: Set in server processes when a separate process follows the read models.
PROJECTION_WORKER_ENV = "FANGPIN_PROJECTION_WORKER"
#: The pid of the `serve` process, in its children's environment: they end when it is gone.
PARENT_ENV = "FANGPIN_SERVE_PARENT"
#: How often a child checks that its parent lives, and how long it gives itself to stop cleanly
#: after SIGTERM before it exits anyway.
WATCH_SECONDS = 0.5
GRACE_SECONDS = 5.0
#: How often the parent checks that its projection process still runs.
RESTART_CHECK_SECONDS = 1.0
logger = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
#: The projection process's name as `ps` and /proc/<pid>/comm show it.
PROJECTION_PROCESS_NAME = "fangpin-proj"
#: A server keeps many long-lived objects (live households, the follower's cache): full
#: collections over them freed nothing and paused requests for up to half a second, so the
#: young generations are collected less often.
GC_THRESHOLD = (20_000, 50, 100)
#: glibc malloc arenas per server process; blocks from this size up taken straight from the
#: system (and given back when freed).
MALLOC_ARENAS = 2
MMAP_THRESHOLD_BYTES = 256 * 1024
#: How often freed heap is handed back to the system, and how often a full collection runs
#: first (every that many hand-backs).
TRIM_SECONDS = 5.0
COLLECT_EVERY_TRIMS = 6
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8


def keep_heap_small() -> None:
    """Keep a long-running server process's resident memory flat.

    Three causes, all found by the soak. Workbooks (openpyxl) are webs of cycles — cell and
    sheet, sheet and book — that only the full collection frees, and with the young generations
    collected rarely (`GC_THRESHOLD`) a report's tens of thousands of objects reach the oldest
    generation first: between two full collections (CPython runs one only when that generation
    has grown by a quarter) dead workbooks piled up. Request threads each took a malloc arena,
    large short-lived buffers left them fragmented. And the heap itself grows: a request's
    short-lived blocks and the cache's long-lived ones share it, so its free space grows with
    it (the heap-trace soak, ``FANGPIN_HEAP_TRACE_DIR``: Python's traced total flat, glibc's
    free space from 20 to 30 MB in five minutes), and freed pages handed back are taken again
    within seconds wherever the next blocks land — 9 MB of a worker's heap within 13 s of a
    hand-back. So: the objects made at start-up are frozen (no collection walks them again), a
    full collection runs every ``TRIM_SECONDS * COLLECT_EVERY_TRIMS`` in its own thread (some
    0.1–0.2 s of one core for 2,000 live households), and on glibc two arenas, a fixed mmap
    threshold and ``malloc_trim`` every `TRIM_SECONDS` (a walk of the free lists, a few
    milliseconds) give the freed pages back before they pile up."""
    gc.freeze()
    trim = _glibc_trim()
    threading.Thread(target=maintain_heap, args=(trim, time.sleep), name="fangpin-heap-trim",
                     daemon=True).start()


def maintain_heap(trim: Callable[[], object] | None, sleep: Callable[[float], object],
                  rounds: int | None = None) -> None:
    """`keep_heap_small`'s thread: every `TRIM_SECONDS` the heap handed back (``trim``), after
    a full collection every `COLLECT_EVERY_TRIMS` times; ``rounds``: stop after that many
    (None: never)."""
    done = 0
    while rounds is None or done < rounds:
        sleep(TRIM_SECONDS)
        done += 1
        if done % COLLECT_EVERY_TRIMS == 0:
            collect_and_trim_once(trim)
        elif trim is not None:
            trim()


def collect_and_trim_once(trim: Callable[[], object] | None = None) -> int:
    """A full collection, then the heap handed back (``trim``); returns the number of
    unreachable objects found."""
    found = gc.collect()
    if trim is not None:
        trim()
    return found


def _glibc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, with the arena count and mmap threshold set; None elsewhere
    (musl, macOS: nothing to tune)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        mallopt, malloc_trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):
        return None
    mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)  # fixed: no longer raised by glibc
    return lambda: malloc_trim(0)


def trace_heap(settings: Settings) -> None:
    """Trace this server process's allocations when ``settings`` ask (`interfaces.heap_trace`)."""
    if settings.heap_trace_dir is not None:
        start_heap_trace(settings.heap_trace_dir, settings.heap_trace_minutes,
                         settings.heap_trace_frames)


def watch_parent(parent: int) -> None:
    """End this process (SIGTERM, then exit after `GRACE_SECONDS`) when process ``parent``,
    which started it, is gone: at once on Linux (the kernel sends SIGTERM), within
    `WATCH_SECONDS` elsewhere (a thread sees the parent pid change)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))

    def watch() -> None:
        while os.getppid() == parent:  # also true when the parent died before prctl
            time.sleep(WATCH_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(GRACE_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="fangpin-parent-watch", daemon=True).start()


def _watch_parent_from_environ() -> None:
    if os.environ.get(PARENT_ENV):
        watch_parent(int(os.environ[PARENT_ENV]))


def app_from_environ() -> DeploymentApp:
    """The app for a uvicorn worker process (settings from ``FANGPIN_*``)."""
    _watch_parent_from_environ()
    gc.set_threshold(*GC_THRESHOLD)
    settings = Settings.from_environ(os.environ)
    trace_heap(settings)
    app = deployment_app(settings, follow=os.environ.get(PROJECTION_WORKER_ENV) != "1")
    keep_heap_small()  # after the app is made, so that its objects are frozen too
    return app


def _follow_log(stores: list[Settings], parent: int) -> None:
    """Follow the logs of ``stores`` for their read models until the parent is gone: one store
    in this thread, several (a deployment's counties) in a thread each; if one of them ends,
    the process ends, and the parent starts another."""
    watch_parent(parent)
    if sys.platform.startswith("linux"):  # tell it from the uvicorn workers in `ps`
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NAME, PROJECTION_PROCESS_NAME.encode())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s projections %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.ExitStack() as opened, contextlib.suppress(KeyboardInterrupt, SystemExit):
        followers = [opened.enter_context(Projections(opened.enter_context(CaseFiles(store))))
                     for store in stores]
        keep_heap_small()  # once the stores are open, so that what opening them made is frozen
        if len(followers) == 1:
            followers[0].run_worker()
            return
        threads = [threading.Thread(target=f.run_worker, name=f"fangpin-proj-{n}", daemon=True)
                   for n, f in enumerate(followers)]
        for thread in threads:
            thread.start()
        while all(thread.is_alive() for thread in threads):
            time.sleep(RESTART_CHECK_SECONDS)
        logger.error("a county's projection thread ended: the process ends to be started again")


def counties_of(settings: Settings) -> list[Settings]:
    """The stores of the counties of the deployment rooted at ``settings`` (served under
    ``/c/{county}/``; a county added while the server runs is served from its first request,
    its read models followed from the next start)."""
    with Deployment(settings) as deployment:
        return [deployment.county_settings(county.code) for county in deployment.counties()]


def follow_province(settings: Settings) -> ProvinceFollower | None:
    """The province's read models following every county's log, in a thread of this process
    (None for a deployment without counties)."""
    deployment = Deployment(settings)
    if not deployment.counties():
        deployment.close()
        return None
    people = ProvincialPeople(deployment)
    follower = ProvinceFollower(deployment, [people, HeldForwarding(deployment, people),
                                             ProvincialFigures(deployment.province())])
    follower.follow()
    return follower


def prepare(settings: Settings) -> None:
    """Make every table a server process uses, once, before the server processes start."""
    services = Services(settings, None, follow=False)
    try:
        services.open(State())
    finally:
        services.close()


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          access_log: bool = False, max_requests: int = 0) -> None:
    """Serve the API until interrupted. With several workers, ``max_requests`` (0: never)
    recycles a worker after about that many requests — uvicorn starts a fresh one while the
    others serve — so a slow growth of a long-lived process's heap never adds up."""
    gc.set_threshold(*GC_THRESHOLD)
    if settings.backend == "sqlite" and workers != 1:
        raise ValueError("SQLite 默认存储只能以 1 个进程提供服务；多进程请使用 PostgreSQL")
    followers: list[ProjectionProcess] = []
    if settings.backend == "postgres":
        # the root store's projection process, and one process for every county's
        counties = counties_of(settings)
        for store in (settings, *counties):
            prepare(store)
        os.environ[PARENT_ENV] = str(os.getpid())
        followers = [ProjectionProcess([settings])] + ([ProjectionProcess(counties)] if counties else [])
        for follower in followers:
            follower.start()
        os.environ[PROJECTION_WORKER_ENV] = "1"
    province = follow_province(settings)
    try:
        if workers == 1:
            trace_heap(settings)
            app = deployment_app(settings, follow=not followers)
            keep_heap_small()  # after the app is made, so that its objects are frozen too
            uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")
        else:
            # a wide jitter, so that two workers are seldom renewed together (connections then
            # wait in the listening socket's backlog, held by this process, not refused)
            recycle = {"limit_max_requests": max_requests,
                       "limit_max_requests_jitter": max_requests // 2} if max_requests else {}
            uvicorn.run("interfaces.serve:app_from_environ", factory=True, host=host, port=port,
                        workers=workers, access_log=access_log, log_level="info", **recycle)
    finally:
        for follower in followers:
            follower.stop()
        if province is not None:
            province.close()
            province.deployment.close()


class ProjectionProcess:
    """The process following the log for the read models, started again whenever it dies
    while the server runs (checked every `RESTART_CHECK_SECONDS`)."""

    def __init__(self, stores: list[Settings]) -> None:
        self.stores = stores
        self._process: multiprocessing.process.BaseProcess | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._spawn()
        threading.Thread(target=self._watch, name="fangpin-projection-watch", daemon=True).start()

    def _spawn(self) -> None:
        self._process = multiprocessing.get_context("spawn").Process(
            target=_follow_log, args=(self.stores, os.getpid()), name="fangpin-projections",
            daemon=True)
        self._process.start()

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_CHECK_SECONDS):
            with self._lock:
                process = self._process
                if self._stopping.is_set() or process is None or process.is_alive():
                    continue
                logger.error("projection process %s ended (exit status %s): starting another",
                             process.pid, process.exitcode)
                self._spawn()

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            if self._process is not None:
                self._process.terminate()
                self._process.join(timeout=10)
