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
