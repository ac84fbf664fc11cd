"""Reading the workbooks and CSV files counties exchange: department pushes and the registry.

A file is read a row at a time (openpyxl in read-only mode for .xlsx; the csv module for .csv in
UTF-8 or GB18030), so memory stays flat whatever its length. Each row is checked on its own and
answered with the column and a Chinese reason for every problem found — never a guess: an ID
number Excel has already damaged (stored as a number, a lost trailing X, lost digits) is named
as such and left for a person to fix; a cell holding a control character is refused as text
typed into a form is (`domain.text`). What rows become is `application.imports`' business.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from application.cells import read_amount, read_code, read_date, read_id_number, text_of
from domain.codes import (
    DisasterKind,
    Health,
    HouseholdType,
    LabourCapacity,
    Problem,
    Relation,
    RiskType,
    SuddenHardship,
    TargetGroup,
)
from domain.errors import DomainError, InvalidValue
from domain.text import CODE as TEXT_CODE
from domain.text import reason, refused_character

#: Several values in one cell (risk types, problems) are separated by any of these.
_SEPARATORS = re.compile(r"[、,，;；/\s]+")
_YES = {"是", "有", "Y", "y", "yes", "1", "√", "TRUE", "true"}
_NO = {"否", "无", "N", "n", "no", "0", "×", "FALSE", "false"}


class FileRefused(DomainError):
    """The file as a whole cannot be read (format, headers): nothing is recorded."""


@dataclass(frozen=True)
class Column:
    """A column of a template: its key, its Chinese header and how its cells are read."""

    key: str
    header: str
    kind: str  # text | id_number | code | codes | date | year | flag | household_code | amount
    required: bool = False
    codes: type[StrEnum] | None = None
    help: str = ""


ALERT_COLUMNS: tuple[Column, ...] = (
    Column("person_id_number", "身份证号码", "id_number", True,
           help="18位居民身份证号码；请将该列设为“文本”格式，避免 Excel 把它变成科学计数法"),
    Column("risk_types", "风险类型", "codes", True, RiskType,
           "一种或多种（最多5种），用顿号分隔，如：因病、因残"),
    Column("occurred_on", "发现日期", "date", True,
           help="发现风险之日（15日时限自此起算），如 2025-03-05、2025/3/5 或 2025年3月5日"),
    Column("description", "情况说明", "text", help="发生了什么"),
    Column("disaster_kind", "灾害类型", "code", codes=DisasterKind, help="风险类型含“因自然灾害”时必填"),
    Column("sudden_hardship", "突发困难类型", "code", codes=SuddenHardship,
           help="因灾、因疫、意外等突发风险时填写：自然灾害、疫情、意外事故（① 7日内推送）"),
    Column("problems", "问题标识", "codes", codes=Problem, help="可多项，用顿号分隔"),
    Column("target_group", "对象类别", "code", codes=TargetGroup, help="推送频次表对本期次要求时必填"),
    Column("amount", "金额（元）", "amount", help="推送频次表对本期次要求时必填（如 ⑥ 累计医疗支出）"),
    Column("township", "所在乡镇", "text", help="身份证号码不在已登记农户中时，转该乡镇认领"),
    Column("village", "所在行政村", "text"),
)

HOUSEHOLD_COLUMNS: tuple[Column, ...] = (
    Column("code", "户编号", "household_code", True, help="全县唯一；同户成员各占一行且连续排列"),
    Column("township", "乡镇", "text", True),
    Column("village", "行政村", "text", True),
    Column("address", "住址", "text", True),
    Column("household_type", "户类型", "code", True, HouseholdType),
    Column("lifted_out_year", "脱贫年度", "year", help="脱贫户必填，如 2016"),
    Column("name", "姓名", "text", True),
    Column("id_number", "身份证号码", "id_number", True,
           help="18位居民身份证号码；请将该列设为“文本”格式"),
    Column("relation", "与户主关系", "code", True, Relation, help="户主填“本人”，每户一人"),
    Column("health", "健康状况", "code", True, Health, help="入户了解后填写，不设默认值"),
    Column("labour_capacity", "劳动能力", "code", True, LabourCapacity, help="入户了解后填写，不设默认值"),
    Column("in_school", "在校生", "flag", help="是 / 否，默认否"),
    Column("insured", "参加居民医保", "flag", True, help="是 / 否，入户了解后填写，不设默认值"),
)


@dataclass
class SourceRow:
    """One row of the file: its row number in the sheet, the cells as read, and by column."""

    number: int
    cells: list[Any]
    values: dict[str, Any]


@dataclass
class CheckedRow:
    """A row after checking: the values it gives, or the problems it has (column, reason)."""

    number: int
    cells: list[Any]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def reason(self) -> str:
        return "；".join(f"【{column}】{text}" if column else text for column, text in self.problems)


@dataclass
class Sheet:
    """A file opened for reading: its headers, its rows (read lazily) and its size."""

    headers: list[str]
    rows: Iterator[SourceRow]
    approximate_rows: int | None
    blank_rows: list[int] = field(default_factory=list)


# ---------------------------------------------------------------------- reading


def open_sheet(path: Path, columns: Sequence[Column], data: bytes | None = None) -> Sheet:
    """Open an .xlsx or .csv file (``data``: its bytes, when uploaded) and check its headers."""
    if (character := refused_character(path.name)) is not None:
        raise FileRefused(TEXT_CODE, f"文件名{reason(character)}", "file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        headers, rows, size, merged = _xlsx_rows(path, data)
    elif suffix == ".csv":
        headers, rows, size = _csv_rows(path, data)
        merged = {}
    else:
        raise FileRefused("FILE_FORMAT", f"只接受 .xlsx 或 .csv 文件：{path.name}", "file")
    by_header = _check_headers(headers, columns)
    sheet = Sheet(headers, iter(()), size)
    sheet.rows = _source_rows(rows, by_header, merged, sheet)
    return sheet


def _check_headers(headers: list[str], columns: Sequence[Column]) -> dict[int, Column]:
    known = {c.header: c for c in columns}
    unknown = [h for h in headers if h and h not in known]
    if unknown:
        hints = []
        for header in unknown:
            near = difflib.get_close_matches(header, list(known), n=1, cutoff=0.5)
            hints.append(f"“{header}”" + (f"（是否为“{near[0]}”？）" if near else ""))
        raise FileRefused("HEADER_UNKNOWN", f"未知的列：{'、'.join(hints)}；可用的列：{'、'.join(known)}",
                          "headers")
    missing = [c.header for c in columns if c.required and c.header not in headers]
    if missing:
        raise FileRefused("HEADER_MISSING", f"缺少必填列：{'、'.join(missing)}（表头须在第一行）", "headers")
    repeated = {h for h in headers if h and headers.count(h) > 1}
    if repeated:
        raise FileRefused("HEADER_REPEATED", f"列重复：{'、'.join(sorted(repeated))}", "headers")
    return {i: known[h] for i, h in enumerate(headers) if h}


def _source_rows(rows: Iterator[tuple[int, list[Any]]], by_header: dict[int, Column],
                 merged: dict[int, str], sheet: Sheet) -> Iterator[SourceRow]:
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            sheet.blank_rows.append(number)
            continue
        values = {column.key: cells[i] if i < len(cells) else None for i, column in by_header.items()}
        row = SourceRow(number, cells, values)
        if number in merged:
            row.values["__merged__"] = merged[number]
        yield row


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _xlsx_rows(path: Path, data: bytes | None) -> tuple[list[str], Iterator[tuple[int, list[Any]]],
                                                       int | None, dict[int, str]]:
    from openpyxl import load_workbook

    source: Any = io.BytesIO(data) if data is not None else path
    try:
        merged = _merged_rows(source)
        book = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError) as error:
        raise FileRefused("FILE_FORMAT", f"无法作为 Excel 工作簿读取：{path.name}（{error}）",
                          "file") from None
    sheet = next((ws for ws in book.worksheets if hasattr(ws, "iter_rows")), None)
    if sheet is None:
        book.close()
        raise FileRefused("FILE_EMPTY", f"工作簿中没有工作表：{path.name}", "file")
    rows = sheet.iter_rows(values_only=True)
    headers: list[str] = []
    number = 0
    for number, cells in enumerate(rows, start=1):  # noqa: B007 — the header's row number is kept
        if not all(_blank(c) for c in cells):
            headers = [str(c).strip() if c is not None else "" for c in cells]
            break
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        book.close()
        raise FileRefused("FILE_EMPTY", f"工作簿第一个工作表是空的：{path.name}", "file")

    def body() -> Iterator[tuple[int, list[Any]]]:
        offset = number
        try:
            for offset, cells in enumerate(rows, start=number + 1):
                yield offset, list(cells)
        except (ElementTree.ParseError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise FileRefused("FILE_FORMAT", f"工作簿第 {offset + 1} 行之后已损坏（{error}）：其前各行已处理",
                              "file") from None
        finally:
            book.close()

    return headers, body(), sheet.max_row, merged


def _merged_rows(source: Any) -> dict[int, str]:
    """Rows inside a merged range of the first sheet, below its first row: {row: range}.

    openpyxl in read-only mode does not report merged cells, so the sheet's ``mergeCell``
    elements are read on their own (a streamed pass that keeps nothing else)."""
    found: dict[int, str] = {}
    with zipfile.ZipFile(source) as archive:
        names = sorted(n for n in archive.namelist() if re.match(r"xl/worksheets/sheet\d+\.xml$", n))
        first = _first_sheet_part(archive) or (names[0] if names else None)
        if first is None:
            return found
        with archive.open(first) as part:
            for _event, element in ElementTree.iterparse(part):
                if element.tag.endswith("}mergeCell"):
                    ref = element.get("ref", "")
                    rows = [int(r) for r in re.findall(r"(\d+)", ref)]
                    if len(rows) == 2:
                        for row in range(rows[0] + 1, rows[1] + 1):
                            found[row] = ref
                element.clear()
    if hasattr(source, "seek"):
        source.seek(0)
    return found


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The part name of the workbook's first sheet (workbook order, not file name order)."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None
    sheet = next((e for e in book.iter() if e.tag.endswith("}sheet")), None)
    if sheet is None:
        return None
    rel_id = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "").lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    return None


#: A cell of a CSV may be long (a description pasted in); the csv module's default is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


def _csv_rows(path: Path, data: bytes | None) -> tuple[list[str], Iterator[tuple[int, list[Any]]], None]:
    encoding = _csv_encoding(path, data)
    stream: Any = (io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="") if data is not None
                   else open(path, encoding=encoding, newline=""))  # noqa: SIM115 — closed by body()
    reader = csv.reader(stream)
    headers: list[str] = []
    number = 0
    for number, cells in enumerate(reader, start=1):  # noqa: B007 — the header's row number is kept
        if not all(_blank(c) for c in cells):
            headers = [c.strip() for c in cells]
            break
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        stream.close()
        raise FileRefused("FILE_EMPTY", f"文件是空的：{path.name}", "file")

    def body() -> Iterator[tuple[int, list[Any]]]:
        offset = number
        try:
            for offset, cells in enumerate(reader, start=number + 1):
                yield offset, [c if c.strip() else None for c in cells]
        except (csv.Error, UnicodeDecodeError) as error:
            raise FileRefused("FILE_FORMAT", f"第 {offset + 1} 行之后无法读取（{error}）：其前各行已处理",
                              "file") from None
        finally:
            stream.close()

    return headers, body(), None


def _csv_encoding(path: Path, data: bytes | None) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else GB18030 when it
    does; anything else (a workbook renamed .csv, UTF-16) is refused."""
    source: Any = io.BytesIO(data) if data is not None else open(path, "rb")  # noqa: SIM115
    with source:
        start = source.read(4)
        if start.startswith(b"PK\x03\x04"):
            raise FileRefused("FILE_FORMAT", f"{path.name} 是 Excel 工作簿：请使用 .xlsx 扩展名", "file")
        if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise FileRefused("FILE_FORMAT", f"{path.name} 是 UTF-16 编码：请另存为 UTF-8 或 GB18030 的 CSV",
                              "file")
        for encoding in ("utf-8", "gb18030"):
            source.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := source.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return "utf-8-sig" if encoding == "utf-8" else encoding
    raise FileRefused("FILE_FORMAT", f"{path.name} 既不是 UTF-8 也不是 GB18030 编码的 CSV", "file")


