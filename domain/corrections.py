"""What a correction may change, per kind of recorded fact, and how new values are read.

A correction never edits an event: it is a new event naming the event it corrects (by version),
the new values and the reason. New values travel as JSON-native values (text, numbers, booleans,
lists); the converters here turn them into the types the case file holds and refuse anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.codes import (
    Category,
    Department,
    DisasterKind,
    Health,
    LabourCapacity,
    Problem,
    Relation,
    RiskType,
)
from domain.errors import InvalidValue
from domain.rules import is_amount

Converter = Callable[[Any, str], Any]


def text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("CORRECTION_VALUE", f"“{field}”须为非空文本", field)
    return value.strip()


def free_text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue("CORRECTION_VALUE", f"“{field}”须为文本", field)
    return value


def day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidValue("CORRECTION_VALUE", f"“{field}”须为日期（YYYY-MM-DD）", field) from None


def money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if not is_amount(amount) or amount < 0:
        raise InvalidValue("CORRECTION_VALUE", f"“{field}”须为不小于0、不超过10亿元、最多两位小数的金额",
                           field)
    return amount


def signed_money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if not is_amount(amount):
        raise InvalidValue("CORRECTION_VALUE", f"“{field}”须为不超过10亿元、最多两位小数的金额", field)
    return amount


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue("CORRECTION_VALUE", f"“{field}”须为是/否（true/false）", field)
    return value


@dataclass(frozen=True)
class OneOf:
    """A converter to one code of ``codes`` (a form offers them as a drop-down)."""

    codes: type[StrEnum]

    def __call__(self, value: Any, field: str) -> StrEnum:
        try:
            return self.codes(value)
        except ValueError:
            allowed = "、".join(self.codes)
            raise InvalidValue(
                "CORRECTION_VALUE", f"“{field}”须为以下之一：{allowed}", field
            ) from None


@dataclass(frozen=True)
class ManyOf:
    """A converter to a non-empty list of codes of ``codes`` (a form offers a tick box each)."""

    codes: type[StrEnum]

    def __call__(self, value: Any, field: str) -> tuple[StrEnum, ...]:
        if not isinstance(value, list | tuple) or not value:
            raise InvalidValue("CORRECTION_VALUE", f"“{field}”须为非空列表", field)
        single = OneOf(self.codes)
        return tuple(dict.fromkeys(single(v, field) for v in value))


#: Correctable fields per kind of fact. The kind is the prefix of the fact's subject key.
CORRECTABLE: dict[str, dict[str, Converter]] = {
    "household": {"address": text, "township": text, "village": text},
    "member": {
        "name": text,
        "relation": OneOf(Relation),
        "health": OneOf(Health),
        "labour_capacity": OneOf(LabourCapacity),
        "in_school": flag,
        "insured": flag,
    },
    "alert": {
        "discovered_on": day,
        "risk_types": ManyOf(RiskType),
        "description": free_text,
        "disaster_kind": OneOf(DisasterKind),
        "problems": ManyOf(Problem),
    },
    "step": {"occurred_on": day, "reason": free_text},
    "case": {"category": OneOf(Category), "occurred_on": day},  # occurred_on: inclusion date
    "measure": {
        "department": OneOf(Department),
        "responsible_person": text,
        "started_on": day,
        "in_place_on": day,
        "amount": money,
    },
    "visit": {
        "occurred_on": day,
        "visitor": text,
        "income_change": signed_money,
        "spending_change": signed_money,
        "notes": free_text,
    },
    "assessment": {
        "occurred_on": day,
        "wages": money,
        "business": money,
        "property": money,
        "transfers": money,
        "production_costs": money,
    },
    "payout": {"occurred_on": day, "amount": money},
}


def to_json_native(value: Any) -> Any:
    """The stored form of a converted value: ISO dates, decimal strings, enum values, lists."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [to_json_native(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value
