"""Running the HTTP API under uvicorn: one process on the SQLite default, or several worker
processes on PostgreSQL with the read models followed by a separate projection process.

SQLite allows one writer at a time and its read models follow the log in the server's own
process, so it runs one server process. On PostgreSQL every server process shares the log; a
separate process (`Projections.run_worker`, woken by NOTIFY) keeps the read models following it,
and a query asking for ``after=<position>`` catches up itself if the worker is behind.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import sys

import uvicorn
from litestar import Litestar

from application.app import CaseFiles
from application.settings import Settings
from interfaces.http import create_app
from projections.runner import Projections

#: Set in server processes when a separate process follows the read models.
PROJECTION_WORKER_ENV = "FANGPIN_PROJECTION_WORKER"


def app_from_environ() -> Litestar:
    """The app for a uvicorn worker process (settings from ``FANGPIN_*``)."""
    settings = Settings.from_environ(os.environ)
    return create_app(settings, follow=os.environ.get(PROJECTION_WORKER_ENV) != "1")


def _follow_log(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s projections %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with CaseFiles(settings) as app, Projections(app) as projections, \
            contextlib.suppress(KeyboardInterrupt, SystemExit):
        projections.run_worker()


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          access_log: bool = False) -> None:
    """Serve the API until interrupted."""
    # A server keeps many long-lived objects (live households, the follower's cache): full
    # collections over them freed nothing and paused requests for up to half a second, so
    # the young generations are collected less often.
    gc.set_threshold(20_000, 50, 100)
    if settings.backend == "sqlite" and workers != 1:
        raise ValueError("SQLite 默认存储只能以 1 个进程提供服务；多进程请使用 PostgreSQL")
    follower = None
    if settings.backend == "postgres":
        follower = multiprocessing.get_context("spawn").Process(
            target=_follow_log, args=(settings,), name="fangpin-projections", daemon=True)
        follower.start()
        os.environ[PROJECTION_WORKER_ENV] = "1"
    try:
        if workers == 1:
            uvicorn.run(create_app(settings, follow=follower is None), host=host, port=port,
                        access_log=access_log, log_level="info")
        else:
            uvicorn.run("interfaces.serve:app_from_environ", factory=True, host=host, port=port,
                        workers=workers, access_log=access_log, log_level="info")
    finally:
        if follower is not None:
            follower.terminate()
            follower.join(timeout=10)
