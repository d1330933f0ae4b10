"""Person names as written on a resident ID card."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.people.names import MAX_LENGTH, MIDDLE_DOT, NAME_PATTERN, InvalidName, name_key, normalise_name


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


# --- name_key: how two names compare (R-LOSS-7, R-FIND-1) --------------------------------

DOT_VARIANTS = ["\u00b7", "\u2022", "\u30fb", "\uff65", "\u2027", "\u2219", "\u0387"]
dot = st.sampled_from(DOT_VARIANTS)
any_part = st.text(han, min_size=1, max_size=6)


def joined(parts: list[str], dots: list[str]) -> str:
    """The parts joined by the given dots, one between each pair (cycling)."""
    return "".join(part + (dots[i % len(dots)] if i < len(parts) - 1 else "") for i, part in enumerate(parts))


@given(st.lists(any_part, min_size=2, max_size=4), st.lists(dot, min_size=1, max_size=3), st.lists(dot, min_size=1))
def test_r_loss_7_any_middle_dot_variants_compare_as_one(parts: list[str], dots: list[str], others: list[str]) -> None:
    assert name_key(joined(parts, dots)) == name_key(joined(parts, others)) == MIDDLE_DOT.join(parts)


@given(st.text())
def test_r_loss_7_name_key_is_idempotent_and_never_raises(raw: str) -> None:
    assert name_key(name_key(raw)) == name_key(raw)


@given(st.text(), st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"]))
def test_r_loss_7_every_unicode_form_of_a_name_has_the_same_key(raw: str, form: str) -> None:
    assert name_key(unicodedata.normalize(form, raw)) == name_key(raw)  # type: ignore[arg-type]


@given(st.lists(any_part, min_size=1, max_size=4), st.lists(any_part, min_size=1, max_size=4))
def test_r_loss_7_different_names_keep_different_keys(first: list[str], second: list[str]) -> None:
    a, b = MIDDLE_DOT.join(first), MIDDLE_DOT.join(second)
    assert (name_key(a) == name_key(b)) == (a == b)


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        pytest.param("王\u2f29明", "王小明", id="kangxi-radical"),
        pytest.param("\u3000王小明 ", "王小明", id="ideographic-space"),
        pytest.param("王\uf900", "王\u8c48", id="compatibility-ideograph"),
        pytest.param("爱新觉罗\u0387溥仪", "爱新觉罗·溥仪", id="greek-ano-teleia"),
        pytest.param("阿依古丽\uff65买买提", "阿依古丽·买买提", id="halfwidth-katakana-dot"),
        pytest.param("王 小明", "王小明", id="a-space-typed-between"),
    ],
)
def test_r_loss_7_what_people_type_compares_with_what_was_registered(typed: str, registered: str) -> None:
    assert name_key(typed) == name_key(registered) == normalise_name(registered)


@pytest.mark.parametrize(("a", "b"), [("王小明", "王小"), ("王小明", "王小名"), ("阿依古丽·买买提", "阿依古丽买买提")])
def test_r_loss_7_different_names_stay_different(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


@given(st.lists(any_part, min_size=1, max_size=4), st.lists(dot, min_size=1, max_size=3), st.sampled_from(["", " "]))
def test_r_find_1_a_registered_name_is_its_own_key(parts: list[str], dots: list[str], padding: str) -> None:
    """The search compares name_key(typed) with the stored name itself, so a stored name must be a key."""
    raw = padding + joined(parts, dots) + padding
    if not 2 <= len(MIDDLE_DOT.join(parts)) <= MAX_LENGTH:
        return
    assert name_key(normalise_name(raw)) == normalise_name(raw) == name_key(raw)


def test_r_find_1_every_character_a_name_may_hold_is_nfkc_stable() -> None:
    """Exhaustive over NAME_PATTERN's characters: what normalise_name stores, NFKC leaves alone."""
    # Planes 0 to 3 hold every ideograph (the supplementary and tertiary ideographic planes).
    admitted = [c for c in map(chr, range(0x40000)) if NAME_PATTERN.match(f"王{c}明") or c == MIDDLE_DOT]
    stored = [c for c in admitted if unicodedata.normalize("NFC", c) == c]
    assert len(stored) > 100_000
    assert [c for c in stored if unicodedata.normalize("NFKC", c) != c] == []
