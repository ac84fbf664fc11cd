"""Forms for the case-file commands, made from the commands' own bodies (`application.commands`).

Every command on a household becomes a form: its fields, their Chinese labels, the right input
for their type (a date picker, a drop-down of the code table, a tick box per risk type,
pass/fail for each of the six visit checks, a row per member or objection, the inputs of a
nested record side by side…) — never JSON typed by hand. What the browser sends back is turned
into the same command and run as the API runs it (`interfaces.http.household_commands`), so the web and
the API hold one set of rules; a refusal comes back as (field, Chinese message) to show beside
the field.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import inspect as mi

from domain.errors import DomainError
from interfaces.field_names import LABELS, in_words, label


@dataclass
class Field:
    """One input of a form, ready for the template."""

    name: str
    label: str
    #: text | textarea | number | date | checkbox | yesno | select | choices | checks | lines
    #: (a list of texts, a row each) | files (the digests of files picked on the page) | rows
    #: (a list of records, a row each) | group (one nested record, its inputs side by side) |
    #: changes (new values of a correction) | fact (the recorded fact a correction corrects)
    kind: str
    required: bool
    options: list[str] = field(default_factory=list)
    value: Any = None
    error: str = ""
    hint: str = ""
    #: The inputs of each row (``rows``), of the record (``group``), or of the fact's fields
    #: (``changes``).
    columns: list[Field] = field(default_factory=list)
    #: The input a refusal named inside a record (``members[1].id_number``, ``member.name``).
    error_at: str = ""
    #: What an empty choice says: not filled in, or (new values) not changed.
    blank: str = "（不填）"
    #: The value recorded now, shown beside a correction's new value.
    was: str = ""
    #: Choices sent as one thing and read as another: (value sent, what it says).
    labelled: list[tuple[str, str]] = field(default_factory=list)
    #: Rows asked for beyond those typed and a blank one ("增加一行" without the script).
    more: int = 0
    #: A finding to state (`application.commands.fields.STATED`): asked, never assumed.
    stated: bool = False

    @property
    def shown_rows(self) -> int:
        """Rows shown for a list: those typed and a blank one, at least `ROWS`."""
        return max(ROWS, len(self.value or ()) + 1) + self.more

    @property
    def error_inside(self) -> bool:
        """Whether the refusal names one input inside the field (marked alone, beside it)."""
        return self.error_at.startswith((f"{self.name}[", f"{self.name}."))

    @property
    def is_id_number(self) -> bool:
        """An ID number: the page checks its check digit as it is typed (the server judges)."""
        return self.name.endswith("id_number")


#: Rows a form offers for a list at first; "增加一行" (or the page's script) adds more.
ROWS = 3
#: The most rows a list is read from.
MAX_ROWS = 100


def _bare(t: mi.Type) -> mi.Type:
    """The type under its constraints (``Annotated[date, Meta(...)]`` is a date)."""
    while isinstance(t, mi.Metadata):
        t = t.type
    return t


def _strip_optional(t: mi.Type) -> tuple[mi.Type, bool]:
    t = _bare(t)
    if isinstance(t, mi.UnionType):
        others = [x for x in t.types if not isinstance(x, mi.NoneType)]
        if len(others) == 1:
            return _bare(others[0]), True
    return t, False


def _enum_values(t: mi.Type) -> list[str] | None:
    t = _bare(t)
    if isinstance(t, mi.EnumType):
        return [str(member.value) for member in t.cls]
    return None


def _record(t: mi.Type) -> mi.StructType | None:
    """The record a list holds (a bare text beside it, the older form of an item, aside)."""
    t = _bare(t)
    if isinstance(t, mi.UnionType):
        records = [x for x in map(_bare, t.types) if isinstance(x, mi.StructType)]
        return records[0] if len(records) == 1 else None
    return t if isinstance(t, mi.StructType) else None


def form_fields(body: type[msgspec.Struct], extra: tuple[str, ...] = ()) -> list[Field]:
    """The inputs of a body's form (``extra``: path parameters asked as text first)."""
    info = mi.type_info(body)
    assert isinstance(info, mi.StructType)
    return [Field(name, LABELS.get(name, name), "text", True) for name in extra] + [
        _field(f) for f in info.fields]


def _stated(t: mi.Type) -> bool:
    """Whether a field is a finding to state (`application.commands.fields.STATED`)."""
    while isinstance(t, mi.Metadata):
        if (t.extra or {}).get("stated"):
            return True
        t = t.type
    return False


