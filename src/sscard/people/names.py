"""Person names as written on a resident ID card."""

from __future__ import annotations

import re
import unicodedata

MIN_LENGTH, MAX_LENGTH = 2, 40
# Ethnic-minority and transliterated names are joined by the middle dot; the ID card
# uses U+00B7, but people type the bullet, the katakana dot or the full-width one.
MIDDLE_DOT = "\u00b7"
DOT_LOOKALIKES = str.maketrans(dict.fromkeys("\u2022\u30fb\uff65\u2027\u2219", MIDDLE_DOT))
# CJK Unified Ideographs, Extension A, Compatibility, and Extensions B to I
# (U+20000–U+323AF); rare characters in names are why the extensions exist.
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
NAME_PATTERN = re.compile(rf"\A[{_HAN}]+(?:{MIDDLE_DOT}[{_HAN}]+)*\Z")


class InvalidName(ValueError):
    """A name that is not a Chinese name as the ID card writes it."""


def normalise_name(raw: str) -> str:
    """The name trimmed, NFC-normalised, dots unified; raises InvalidName."""
    name = unicodedata.normalize("NFC", raw).strip().translate(DOT_LOOKALIKES)
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        raise InvalidName(f"a name has {MIN_LENGTH} to {MAX_LENGTH} characters")
    if not NAME_PATTERN.match(name):
        raise InvalidName("a name is written in Chinese characters, parts joined by '·'")
    return name


def name_key(raw: str) -> str:
    """The form in which two names compare: NFKC, the middle-dot look-alikes as U+00B7,
    no white space (R-LOSS-7, R-FIND-1: a caller's name typed with a bullet or a space is
    still the holder's). Names are compared, never validated, so this never raises."""
    # NFKC first: it folds U+FF65 into U+30FB, which the table then maps like the rest.
    folded = "".join(unicodedata.normalize("NFKC", raw).split())
    # Again after the spaces go: a space NFKC made of a spacing accent leaves the
    # accent to compose with the letter before it.
    return unicodedata.normalize("NFKC", folded).translate(DOT_LOOKALIKES)
