"""The workbench's forms speak Chinese: every field by its label, every refusal naming it so."""

from __future__ import annotations

import pytest

from application.commands import RecordVisit
from application.commands.base import request_body
from interfaces.web.forms import FormError, form_fields, to_body
from interfaces.web.household import COMMAND_FORMS


def test_no_form_labels_a_field_by_its_identifier() -> None:
    unlabelled = []
    for name, form in COMMAND_FORMS.items():
        for f in form_fields(form.body, form.extra):
            if f.label == f.name:
                unlabelled.append(f"{name}: {f.name}")
            unlabelled += [f"{name}: {f.name}.{c.name}" for c in f.columns if c.label == c.name]
    assert unlabelled == []


def test_a_missing_field_is_named_by_its_label() -> None:
    with pytest.raises(FormError) as refused:
        to_body(request_body(RecordVisit), {"occurred_on": "2025-01-01", "checks": {}})
    assert (refused.value.field, refused.value.message) == ("visitor", "缺少必填字段 走访人")


def test_amounts_and_months_are_read_as_people_write_them() -> None:
    """¥20,000 and 20，000元 are 20000; 2026年12月 is the period 2026-12; a wrong amount is
    refused in words, with no stray mark of the validator's."""
    from litestar.datastructures import MultiDict

    from application.commands import AssignMeasure, RaiseAlert
    from interfaces.web.forms import read_form

    measure = form_fields(request_body(AssignMeasure))
    for typed in ("¥20,000", "20，000元", "20000"):
        assert read_form(measure, MultiDict({"amount": typed}))["amount"] == "20000"
    alert = form_fields(request_body(RaiseAlert))
    assert read_form(alert, MultiDict({"period": "2026年12月"}))["period"] == "2026-12"
    with pytest.raises(FormError) as refused:
        to_body(request_body(AssignMeasure), {
            "measure_id": "M1", "measure_type": "健康帮扶", "department": "卫健局",
            "responsible_person": "王医生", "amount": "两万", "occurred_on": "2025-01-01"})
    assert refused.value.field == "amount" and "`" not in refused.value.message
