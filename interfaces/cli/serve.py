"""``fangpin serve``: the HTTP API (and the workbench) in this process or a few."""

from __future__ import annotations

import argparse
import errno
import socket
import sys
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


def unservable(host: str, port: int) -> str | None:
    """Why ``port`` on ``host`` cannot be listened on (taken by another server, or no such
    address), in Chinese; None when it can. Tried as uvicorn binds it (SO_REUSEADDR)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return f"无法解析监听地址 {host}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"端口 {port} 已被占用（{host}），工作台未启动：请用 --port 另选端口" \
                       f"（make run 用 FANGPIN_PORT，例如 FANGPIN_PORT={port + 1} make run）"
            return f"无法在 {host}:{port} 上监听（{error.strerror}），工作台未启动"
    return None


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from interfaces.serve import serve

    refused = unservable(args.host, args.port)
    if refused is not None:  # said before the banner: no address is announced that is not served
        print(f"错误：{refused}", file=sys.stderr)
        return 3
    base = f"http://{args.host}:{args.port}"
    print(f"防贫监测帮扶工作台：{base}/web/ ；API：{base}/ （接口文档 {base}/schema/swagger）"
          f"，存储：{settings.describe()}", flush=True)
    serve(settings, host=args.host, port=args.port, workers=args.workers,
          access_log=args.access_log, max_requests=args.max_requests)
    return 0
