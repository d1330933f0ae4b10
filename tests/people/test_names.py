"""Person names as written on a resident ID card."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.people.names import MAX_LENGTH, MIDDLE_DOT, InvalidName, normalise_name


@pytest.mark.parametrize("name", ["王小明", "李四", "欧阳娜娜", "阿依古丽·买买提", "爱新觉罗·溥仪"])
def test_ordinary_names_are_kept(name: str) -> None:
    assert normalise_name(name) == name


@pytest.mark.parametrize("raw", [" 王小明", "王小明 ", "\t王小明\n", "\u3000王小明\u3000", "  王小明  "])
def test_surrounding_whitespace_is_trimmed(raw: str) -> None:
    assert normalise_name(raw) == "王小明"


def test_nfc_folds_a_compatibility_ideograph() -> None:
    """U+F900 (CJK compatibility ideograph) is canonically U+8C48 豈."""
    assert normalise_name("王\uf900") == "王\u8c48"


@pytest.mark.parametrize(
    "dot",
    [
        pytest.param("\u00b7", id="middle-dot"),
        pytest.param("\u2022", id="bullet"),
        pytest.param("\u30fb", id="katakana-middle-dot"),
        pytest.param("\uff65", id="halfwidth-katakana-middle-dot"),
        pytest.param("\u2027", id="hyphenation-point"),
        pytest.param("\u2219", id="bullet-operator"),
        pytest.param("\u0387", id="greek-ano-teleia"),  # NFC maps it to U+00B7
    ],
)
def test_look_alike_dots_become_the_middle_dot(dot: str) -> None:
    assert normalise_name(f"阿依古丽{dot}买买提") == "阿依古丽\u00b7买买提"
    assert MIDDLE_DOT == "\u00b7"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("王\u3400", id="ext-a"),
        pytest.param("王\U00020000", id="ext-b"),  # 𠀀
        pytest.param("王\U0002a700", id="ext-c"),
        pytest.param("王\U0002b740", id="ext-d"),
        pytest.param("王\U0002b820", id="ext-e"),
        pytest.param("王\U0002ceb0", id="ext-f"),
        pytest.param("王\U00030000", id="ext-g"),
        pytest.param("王\U00031350", id="ext-h"),
        pytest.param("王\U0002ebf0", id="ext-i"),
        pytest.param("王\u9fa5", id="uro-end"),
    ],
)
def test_rare_cjk_extension_characters_are_accepted(name: str) -> None:
    """Rare characters in names (生僻字) live in the CJK extension blocks."""
    assert normalise_name(name) == name


def test_names_of_two_and_forty_characters_are_accepted() -> None:
    assert normalise_name("王五") == "王五"
    assert normalise_name("王" * MAX_LENGTH) == "王" * MAX_LENGTH
    assert MAX_LENGTH == 40


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("王", id="one-char"),
        pytest.param(" 王 ", id="one-char-padded"),
        pytest.param("\U00020000", id="one-ext-b-char"),
        pytest.param("王" * (MAX_LENGTH + 1), id="too-long"),
        pytest.param("Wang", id="latin"),
        pytest.param("王Xiaoming", id="mixed-latin"),
        pytest.param("王ＸＭ", id="full-width-latin"),
        pytest.param("王小明2", id="digit"),
        pytest.param("王 小明", id="inner-space"),
        pytest.param("·王小明", id="leading-dot"),
        pytest.param("王小明·", id="trailing-dot"),
        pytest.param("阿依古丽··买买提", id="double-dot"),
        pytest.param("阿依古丽•·买买提", id="double-look-alike-dot"),
        pytest.param("••", id="dots-only"),
        pytest.param("王-小明", id="hyphen"),
        pytest.param("王小明。", id="full-stop"),
        pytest.param("김철수", id="hangul"),
        pytest.param("やまだ", id="hiragana"),
    ],
)
def test_refused(raw: str) -> None:
    with pytest.raises(InvalidName):
        normalise_name(raw)


def test_invalid_name_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalise_name("Wang")


han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@given(st.lists(st.text(han, min_size=1, max_size=6), min_size=1, max_size=4), st.sampled_from(["", " ", "\u3000"]))
def test_normalise_is_idempotent_and_keeps_well_formed_names(parts: list[str], padding: str) -> None:
    name = MIDDLE_DOT.join(parts)
    if not 2 <= len(name) <= MAX_LENGTH:
        with pytest.raises(InvalidName):
            normalise_name(padding + name)
        return
    assert normalise_name(padding + name + padding) == name
    assert normalise_name(normalise_name(name)) == name
