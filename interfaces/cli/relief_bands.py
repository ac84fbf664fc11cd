"""``fangpin relief-bands set|show``: the county's 防贫保 payout bands, schedule by schedule."""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from application.app import CaseFiles
from domain.codes import RiskType
from domain.relief import ReliefBand
from interfaces.cli.common import CLI_USER, moment, money


def add_relief_bands(commands: Any) -> None:
    bands = commands.add_parser("relief-bands", help="the county's 防贫保 payout bands (赔付标准)")
    band_commands = bands.add_subparsers(title="relief-bands commands")
    set_bands = band_commands.add_parser(
        "set", help="set the bands in force from a day, e.g. --band 因病:5000:20000:0.5 "
                    "--band 因病:20000::0.7 --cap 60000")
    set_bands.add_argument("effective_from", type=date.fromisoformat, metavar="EFFECTIVE_FROM")
    set_bands.add_argument("--band", dest="bands", type=band, action="append", required=True,
                           help="原因:起点:终点:比例（终点留空为无上限），可重复")
    set_bands.add_argument("--cap", type=money, required=True, help="每户每年赔付上限（元）")
    set_bands.add_argument("--reason", default="")
    set_bands.set_defaults(run=_set_bands)
    show_bands = band_commands.add_parser("show", help="the bands in force on a day")
    show_bands.add_argument("--on", type=date.fromisoformat, default=None)
    show_bands.add_argument("--as-of", type=moment)
    show_bands.set_defaults(run=_show_bands)


def band(text: str) -> ReliefBand:
    """``原因:起点:终点:比例``, e.g. ``因病:5000:20000:0.5`` or ``因病:20000::0.7``."""
    parts = text.split(":")
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(
            f"档次应为 原因:起点:终点:比例，如 因病:5000:20000:0.5（收到 {text}）")
    cause, low, high, rate = (part.strip() for part in parts)
    try:
        return ReliefBand(RiskType(cause), Decimal(low), Decimal(high) if high else None, Decimal(rate))
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是风险类型：{cause}") from None
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"起点、终点、比例须为数字：{text}") from None


def _set_bands(app: CaseFiles, args: argparse.Namespace) -> int:
    result = app.set_relief_bands(
        effective_from=args.effective_from, bands=args.bands, yearly_cap=args.cap,
        reason=args.reason, occurred_on=app.today(), by=CLI_USER,
    )
    print(f"{args.effective_from} 起施行的防贫保赔付标准已设定（日志位置 {result.position}）")
    return 0


def _show_bands(app: CaseFiles, args: argparse.Namespace) -> int:
    day = args.on or app.today()
    bands = app.relief_bands_on(day, as_of=args.as_of)
    if bands is None:
        print(f"{day} 防贫保赔付标准：未设置")
        return 1
    print(f"{day} 防贫保赔付标准（{bands.effective_from} 起施行，每户每年最高 {bands.yearly_cap} 元）：")
    for each in bands.bands:
        print(f"  {each.describe()}")
    return 0
