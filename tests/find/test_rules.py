"""R-FIND-1's pure part: a request is exactly one way of searching, its value normalised."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.find.rules import FIELDS, PersonSearch, SearchRefused, Way, choose_search

BORN = date(1990, 3, 7)
VALUES: dict[str, Any] = {
    "id_number": "110101199003074514",
    "card_no": "1101010000000013",
    "phone": "13800138000",
    "name": "王小明",
    "birth_date": BORN,
}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"id_number": " 11010119850601001x "}, PersonSearch(Way.ID_NUMBER, "11010119850601001X")),
        ({"card_no": " 1101010000000013"}, PersonSearch(Way.CARD_NO, "1101010000000013")),
        ({"phone": "138 0013 8000"}, PersonSearch(Way.PHONE, "13800138000")),
        ({"name": "阿依古丽•买买提 ", "birth_date": BORN}, PersonSearch(Way.NAME, "阿依古丽·买买提", BORN)),
    ],
)
def test_r_find_1_each_way_with_its_value_in_stored_form(given: dict[str, Any], expected: PersonSearch) -> None:
    assert choose_search(**given) == expected


def test_r_find_1_nothing_given_names_every_field() -> None:
    with pytest.raises(SearchRefused) as refused:
        choose_search()
    assert refused.value.fields == ("id_number", "card_no", "phone", "name", "birth_date")


@pytest.mark.parametrize(
    ("given", "fields"), [({"name": "王小明"}, ("birth_date",)), ({"birth_date": BORN}, ("name",))]
)
def test_r_find_1_name_and_birth_date_go_together(given: dict[str, Any], fields: tuple[str, ...]) -> None:
    with pytest.raises(SearchRefused) as refused:
        choose_search(**given)
    assert refused.value.fields == fields


@pytest.mark.parametrize("field", ["id_number", "card_no", "phone", "name"])
def test_r_find_1_a_blank_value_is_refused(field: str) -> None:
    given: dict[str, Any] = {field: " \u3000 "} | ({"birth_date": BORN} if field == "name" else {})
    with pytest.raises(SearchRefused) as refused:
        choose_search(**given)
    assert refused.value.fields == (field,)


@given(st.sets(st.sampled_from(list(VALUES)), min_size=1))
def test_r_find_1_exactly_one_complete_way_is_accepted(fields: set[str]) -> None:
    complete = [way for way, needs in FIELDS.items() if set(needs) == fields]
    if complete:
        assert choose_search(**{f: VALUES[f] for f in fields}).way is complete[0]
        return
    with pytest.raises(SearchRefused) as refused:
        choose_search(**{f: VALUES[f] for f in fields})
    named = set(refused.value.fields)
    missing_partner = named and named.isdisjoint(fields) and named < {"name", "birth_date"}
    assert missing_partner or (named and named < fields), "names the extra fields, or the missing partner"
