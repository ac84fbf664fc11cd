"""``fangpin demo`` (a synthetic county) and ``fangpin summary`` (what the log holds)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from application.app import CaseFiles
from domain.codes import Category
from interfaces.cli.common import area, users
from interfaces.cli.progress import add_quiet, progress_bar
from projections.runner import Projections


def add_demo(commands: Any) -> None:
    demo = commands.add_parser("demo", help="load a synthetic demo county and summarise it")
    demo.add_argument("--households", type=int, default=300)
    demo.add_argument("--seed", type=int, default=2025)
    demo.add_argument("--until", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                      help="the demo's last day: it lives through the twelve months up to it "
                           "(default: today)")
    add_quiet(demo)
    demo.set_defaults(run=_demo)


def add_summary(commands: Any) -> None:
    summary = commands.add_parser("summary", help="households, monitoring objects, open cases")
    summary.set_defaults(run=_summary)


def _demo(app: CaseFiles, args: argparse.Namespace) -> int:
    from application.demo import (
        DemoAlreadyLoaded,
        DemoConflict,
        ensure_demo_users,
        link_demo_grid_worker,
        load_demo,
    )

    until = args.until or app.today()
    print(f"载入演示县（{args.households} 户，种子 {args.seed}，截至 {until} 的十二个月）"
          f"到 {app.settings.describe()} …")
    try:
        with progress_bar(args, "载入农户") as tick:
            load_demo(app, households=args.households, seed=args.seed, progress=tick,
                      until=until, now=app.clock())
    except DemoAlreadyLoaded as kept:
        print(f"日志中已有截至 {kept.until} 的演示县，保留不变（要演示到今天，请换一个空的数据库）")
    except DemoConflict as conflict:
        print(f"错误：{conflict}", file=sys.stderr)
        return 1
    print("更新查询名单（读模型）…")
    with Projections(app) as projections, progress_bar(args, "更新读模型") as tick:
        if projections.position() == 0:  # new read models: household by household is faster
            projections.rebuild(progress=tick)
        else:
            projections.catch_up(tick)
    _summary(app, args)
    print("演示用户（令牌即工作台密码，只用于演示县；工作台的地址见 fangpin serve 启动时所示）：")
    accounts = users(app)
    for user, token in ensure_demo_users(accounts):
        print(f"  {user.role}{area(user)}：用户 {user.name}  令牌 {token}")
    worker = link_demo_grid_worker(accounts)
    print(f"  （村联络站用户即本村农户的网格员 {worker}：待办中的走访是其负责的农户）")
    return 0


def _summary(app: CaseFiles, args: argparse.Namespace) -> int:
    with Projections(app) as projections:
        projections.catch_up()
        store = projections.store
        count = store.fetch
        households = count(f"SELECT COUNT(*) AS n FROM {store.qualified('rm_households')}")[0]["n"]
        by_category = {
            row["category"]: row["n"] for row in count(
                f"SELECT category, COUNT(*) AS n FROM {store.qualified('rm_monitoring')} "
                "GROUP BY category")
        }
        open_cases = count(f"SELECT COUNT(*) AS n FROM {store.qualified('rm_case_queue')}")[0]["n"]
        eliminated = count(
            f"SELECT COUNT(*) AS n FROM {store.qualified('rm_monitoring_periods')} "
            "WHERE to_on IS NOT NULL")[0]["n"]
    print(f"事件日志：{app.settings.describe()}（{app.max_position()} 条事件）")
    print(f"农户：{households} 户")
    print(f"监测对象：{sum(by_category.values())} 户")
    for category in Category:
        print(f"  {category}：{by_category.get(category.value, 0)} 户")
    print(f"认定中的案件：{open_cases} 件")
    print(f"已消除风险：{eliminated} 件")
    return 0
