"""What a language's texts are made of: messages, document names, articles of law."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Language(StrEnum):
    """The languages the guide speaks, as Content-Language tags."""

    ZH_CN = "zh-CN"
    EN = "en"


DEFAULT_LANGUAGE = Language.ZH_CN


class Article(StrEnum):
    """The articles of law DOMAIN.md lets the guide cite."""

    MEASURES_16 = "measures_16"
    MEASURES_19 = "measures_19"
    SOCIAL_INSURANCE_LAW_2 = "social_insurance_law_2"
    SOCIAL_INSURANCE_LAW_8 = "social_insurance_law_8"
    SOCIAL_INSURANCE_LAW_26 = "social_insurance_law_26"
    SOCIAL_INSURANCE_LAW_28 = "social_insurance_law_28"
    SOCIAL_INSURANCE_LAW_29 = "social_insurance_law_29"
    SOCIAL_INSURANCE_LAW_72 = "social_insurance_law_72"
    NOTICE_6 = "notice_6"
    NOTICE_7 = "notice_7"


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every text of one language.

    `messages` are str.format templates keyed by message id; an id may have a variant
    for one scheme, keyed "id:scheme". Numbers never appear in a template: they come
    from the region's policy through placeholders.
    """

    language: Language
    messages: Mapping[str, str]
    documents: Mapping[str, str]
    articles: Mapping[Article, str]
    situations: Mapping[str, str]
    list_separator: str
    alternative_separator: str
    sentence_separator: str
