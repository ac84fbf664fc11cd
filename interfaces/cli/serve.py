"""``fangpin serve``: the HTTP API (and the workbench) in this process or a few."""

from __future__ import annotations

import argparse
from typing import Any

from application.settings import Settings

#: Requests a worker serves before a fresh one takes its place (`fangpin serve --workers N`).
RECYCLE_AFTER = 20_000


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"应为不小于0的整数：{text}")
    return int(text)


def add_serve(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API (docs at /schema/swagger)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes (PostgreSQL only; SQLite serves from one)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument("--max-requests", type=_count, default=RECYCLE_AFTER, metavar="N",
                       help="with several workers, start a fresh worker after about N requests "
                            f"(default {RECYCLE_AFTER}; 0: never)")
    serve.set_defaults(run=_serve, without_app=True)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from interfaces.serve import serve

    base = f"http://{args.host}:{args.port}"
    print(f"防贫监测帮扶工作台：{base}/web/ ；API：{base}/ （接口文档 {base}/schema/swagger）"
          f"，存储：{settings.describe()}", flush=True)
    serve(settings, host=args.host, port=args.port, workers=args.workers,
          access_log=args.access_log, max_requests=args.max_requests)
    return 0
