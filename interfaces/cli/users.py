"""``fangpin users add|token|password|disable|list``: who may sign in, with which role and area."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from application.accounts.access import User
from application.app import CaseFiles
from interfaces.cli.common import area, department, role, users
from interfaces.cli.lists import add_format, show_rows


def add_users(commands: Any) -> None:
    users_ = commands.add_parser("users", help="who may sign in: roles, areas, tokens")
    user_commands = users_.add_subparsers(title="users commands")
    add = user_commands.add_parser("add", help="add a user and print their bearer token")
    add.add_argument("name")
    add.add_argument("--role", required=True, type=role,
                     help="county | township | village | department | auditor | assessment "
                          "(or the Chinese term)")
    add.add_argument("--township")
    add.add_argument("--village")
    add.add_argument("--department", type=department)
    add.add_argument("--display-name", default="")
    add.set_defaults(run=_add_user)
    token = user_commands.add_parser("token", help="issue a new token (the old one stops working)")
    token.add_argument("name")
    token.set_defaults(run=_issue_token)
    password = user_commands.add_parser(
        "password", help="set a user's workbench password (read from stdin; also lifts a lock-out)")
    password.add_argument("name")
    password.set_defaults(run=_set_password)
    disable = user_commands.add_parser("disable", help="the user's token stops working")
    disable.add_argument("name")
    disable.set_defaults(run=_disable_user)
    link = user_commands.add_parser(
        "link", help="say which 网格员 (as households name them) a village user is: their visits due")
    link.add_argument("name")
    which = link.add_mutually_exclusive_group(required=True)
    which.add_argument("--grid-worker-name", help="the 网格员's name on the households")
    which.add_argument("--unlink", action="store_true", help="no longer linked (the village's visits)")
    link.set_defaults(run=_link_user)
    listing = user_commands.add_parser("list", help="every user with role and area")
    add_format(listing)
    listing.set_defaults(run=_list_users)


def _add_user(app: CaseFiles, args: argparse.Namespace) -> int:
    user = User(args.name, args.role, township=args.township, village=args.village,
                department=args.department, display_name=args.display_name)
    token = users(app).add(user)
    print(f"已添加用户 {user.name}（{user.role}{area(user)}）")
    print(f"令牌（只显示这一次，请妥善保存）：{token}")
    return 0


def _issue_token(app: CaseFiles, args: argparse.Namespace) -> int:
    token = users(app).issue_token(args.name)
    print(f"用户 {args.name} 的新令牌（旧令牌已失效）：{token}")
    return 0


def _set_password(app: CaseFiles, args: argparse.Namespace) -> int:
    import getpass

    from application.accounts.logins import Logins

    if sys.stdin.isatty():
        password = getpass.getpass(f"{args.name} 的新密码：")
        if getpass.getpass("再输一次：") != password:
            print("错误：两次输入不同", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    Logins(users(app)).set_password(args.name, password)
    print(f"用户 {args.name} 的工作台密码已设置")
    return 0


def _link_user(app: CaseFiles, args: argparse.Namespace) -> int:
    from application.accounts.desk_marks import DeskMarks

    DeskMarks(users(app)).link_grid_worker(args.name, None if args.unlink else args.grid_worker_name)
    print(f"用户 {args.name} 已取消关联网格员" if args.unlink else
          f"用户 {args.name} 已关联网格员 {args.grid_worker_name.strip()}：待办列出此人负责农户的走访")
    return 0


def _disable_user(app: CaseFiles, args: argparse.Namespace) -> int:
    from application.accounts.logins import Logins

    Logins(users(app)).disable_user(args.name)
    print(f"用户 {args.name} 已停用")
    return 0


#: The user list's columns.
USER_COLUMNS = (("name", "用户名"), ("role", "角色"), ("area", "辖区或部门"), ("state", "状态"))


def _list_users(app: CaseFiles, args: argparse.Namespace) -> int:
    rows = [{"name": user.name, "role": user.role.value, "area": area(user).strip("，（）, "),
             "state": "启用" if enabled else "已停用"} for user, enabled in users(app).all()]
    show_rows(rows, USER_COLUMNS, args.format, f"用户：{len(rows)} 个")
    return 0