def _field(f: mi.Field) -> Field:
    """The input of one field of a body, by its type; a finding to state starts at 请选择 and
    is required, as the API requires it."""
    t, optional = _strip_optional(f.type)
    stated = _stated(f.type)
    required = (f.required and not optional) or stated
    value = None if f.default is msgspec.NODEFAULT or stated else f.default
    kind, options, columns = "text", [], []
    if isinstance(t, mi.DateType):
        kind = "date"
    elif isinstance(t, mi.BoolType):  # "not said" is a third answer where nothing is assumed
        kind, options = ("checkbox", []) if value is not None else ("yesno", ["是", "否"])
    elif (values := _enum_values(t)) is not None:
        kind, options = "select", values
    elif isinstance(t, mi.ListType) and (values := _enum_values(t.item_type)) is not None:
        kind, options = "choices", values
    elif isinstance(t, mi.ListType) and (record := _record(t.item_type)) is not None:
        kind, columns = "rows", [_field(c) for c in record.fields]
        for column in columns:  # a choice each row makes, even where the type lets it be left out
            if column.kind == "select" and column.value is None:
                column.blank = "请选择"
    elif isinstance(t, mi.ListType):
        kind = "lines"
    elif isinstance(t, mi.StructType):
        kind, columns = "group", [_field(c) for c in t.fields]
        if not any(c.required for c in columns):  # new values: a field left out did not change
            for column in columns:
                column.blank = "（不变）"
    elif isinstance(t, mi.DictType) and (values := _enum_values(t.key_type)) is not None:
        kind, options = "checks", values
    elif isinstance(t, mi.DictType):  # new values by field: offered per fact (`web.corrections`)
        kind = "changes"
    elif isinstance(t, mi.IntType | mi.FloatType | mi.DecimalType):
        kind = "number"
    elif isinstance(t, mi.StrType) and (_max_length(f.type) or 0) > 200:
        kind = "textarea"
    return Field(f.name, LABELS.get(f.name, f.name), kind, required, options,
                 value=value if value not in ((), []) else None, columns=columns, stated=stated)


def _max_length(t: mi.Type) -> int | None:
    while isinstance(t, mi.Metadata | mi.UnionType):
        if isinstance(t, mi.UnionType):
            t = next(x for x in t.types if not isinstance(x, mi.NoneType))
        else:
            t = t.type
    return getattr(t, "max_length", None)


#: What a yes/no choice sends, as the body reads it.
YES_NO = {"是": True, "否": False}


def read_form(fields: list[Field], form: Any) -> dict[str, Any]:
    """The body the form stands for: empty optional inputs left out, values typed by kind."""
    values: dict[str, Any] = {}
    refused: FormError | None = None
    for f in fields:
        if f.kind == "checks":  # each one found, never passed by default
            chosen = {option: form.get(f"{f.name}.{option}") == "pass" for option in f.options
                      if form.get(f"{f.name}.{option}") in ("pass", "fail")}
            values[f.name] = chosen
            unchosen = [option for option in f.options if option not in chosen]
            if unchosen and refused is None:  # said once every field has kept what was typed
                refused = FormError(f.name, f"请为“{'、'.join(unchosen)}”选择通过或未通过")
        elif f.kind == "rows":
            values[f.name] = [row for n in _numbers(form, f.name)
                              if (row := _read_record(f.columns, f"{f.name}-{n}-", form))]
            for n, row in enumerate(values[f.name]):
                refused = refused or _unstated(f.columns, row, f"{f.name}[{n}].")
        elif f.kind in ("lines", "files"):  # files: their digests, once kept
            typed = (str(form.get(f"{f.name}-{n}", "")).strip() for n in _numbers(form, f.name))
            values[f.name] = [line for line in typed if line]
        elif f.kind == "group":
            values[f.name] = _read_record(f.columns, f"{f.name}.", form, keep_blank=True)
            refused = refused or _unstated(f.columns, values[f.name], f"{f.name}.")
        elif f.kind == "changes":
            values[f.name] = {c.name: given for c in f.columns  # nothing given: unchanged
                              if (given := _given(c, f"{f.name}.{c.name}", form)) not in (None, [])}
        elif (given := _given(f, f.name, form)) is not None:
            values[f.name] = given
        else:
            refused = refused or _unstated([f], {}, "")
        f.value = values.get(f.name)
    if refused is not None:
        raise refused
    return values


