"""The exchange mapping file is checked whole when it is loaded, and a fault is named by its key,
so a county editing it for the provincial template learns what to fix before anything goes out."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from interfaces.exchange_mapping import DEFAULT_MAPPING, catalogue, cell_value, load_mapping, parse_mapping

COLUMN = '[[monitoring.columns]]\nheader = "{header}"\nfield = "{field}"\n'


def refused(text: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_mapping(text)
    assert caught.value.code == "EXCHANGE_MAPPING_INVALID"
    return caught.value


def test_the_shipped_mapping_loads_and_names_only_known_fields():
    mapping = load_mapping()
    assert mapping.source == str(DEFAULT_MAPPING)
    assert set(mapping.sheets) == {"monitoring", "households", "measures"}
    for kind, sheet in mapping.sheets.items():
        assert all(c.field in catalogue()[kind] for c in sheet.columns if c.field)


def test_the_shipped_mapping_documents_every_field_there_is():
    comments = "\n".join(line for line in DEFAULT_MAPPING.read_text(encoding="utf-8").splitlines()
                         if line.startswith("#"))
    assert [f for fields in catalogue().values() for f in fields if f"{f} " not in comments] == []


def test_an_unknown_field_is_named_with_the_fields_there_are():
    error = refused(COLUMN.format(header="户号", field="code") + COLUMN.format(header="类别", field="类别"))
    assert error.field == "monitoring.columns[2].field"
    assert "类别" in error.message and "category" in error.message


def test_a_duplicate_header_is_named():
    error = refused(COLUMN.format(header="户号", field="code")
                    + COLUMN.format(header="户号", field="village"))
    assert error.field == "monitoring.columns[2].header" and "第 1 列" in error.message


def test_a_code_map_naming_a_term_not_in_our_code_table_is_named():
    error = refused(COLUMN.format(header="类别", field="category")
                    + 'codes = { "边缘户" = "2" }\nother = "9"\n')
    assert error.field == "monitoring.columns[1].codes.边缘户"
    assert "边缘易致贫户" in error.message  # the table's terms are listed


def test_a_code_map_must_cover_the_table_or_say_what_the_rest_become():
    text = COLUMN.format(header="类别", field="category") + 'codes = { "边缘易致贫户" = "2" }\n'
    error = refused(text)
    assert error.field == "monitoring.columns[1].codes" and "脱贫不稳定户" in error.message
    sheet = parse_mapping(text + 'other = "9"\n').sheets["monitoring"]
    terms = ("边缘易致贫户", "脱贫不稳定户")
    assert [cell_value(sheet.columns[0], {"category": c}) for c in terms] == ["2", "9"]


@pytest.mark.parametrize(("text", "key"), [
    ("[monitoring]\ncolumns = [", "mapping"),
    ("[people]\n", "people"),
    ('[monitoring]\nsheets = "x"\n', "monitoring.sheets"),
    ('[monitoring]\nsheet = "监测[2025]"\n' + COLUMN.format(header="户号", field="code"), "monitoring.sheet"),
    (COLUMN.format(header="=HYPERLINK(1)", field="code"), "monitoring.columns[1].header"),
    ("[monitoring]\n", "monitoring.columns"),
    (COLUMN.format(header="户号", field="code") + 'colour = "red"\n', "monitoring.columns[1].colour"),
    ('[[monitoring.columns]]\nheader = "县"\n', "monitoring.columns[1].field"),
    ('[[monitoring.columns]]\nheader = "县"\nvalue = "涞源县"\nfield = "code"\n',
     "monitoring.columns[1].field"),
    (COLUMN.format(header="户号", field="code") + 'codes = { "是" = "1" }\n', "monitoring.columns[1].codes"),
    (COLUMN.format(header="户号", field="code") + 'date_format = "%Y"\n',
     "monitoring.columns[1].date_format"),
    (COLUMN.format(header="纳入", field="included_on") + 'date_format = "%Q"\n', None),
    (COLUMN.format(header="户号", field="code") + 'separator = ","\n', "monitoring.columns[1].separator"),
    (COLUMN.format(header="类别", field="category") + 'codes = { "边缘易致贫户" = 2 }\nother = "9"\n',
     "monitoring.columns[1].codes.边缘易致贫户"),
    ('[[households.columns]]\nheader = "成员"\nfield = "member.left_on"\n', "households.columns[1].field"),
])
def test_every_fault_names_its_key(text: str, key: str | None):
    error = refused(text)
    if key is not None:
        assert error.field == key, error.message
    assert error.message.startswith("导出映射有误（")


def test_values_come_out_as_the_column_says():
    sheet = parse_mapping(
        COLUMN.format(header="风险", field="risk_types")
        + 'separator = ","\ncodes = { "因病" = "01", "因残" = "02" }\nother = "99"\n'
        + COLUMN.format(header="纳入", field="included_on") + 'date_format = "%Y%m%d"\n'
        + COLUMN.format(header="消除中", field="eliminating")
        + '[[monitoring.columns]]\nheader = "省"\nvalue = "河北省"\n').sheets["monitoring"]
    from datetime import date

    row = {"risk_types": "因病、因残、其他", "included_on": date(2025, 3, 10), "eliminating": False}
    assert [cell_value(c, row) for c in sheet.columns] == ["01,02,99", "20250310", "否", "河北省"]
    assert [cell_value(c, {}) for c in sheet.columns] == [None, None, None, "河北省"]


def test_the_readme_names_every_field_too():
    readme = (DEFAULT_MAPPING.parents[1] / "README.md").read_text(encoding="utf-8")
    assert [f for fields in catalogue().values() for f in fields if f"`{f}`" not in readme] == []
