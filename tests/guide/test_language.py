"""Choosing the guide's language from Accept-Language: zh-CN unless en is preferred."""

from __future__ import annotations

import pytest

from sscard.guide.catalog import Language
from sscard.guide.language import negotiate, parse_accept_language

ZH, EN = Language.ZH_CN, Language.EN


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, ZH),
        ("", ZH),
        ("en", EN),
        ("en-US", EN),
        ("EN-gb", EN),
        ("zh", ZH),
        ("zh-CN", ZH),
        ("zh-TW", ZH),
        ("fr", ZH),
        ("fr-FR, de;q=0.9", ZH),
        ("*", ZH),
        ("fr, en;q=0.1", EN),
        ("en;q=0.5, zh;q=0.9", ZH),
        ("zh;q=0.4, en-US;q=0.8", EN),
        ("zh-CN,zh;q=0.9,en;q=0.8", ZH),
        ("en-US,en;q=0.9,zh-CN;q=0.8", EN),
        ("en;q=0", ZH),
        ("en;q=0, fr", ZH),
        ("zh;q=0, en;q=0.1", EN),
        ("en;q=abc, zh;q=0.1", ZH),
        ("en;q=2, zh;q=0.3", ZH),
        ("en;q=nan", ZH),
        (" , ;q=1, en ", EN),
    ],
)
def test_negotiate(header: str | None, expected: Language) -> None:
    assert negotiate(header) is expected


def test_equal_weights_keep_the_callers_order() -> None:
    assert negotiate("en;q=0.8, zh;q=0.8") is EN
    assert negotiate("zh;q=0.8, en;q=0.8") is ZH


def test_parse_drops_refused_and_malformed_ranges() -> None:
    assert parse_accept_language("en-US, zh;q=0.5, fr;q=0, de;q=x") == [("en-us", 1.0), ("zh", 0.5)]
