"""Reading one value as people type it — in a workbook cell, a push row or a form: ID numbers
Excel may have damaged, dates in the forms counties write them, amounts in yuan, code-table terms.
Each is read exactly or refused with a Chinese reason naming the field, never guessed."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.errors import InvalidValue
from domain.identity import check_digit, validate_id_number
from domain.rules import is_amount

_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def text_of(raw: Any) -> str:
    """A cell as text: a whole float without its .0, surrounding spaces stripped."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def read_id_number(raw: Any) -> str:
    """An ID number as typed; one Excel has damaged is named as such, never repaired."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        shown = f"{raw:.5E}" if isinstance(raw, float) else str(raw)
        raise InvalidValue(
            "ID_NUMBER_DAMAGED",
            f"身份证号码被 Excel 存成了数字（{shown}），后几位或末位 X 已丢失，无法还原："
            "请将该列设为文本后重新录入",
            "id_number")
    text = re.sub(r"\s+", "", str(raw)).upper()
    if re.fullmatch(r"\d(\.\d+)?E\+\d+", text):
        raise InvalidValue(
            "ID_NUMBER_DAMAGED",
            f"身份证号码已被 Excel 变成科学计数法（{text}），后几位已丢失：请按原件重新录入", "id_number")
    if re.fullmatch(r"\d{17}", text):
        expected = check_digit(text)
        hint = "末位的 X 很可能被 Excel 丢掉了" if expected == "X" else "少了一位"
        raise InvalidValue(
            "ID_NUMBER_SHORT", f"身份证号码只有17位（{text}）：{hint}，请核对原件后填写完整", "id_number")
    if re.fullmatch(r"\d{15,16}", text):
        raise InvalidValue("ID_NUMBER_SHORT",
                           f"身份证号码只有{len(text)}位（{text}）：可能是开头的数字或末尾几位丢失，请核对原件",
                           "id_number")
    if re.fullmatch(r"\d{18}", text) and text.endswith("000") and check_digit(text[:17]) != text[17]:
        raise InvalidValue(
            "ID_NUMBER_DAMAGED",
            f"身份证号码以000结尾且校验码不符（{text}）：很可能被 Excel 按数字截断，请按原件重新录入",
            "id_number")
    return validate_id_number(text, "id_number")


def read_date(raw: Any) -> date:
    """An Excel date, an Excel serial number, or 2025-03-05 / 2025/3/5 / 2025年3月5日."""
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        if not 32874 <= raw <= 73415:  # 1990-01-01 … 2100-12-31 as Excel serials
            raise InvalidValue("CELL_DATE", f"“{raw}”不是日期", "date")
        day = _EXCEL_EPOCH + timedelta(days=int(raw))
    elif str(raw).strip().isdigit() and len(str(raw).strip()) == 5:  # a serial as text (CSV)
        return read_date(int(str(raw).strip()))
    else:
        text = str(raw).strip()
        day = None
        for pattern in _DATE_FORMATS:
            found = pattern.match(text)
            if found:
                try:
                    day = date(int(found[1]), int(found[2]), int(found[3]))
                except ValueError:
                    raise InvalidValue("CELL_DATE", f"“{text}”不是有效日期", "date") from None
                break
        if day is None:
            raise InvalidValue(
                "CELL_DATE", f"“{text}”不是可识别的日期：请写作 2025-03-05、2025/3/5 或 2025年3月5日", "date")
    if not 1990 <= day.year <= 2100:
        raise InvalidValue("CELL_DATE", f"日期须在1990年至2100年之间：{day}", "date")
    return day


def read_amount(raw: Any, field: str = "amount") -> Decimal:
    """An amount in yuan (a number, or text like 23500 or 23,500.50), not negative, to the fen."""
    text = str(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else text_of(raw)
    try:
        amount = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        amount = Decimal(-1)
    if not is_amount(amount) or amount < 0:
        raise InvalidValue("AMOUNT_INVALID", f"“{raw}”不是金额：应为不小于0、至多两位小数的元数，如 23500",
                           field)
    return amount


def read_code(codes: type[StrEnum], raw: Any, field: str = "code") -> Any:
    """A value of a code table, by its Chinese term; an unknown one is refused (naming
    ``field``) with the nearest terms — for cells, push rows and request bodies alike."""
    text = text_of(raw)
    try:
        return codes(text)
    except ValueError:
        terms = [c.value for c in codes]
        near = difflib.get_close_matches(text, terms, n=2, cutoff=0.3)
        near += [t for t in terms if t not in near and (t in text or text in t)][:2]
        hint = f"是否为“{'”或“'.join(near[:2])}”？" if near else ""
        raise InvalidValue("CODE_UNKNOWN", f"“{text}”不是码表中的值；{hint}可选：{'、'.join(terms)}",
                           field) from None
