"""R-NOTE-1's texts, pure: every kind in every language, complete, and never naming a
card or an ID number whole — not even when a clerk's free text quotes one."""

from __future__ import annotations

import re
from string import Formatter

from hypothesis import given
from hypothesis import strategies as st

from sscard.cards.numbers import make_card_no
from sscard.guide.catalog import Language
from sscard.notifications.texts import SIGNATURE, TEXTS, Kind, card_tail, language_of, mask_numbers, render, yuan
from tests import factories

WHOLE_CARD_NO = re.compile(r"\d{16}")
WHOLE_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
CARD_NOS = st.integers(1, 10**9 - 1).map(lambda serial: make_card_no("110101", serial))
ID_NUMBERS = st.integers(0, 5000).map(lambda n: factories.id_number(sequence=n))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def test_r_note_1_every_kind_has_a_text_in_every_language_with_the_same_placeholders() -> None:
    for kind in Kind:
        assert placeholders(TEXTS[Language.ZH_CN][kind]) == placeholders(TEXTS[Language.EN][kind]), kind
    assert set(TEXTS) == set(Language)


@st.composite
def free_text(draw: st.DrawFn) -> str:
    """What a clerk might type as a reason or a payee: sometimes quoting whole numbers."""
    quoted = draw(st.lists(CARD_NOS | ID_NUMBERS, max_size=2))
    words = draw(st.lists(st.text(max_size=6), min_size=len(quoted) + 1, max_size=len(quoted) + 1))
    return "".join(w + q for w, q in zip(words, [*quoted, ""], strict=True))


@given(
    kind=st.sampled_from(list(Kind)),
    language=st.sampled_from(list(Language)),
    card_no=CARD_NOS,
    fen=st.integers(0, 10**9),
    claim=st.integers(1, 10**6),
    reason=free_text(),
    payee=free_text(),
)
def test_r_note_1_texts_are_complete_and_name_the_card_only_by_its_last_four_digits(
    kind: Kind, language: Language, card_no: str, fen: int, claim: int, reason: str, payee: str
) -> None:
    values = {
        "card": card_tail(card_no),
        "date": "2026-03-02",
        "amount": yuan(fen),
        "claim": str(claim),
        "reason": reason,
        "payee": payee,
    }
    text = render(kind, language, **values)
    template = TEXTS[language][kind]
    assert text.startswith(SIGNATURE[language])
    rest = text.replace(mask_numbers(reason), "").replace(mask_numbers(payee), "")
    assert "{" not in rest
    assert "}" not in rest
    assert not WHOLE_CARD_NO.search(text), text
    assert not WHOLE_ID_NUMBER.search(text), text
    if "{card}" in template:
        assert card_no[-4:] in text
    if "{amount}" in template:
        assert yuan(fen) in text


def test_r_note_1_a_reason_quoting_an_id_number_reaches_the_holder_masked() -> None:
    id_number = factories.id_number(sequence=7)
    text = render(Kind.CLAIM_REJECTED, Language.ZH_CN, claim="12", reason=f"证件号{id_number}与本人不符")
    assert id_number not in text
    assert id_number[-4:] in text
    assert text.startswith("【社保卡】您的报销申请（编号12）未获通过：证件号")


@given(st.integers(0, 10**12))
def test_r_note_1_amounts_are_yuan_with_two_decimals(fen: int) -> None:
    whole, cents = yuan(fen).split(".")
    assert int(whole) * 100 + int(cents) == fen
    assert len(cents) == 2


def test_r_note_1_the_holders_language_is_zh_cn_unless_they_chose_english() -> None:
    assert language_of("en") is Language.EN
    assert [language_of(tag) for tag in (None, "zh-CN", "fr", "")] == [Language.ZH_CN] * 4
    text = render(Kind.LOSS_LIFTED, language_of(None), card="1234", date="2026-03-02")
    assert text == "【社保卡】您尾号1234的社保卡已于2026-03-02解除挂失，可以正常使用。"
