"""``fangpin projections rebuild|status|run``: the read models behind the lists and queues."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from application.app import CaseFiles
from domain.rules import CHINA_TIME
from interfaces.cli.progress import add_quiet, progress_bar
from projections.runner import Projections
from projections.stops import ReadModelStatus
from projections.tables import TABLES as READ_MODELS


def add_projections(commands: Any) -> None:
    projections = commands.add_parser("projections", help="the read models (lists, queues)")
    projection_commands = projections.add_subparsers(title="projections commands")
    rebuild = projection_commands.add_parser(
        "rebuild", help="rebuild from the log beside the live tables, then swap them in")
    rebuild.add_argument("name", nargs="?", choices=sorted(READ_MODELS), help="one read model")
    add_quiet(rebuild)
    rebuild.set_defaults(run=_rebuild)
    status = projection_commands.add_parser("status", help="each read model's log position")
    status.set_defaults(run=_status)
    worker = projection_commands.add_parser(
        "run", help="follow the log (PostgreSQL: woken by NOTIFY, and by a poll)"
    )
    worker.add_argument("--poll", type=float, default=2.0, help="seconds between polls")
    worker.add_argument("--batch", type=int, default=1000, help="notifications per transaction")
    worker.set_defaults(run=_run_worker)


def _rebuild(app: CaseFiles, args: argparse.Namespace) -> int:
    models = [args.name] if args.name else None
    print(f"重建读模型：{args.name or '全部'}（{app.max_position()} 条事件）")
    with Projections(app) as projections:
        with progress_bar(args, "重建读模型") as tick:
            projections.rebuild(models, progress=tick)
        return _report({model: status for model, status in projections.status().items()
                        if models is None or model in models}, app.max_position())


def _status(app: CaseFiles, args: argparse.Namespace) -> int:
    """Each read model's position; a stopped one names its event, household and error (exit 1)."""
    with Projections(app) as projections:
        return _report(projections.status(), app.max_position())


def _report(statuses: dict[str, ReadModelStatus], end: int) -> int:
    """Print each read model's position and state; 1 if any is stopped."""
    for model, status in statuses.items():
        print(f"{model}: {status.position}/{end}{_state(status, end)}")
    return 1 if any(status.stopped for status in statuses.values()) else 0


def _state(status: ReadModelStatus, end: int) -> str:
    stop = status.stop
    if stop is not None:
        household = stop.household_code or stop.household_id
        since = stop.stopped_at.astimezone(CHINA_TIME)
        return (f"（已停止：事件 {stop.position} {stop.topic}，农户 {household}，"
                f"{stop.error_type}: {stop.error}，自 {since:%Y-%m-%d %H:%M:%S}）")
    if status.rebuilding_for is not None:
        return f"（重建中，{status.rebuilding_for:.0f} 秒前更新）"
    return "" if status.position >= end else "（落后）"


def _run_worker(app: CaseFiles, args: argparse.Namespace) -> int:
    print(f"读模型跟随事件日志：{app.settings.describe()}（Ctrl-C 停止）", flush=True)
    with Projections(app, batch_size=args.batch) as projections, contextlib.suppress(KeyboardInterrupt):
        projections.run_worker(poll=args.poll)
    return 0
