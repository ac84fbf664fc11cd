"""The correction form (更正) as a county worker fills it: pick the recorded fact from the
household's history, said as its sentence; then each field that fact may have corrected
(`domain.corrections.CORRECTABLE`), by its Chinese label, with the value recorded now beside an
input of the right kind for the new one. Only what is typed is sent, as the same `Correct`
command the API runs: the event's version, the member (for one registered with the household)
and the new values by field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from application.commands import Correct
from domain.corrections import CORRECTABLE, ManyOf, OneOf, day, flag, money, signed_money
from domain.household import Household
from interfaces.web.forms import LABELS, YES_NO, Field, FormError


@dataclass(frozen=True)
class Fact:
    """A recorded fact a correction may name: its version, what it records and its sentence.
    ``pick`` is what the form sends for it (a member registered with the household is named
    by a digest of their ID number, never the number itself)."""

    pick: str
    version: int
    subject: str
    member_id_number: str | None
    sentence: str


def correctable_facts(household: Household, sentences: dict[int, str]) -> list[Fact]:
    """The facts of the household a correction may name, the latest first: each correctable
    event, and each current member registered with the household (through the registration)."""
    facts = []
    for version, subject in sorted(household.subjects.items(), reverse=True):
        said = f"第{version}项：{sentences.get(version, '')}"
        if subject == "household":
            facts += [Fact(f"{version}.{_digest(m.id_number)}", version, f"member:{m.id_number}",
                           m.id_number, f"{said}——成员{m.name}（{m.relation}）")
                      for m in household.current_members() if m.joined_on is None]
            said += "——农户登记信息"
        facts.append(Fact(str(version), version, subject, None, said))
    return facts


def _digest(id_number: str) -> str:
    return hashlib.sha256(id_number.encode()).hexdigest()[:12]


def correction_fields(fields: list[Field], household: Household, facts: list[Fact],
                      pick: str) -> list[Field]:
    """The form's fields for the fact picked (none yet: the list to pick from): the fact as a
    choice of the household's facts, and an input per field it may correct."""
    fact = next((f for f in facts if f.pick == pick), None)
    shown = []
    for f in fields:
        if f.name == "member_id_number":  # the member is part of the fact picked
            continue
        if f.name == "corrects_version":
            f.kind, f.value = "fact", fact.pick if fact else None
            f.labelled = [(option.pick, option.sentence) for option in facts]
        elif f.name == "changes" and fact is not None:
            f.columns = new_values(household, fact)
        shown.append(f)
    return shown


def new_values(household: Household, fact: Fact) -> list[Field]:
    """An input per field the fact may correct, with the value recorded now beside it."""
    kind = fact.subject.split(":", 1)[0]
    record = household.subject_record(fact.subject)
    inputs = []
    for name, converter in CORRECTABLE[kind].items():
        if (kind, name) == ("case", "occurred_on"):  # a case's date is its inclusion date
            label, now = LABELS["included_on"], record.included_on
        else:
            label, now = LABELS.get(name, name), getattr(record, name, None)
        input_kind, options = _input_for(converter)
        inputs.append(Field(name, label, input_kind, False, options, blank="（不变）",
                            was=_as_shown(now)))
    return inputs


def _input_for(converter: Any) -> tuple[str, list[str]]:
    """The input that types a new value as its converter reads it."""
    if isinstance(converter, OneOf):
        return "select", [str(code) for code in converter.codes]
    if isinstance(converter, ManyOf):
        return "choices", [str(code) for code in converter.codes]
    if converter is day:
        return "date", []
    if converter in (money, signed_money):
        return "number", []
    if converter is flag:
        return "yesno", list(YES_NO)
    return "text", []


def _as_shown(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date | Decimal | int):
        return str(value)
    if isinstance(value, Iterable) and not isinstance(value, str):
        return "、".join(_as_shown(v) for v in value) or "（空）"
    return str(value)


def as_command_values(values: dict[str, Any], facts: list[Fact]) -> dict[str, Any]:
    """The body of `Correct` from what the form sent: the fact picked as its version and
    member."""
    pick = values.pop("corrects_version", None)
    fact = next((f for f in facts if f.pick == pick), None)
    if fact is None:
        raise FormError("corrects_version", "请选择被更正的记录")
    values["corrects_version"] = fact.version
    if fact.member_id_number is not None:
        values["member_id_number"] = fact.member_id_number
    return values


#: The command whose form this module makes.
COMMAND = Correct.name