# ---------------------------------------------------------------------- checking cells


def check_row(row: SourceRow, columns: Sequence[Column]) -> CheckedRow:
    """Every cell of a row read by its column, with each problem named."""
    checked = CheckedRow(row.number, row.cells)
    if "__merged__" in row.values:
        checked.problems.append(
            ("", f"位于合并单元格 {row.values['__merged__']} 内：请取消合并，每行填写完整"))
        return checked
    for column in columns:
        raw = row.values.get(column.key)
        if _blank(raw):
            if column.required:
                checked.problems.append((column.header, "必填，不能为空"))
            continue
        if isinstance(raw, str) and (character := refused_character(raw)) is not None:
            checked.problems.append((column.header, reason(character)))
            continue
        try:
            checked.values[column.key] = read_cell(column, raw)
        except InvalidValue as problem:
            checked.problems.append((column.header, problem.message))
    return checked


def read_cell(column: Column, raw: Any) -> Any:
    """A cell's value as its column reads it, or `InvalidValue` with the reason."""
    kind = column.kind
    if kind == "id_number":
        return read_id_number(raw)
    if kind == "household_code":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise InvalidValue(
                "CELL_NUMBER", "户编号被存成了数字，开头的0可能已丢失：请将该列设为文本后按原编号填写",
                column.key)
        return text_of(raw)
    if kind == "date":
        return read_date(raw)
    if kind == "code":
        return read_code(column.codes, raw)  # type: ignore[arg-type]
    if kind == "amount":
        return read_amount(raw, column.key)
    if kind == "codes":
        return tuple(dict.fromkeys(read_code(column.codes, part)  # type: ignore[arg-type]
                                   for part in _SEPARATORS.split(text_of(raw)) if part))
    if kind == "year":
        year = raw if isinstance(raw, int) else int(raw) if isinstance(raw, float) and raw.is_integer() \
            else int(text_of(raw)) if text_of(raw).isdigit() else None
        if year is None or not 1980 <= year <= 2100:
            raise InvalidValue("CELL_YEAR", f"“{raw}”不是年度（如 2016）", column.key)
        return year
    if kind == "flag":
        if isinstance(raw, bool):
            return raw
        text = text_of(raw)
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise InvalidValue("CELL_FLAG", f"“{raw}”应为“是”或“否”", column.key)
    return text_of(raw)