def _given(f: Field, name: str, form: Any) -> Any:
    """What one input holds, typed by its kind; None when nothing was given."""
    if f.kind == "checkbox":
        return form.get(name) == "true"
    if f.kind == "choices":
        return list(form.getall(name, []))
    if f.kind == "yesno":
        return YES_NO.get(str(form.get(name, "")))
    text = str(form.get(name, "")).strip()
    if text == "":
        return None
    if f.kind == "number":  # as people write amounts: ¥20,000 / 20，000元
        return _MONEY_MARKS.sub("", text)
    if f.name == "period" and (month := _CHINESE_MONTH.fullmatch(text)):
        return f"{month.group(1)}-{int(month.group(2)):02d}"  # 2026年12月
    return text


def _unstated(fields: list[Field], given: dict[str, Any], at: str) -> FormError | None:
    """The refusal of a finding to state left at 请选择 (``at``: the record it is in)."""
    missing = next((f for f in fields if f.stated and given.get(f.name) is None), None)
    return None if missing is None else FormError(f"{at}{missing.name}", f"请选择{label(missing.name)}")


def _read_record(columns: list[Field], prefix: str, form: Any,
                 keep_blank: bool = False) -> dict[str, Any]:
    """The record typed in the inputs named ``prefix`` + column; {} for a row left blank (its
    tick boxes aside: a row nobody touched is skipped). A text goes as typed, even empty (the
    rule that wants it says so); an empty choice is left out."""
    kinds = {c.name: c.kind for c in columns}
    record = {c.name: _given(c, prefix + c.name, form) for c in columns}
    if not keep_blank and all(given in (None, "", []) for name, given in record.items()
                              if kinds[name] != "checkbox"):
        return {}
    return {name: "" if given is None else given for name, given in record.items()
            if given is not None or kinds[name] in ("text", "textarea")}


def _numbers(form: Any, name: str) -> list[int]:
    """The row numbers the browser sent for a list (``members-0-name``, ``needs-2``…), in
    order: a row its script removed leaves a gap, never an end."""
    found = re.compile(rf"{re.escape(name)}-(\d+)(?:-|$)")
    numbers = {int(m.group(1)) for key in form if (m := found.match(key))}
    return sorted(n for n in numbers if n < MAX_ROWS)


def refusal(refused: FormError | DomainError) -> dict[str, Any]:
    """A refusal as the form shows it: the field it names, its message in words, its code."""
    if isinstance(refused, FormError):
        return {"field": refused.field, "message": refused.message, "code": "INVALID_VALUE"}
    return {"field": refused.field, "message": in_words(refused.message, refused.field),
            "code": refused.code}


def show_again(fields: list[Field], named: str | None, message: str, more: str = "") -> None:
    """Put a refusal beside the field it names (or the one input inside it: a row's ID number),
    and give the list ``more`` names the row asked for."""
    named = named or ""
    for f in fields:
        if message and (f.name == named or named.startswith((f"{f.name}[", f"{f.name}."))):
            f.error, f.error_at = message, named
        f.more = int(bool(more) and f.name == more)


#: What an amount may carry that is not its number; a month as written in Chinese.
_MONEY_MARKS = re.compile(r"[¥￥,，\s]|元$")
_CHINESE_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")


class FormError(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_PATH = re.compile(r" - at `\$\.?([^`]*)`")


def to_body(body: type[msgspec.Struct], values: dict[str, Any]) -> Any:
    """Convert form values into the API body, or raise `FormError` naming the field (inside a
    record: ``members[1].id_number``) by its label."""
    from interfaces.http.problems import in_chinese

    try:
        return msgspec.convert(values, body, strict=False,
                               dec_hook=lambda t, v: _decode(t, v))
    except msgspec.ValidationError as error:
        message = str(error)
        found = _PATH.search(message)
        path = found.group(1) if found else ""
        missing = re.search(r"missing required field `([^`]+)`", message)
        if missing:
            path = f"{path}.{missing.group(1)}" if path else missing.group(1)
        text = in_chinese(_PATH.sub("", message))
        return _raise(path or None, in_words(text, path))


def _raise(name: str | None, message: str) -> Any:
    raise FormError(name, message)


def _decode(t: type, value: Any) -> Any:
    if t is Decimal:
        return Decimal(str(value))
    if t is date:
        return date.fromisoformat(str(value))
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return t(value)
    raise NotImplementedError
