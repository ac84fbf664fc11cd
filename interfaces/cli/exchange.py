"""``fangpin export exchange`` (an exchange export as the mapping file says) and ``fangpin
feed`` (a page of the change feed as a user sees it), on the command line: the same code as
``GET /api/exchange/{kind}`` and ``GET /api/feed``, reads in the access log the same way."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import msgspec

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.app import CaseFiles
from domain.errors import InvalidValue
from interfaces.cli.common import cli_reader, users
from interfaces.exchange import FORMATS, Exchange, export, file_name
from interfaces.exchange_mapping import KINDS, load_mapping
from interfaces.http.auth import area_of
from interfaces.http.exchange import MAX_FEED_PAGE, feed_answer
from projections.queries import ReadModels
from projections.runner import Projections


def add_exchange_options(export: Any) -> None:
    """The options ``fangpin export exchange`` adds to ``fangpin export``."""
    export.add_argument("--mapping", help="exchange: the mapping file (default: FANGPIN_EXCHANGE_MAPPING, "
                                          "or the one shipped, interfaces/exchange.toml)")
    export.add_argument("--kind", choices=tuple(KINDS), default="monitoring",
                        help="exchange: monitoring, households (one member a row) or measures")
    export.add_argument("--format", choices=FORMATS, default="xlsx", help="exchange: xlsx or csv")


def export_exchange(app: CaseFiles, args: argparse.Namespace) -> int:
    mapping = load_mapping(Path(args.mapping) if args.mapping else app.settings.exchange_mapping_path)
    mapping.sheet(args.kind)
    user = cli_reader()
    log = AccessLog(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    with Projections(app) as projections:
        projections.catch_up()
        exchange = Exchange(ReadModels(projections.store, app.clock), app, user, area_of(user), log,
                            f"cli:export exchange {args.kind}")
        content = export(exchange, mapping, args.kind, args.format, app.today())
    path = args.output or file_name(args.kind, args.format)
    with open(path, "wb") as out:
        out.write(content)
    print(f"已写入 {path}：{KINDS[args.kind][0]}（映射：{mapping.source}）")
    return 0


def add_feed(commands: Any) -> None:
    feed = commands.add_parser("feed", help="a page of the change feed as a user sees it (JSON)")
    feed.add_argument("--after", type=int, default=0,
                      help="the previous page's next_after (0: from the start)")
    feed.add_argument("--limit", type=int, default=100, help=f"events a page (1–{MAX_FEED_PAGE})")
    feed.add_argument("--as", dest="as_user", required=True, help="the user whose view to read")
    feed.set_defaults(run=_feed)


def _feed(app: CaseFiles, args: argparse.Namespace) -> int:
    if args.after < 0:
        raise InvalidValue("AFTER_NEGATIVE", "after 须为 0 或正整数", "after")
    if not 1 <= args.limit <= MAX_FEED_PAGE:
        raise InvalidValue("LIMIT_RANGE", f"limit 须在 1 至 {MAX_FEED_PAGE} 之间", "limit")
    user: User | None = users(app).enabled(args.as_user)
    if user is None:
        raise InvalidValue("USER_NOT_FOUND", f"没有可用的用户 {args.as_user}", "as")
    log = AccessLog(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    page = feed_answer(app, log, user, args.after, args.limit, "cli:feed")
    sys.stdout.write(msgspec.json.encode(page).decode() + "\n")
    return 0
