"""The pages' texts: every key in both languages, and each defined in one place only."""

from __future__ import annotations

import ast
import itertools
import string
from pathlib import Path
from types import ModuleType

import pytest

from sscard.web import texts, texts_admin, texts_counter, texts_me

PARTS: dict[str, ModuleType] = {"counter": texts_counter, "me": texts_me, "admin": texts_admin}


def _base_keys() -> set[str]:
    """The keys texts.py itself defines, before the parts are merged in."""
    tree = ast.parse(Path(texts.__file__).read_text())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "ZH":
            assert isinstance(node.value, ast.Dict)
            return {str(key.value) for key in node.value.keys if isinstance(key, ast.Constant)}
    raise AssertionError("texts.py defines no ZH table")


def test_no_key_is_defined_twice() -> None:
    tables = {"texts": _base_keys()} | {name: set(part.ZH) for name, part in PARTS.items()}
    for (first, keys), (second, others) in itertools.combinations(tables.items(), 2):
        assert not keys & others, f"{first} and {second} both define {sorted(keys & others)}"


@pytest.mark.parametrize("name", ["texts", *PARTS])
def test_every_key_has_both_languages_with_the_same_placeholders(name: str) -> None:
    module = texts if name == "texts" else PARTS[name]
    assert set(module.ZH) == set(module.EN)
    for key, zh in module.ZH.items():
        assert _fields(zh) == _fields(module.EN[key]), key


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
