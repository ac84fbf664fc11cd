"""Resident identity numbers (居民身份证号码, GB 11643-1999), and the phone numbers people are
reached by."""

from __future__ import annotations

import re
from datetime import date

from domain.codes import Sex
from domain.errors import InvalidValue

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first_17: str) -> str:
    """The 18th character of an ID number whose first 17 digits are given (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first_17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_id_number(value: str, field: str = "id_number") -> str:
    """Return the ID number in canonical form (upper-case X) or raise `InvalidValue`.

    Checks the shape (17 digits and a digit or X), a real birth date, and the check digit.
    """
    text = value.strip().upper() if isinstance(value, str) else ""
    if not _SHAPE.match(text):
        raise InvalidValue(
            "ID_NUMBER_FORMAT", f"身份证号码应为18位（17位数字加校验码）：{value!r}", field
        )
    try:
        birth_date_of(text)
    except ValueError:
        raise InvalidValue(
            "ID_NUMBER_BIRTH_DATE", f"身份证号码中的出生日期无效：{text[6:14]}", field
        ) from None
    if check_digit(text[:17]) != text[17]:
        raise InvalidValue(
            "ID_NUMBER_CHECK_DIGIT", f"身份证号码校验码错误（GB 11643）：{text}", field
        )
    return text


def birth_date_of(id_number: str) -> date:
    """Birth date encoded in digits 7–14."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def sex_of(id_number: str) -> Sex:
    """Sex encoded by the parity of the 17th digit (odd: male)."""
    return Sex.MALE if int(id_number[16]) % 2 else Sex.FEMALE


def mask_id_number(id_number: str) -> str:
    """Masked form for roles that do not need the full number, e.g. ``1306**********123X``."""
    return id_number[:4] + "*" * 10 + id_number[-4:]


#: A Chinese mobile number (11 digits, 1[3-9]…), or a landline: a trunk prefix 0 and an area
#: code of 2–3 more digits, a local number of 7–8 digits, an optional extension; a hyphen or a
#: space may separate the parts. "+86" / "86" before a mobile number is accepted and dropped.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}(-[0-9]{1,6})?")


def validate_phone(value: str, field: str) -> str:
    """A phone number as stored (spaces dropped, "+86" dropped from a mobile), or
    `InvalidValue` ``PHONE_INVALID`` naming ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("REQUIRED", "联系电话不能为空", field)
    text = re.sub(r"[\s\u3000]+", "", value)
    text = re.sub(r"^(\+86|0086)-?", "", text)
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return text
    raise InvalidValue(
        "PHONE_INVALID",
        f"联系电话“{value.strip()[:40]}”格式不正确：应为11位手机号（如 13812345678）"
        "或带区号的固定电话（如 0312-1234567）",
        field,
    )
