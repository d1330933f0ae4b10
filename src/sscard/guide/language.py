"""Choosing the guide's language from an Accept-Language header (RFC 9110 §12.5.4)."""

from __future__ import annotations

from sscard.guide.catalog import DEFAULT_LANGUAGE, Language

# A language range's primary subtag → the language that serves it; "zh-TW" readers
# get Simplified Chinese, closer to them than English.
_BY_PRIMARY_TAG = {"zh": Language.ZH_CN, "en": Language.EN, "*": DEFAULT_LANGUAGE}


def negotiate(header: str | None) -> Language:
    """The supported language the caller prefers most; zh-CN when none fits."""
    ranges = sorted(parse_accept_language(header or ""), key=lambda item: item[1], reverse=True)
    for tag, _ in ranges:
        language = _BY_PRIMARY_TAG.get(tag.split("-", 1)[0])
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


def parse_accept_language(header: str) -> list[tuple[str, float]]:
    """The header's (lower-case range, weight) pairs in order, without refused (q=0) or malformed ones."""
    ranges = []
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        weight = _weight(params)
        if tag.strip() and weight > 0:
            ranges.append((tag.strip().lower(), weight))
    return ranges


def _weight(params: str) -> float:
    name, _, value = params.strip().partition("=")
    if not name:
        return 1.0
    if name.strip().lower() != "q":
        return 0.0
    try:
        weight = float(value)
    except ValueError:
        return 0.0
    return weight if 0 <= weight <= 1 else 0.0
