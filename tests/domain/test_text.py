"""The rule for text a case file may hold: no control characters but tab and line breaks."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.text import CODE, check_document, check_text, check_texts, refused_character


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f",
                                       "\x7f", "\x85", "\x9f", "\ud800", "\udfff"])
def test_control_characters_and_half_surrogates_are_refused(character: str) -> None:
    assert refused_character(f"王{character}建国") == character
    with pytest.raises(InvalidValue) as refused:
        check_text(f"王{character}建国", "name")
    assert (refused.value.code, refused.value.field) == (CODE, "name")
    assert f"U+{ord(character):04X}" in refused.value.message


def test_tab_line_breaks_and_every_script_people_type_are_text() -> None:
    for text in ("住院\t花费\n大\r\n", "王建国", "Zhāng Sān", "  ", "", "😀", "\xa0", "€"):
        assert refused_character(text) is None
        assert check_text(text, "description") == text


def test_a_document_names_the_path_of_its_first_refused_text() -> None:
    body = {"code": "1", "members": [{"name": "王建国"}, {"name": "李\x00秀英"}],
            "changes": {"address": "东村\x1b"}}
    with pytest.raises(InvalidValue) as refused:
        check_document(body)
    assert refused.value.field == "members[1].name"
    with pytest.raises(InvalidValue) as refused:
        check_document({"member": {"name": "a\x00"}})
    assert refused.value.field == "member.name"
    with pytest.raises(InvalidValue) as refused:
        check_document({"changes": {"addr\x00ess": "x"}})
    assert refused.value.field == "changes" and "字段名" in refused.value.message
    with pytest.raises(InvalidValue) as refused:
        check_document(["ok", "\x00"])
    assert refused.value.field == "[1]"
    with pytest.raises(InvalidValue) as refused:
        check_document("\x00")
    assert refused.value.field == "body"
    check_document({"a": [1, 2.5, None, True, {"b": "住院\n"}]})


def test_a_form_or_a_query_string_names_the_field() -> None:
    with pytest.raises(InvalidValue) as refused:
        check_texts([("township", "银坊镇"), ("limit", 5), ("village", "东\x00村")])
    assert refused.value.field == "village"
