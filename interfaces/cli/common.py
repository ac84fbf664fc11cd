"""What the command groups share: who the command line is, argument types and output
helpers (plain text of values, writing a file or standard output; progress bars are in
`interfaces.cli.progress`)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import is_dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from application.accounts.access import User, parse_role
from application.accounts.users import Users
from application.app import CaseFiles
from application.indicators import end_of_day
from domain.codes import Department, Role, Tier
from domain.errors import DomainError
from domain.rules import CHINA_TIME
from domain.values import Actor

#: Who the command line is when it records a fact (it runs with the county centre's rights).
CLI_USER = Actor("cli", Role.COUNTY_CENTRE)


def cli_reader() -> User:
    """Who the command line is in the access log: the signed-in account (``USER``), with the
    county centre's rights. Read when a command runs, never at import."""
    return User(f"cli:{os.environ.get('USER', 'unknown')}"[:64], Role.COUNTY_CENTRE)


def log_read(app: CaseFiles, code: str, route: str) -> None:
    """The command line's reads of household files go to the access log too."""
    from application.accounts.access_log import AccessLog

    log = AccessLog(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    log.record(cli_reader(), code, route)


def users(app: CaseFiles) -> Users:
    return Users(app.factory.datastore, backend=app.settings.backend)


def area(user: User) -> str:
    where = "".join(p for p in (user.township, user.village, user.department) if p)
    return f"，{where}" if where else ""


# ---------------------------------------------------------------------- argument types


def moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TIME)
    return moment


def as_of(text: str) -> datetime:
    """A recorded time; a bare date means the end of that day in the county."""
    try:
        when = end_of_day(date.fromisoformat(text)) if len(text) == 10 else moment(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"不是日期或时间：{text}（如 2026-01-10 或 2026-01-10T18:00+08:00）"
                                         ) from None
    if not 1990 <= when.year <= 2100:
        raise argparse.ArgumentTypeError("记录时点须在1990年至2100年之间")
    return when


def money(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"不是金额：{text}") from None


def role(text: str) -> Role:
    try:
        return parse_role(text)
    except DomainError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def department(text: str) -> Department:
    try:
        return Department(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"未知部门“{text}”；可选：{'、'.join(Department)}") from None


def tier(text: str) -> Tier:
    aliases = {"county": Tier.COUNTY, "provincial": Tier.PROVINCIAL, "province": Tier.PROVINCIAL}
    try:
        return aliases.get(text.strip().lower()) or Tier(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"未知层级：{text}（county / provincial，或 {Tier.COUNTY} / {Tier.PROVINCIAL}）") from None


# ---------------------------------------------------------------------- output


def clear_progress() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def write(text: str, path: str | None) -> None:
    """Write ``text`` to ``path``, or to standard output when no path is given."""
    if path:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"已写入 {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def beijing(moment: datetime) -> str:
    """A recording time as county people read it: Beijing time to the minute."""
    return f"{moment.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}"


def plain(value: object) -> str:
    """A value as plain text: lists joined with 、, records by their filled-in fields."""
    if isinstance(value, tuple | list):
        return "、".join(plain(v) for v in value)
    if is_dataclass(value):
        return "/".join(plain(v) for v in vars(value).values() if v not in (None, "", ()))
    if isinstance(value, dict):
        return "{" + "，".join(f"{plain(k)}:{plain(v)}" for k, v in value.items()) + "}"
    return str(value)
