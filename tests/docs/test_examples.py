"""The integrators' examples in docs/examples run, each against a fresh live demo server
(`sscard serve --demo` on a free loopback port), so the docs cannot drift from the product."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import demo_server

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """A demo server of its own, on SQLite in a scratch directory."""
    with demo_server(tmp_path) as server:
        yield server.base


@pytest.mark.parametrize("example", sorted(path.name for path in EXAMPLES.glob("*.py")))
def test_the_example_runs_against_a_live_server(example: str, live_server: str) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / example)],
        env=os.environ.copy() | {"SSCARD_URL": live_server},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip(), "an example shows what it did"


def test_every_example_is_included_in_a_page() -> None:
    pages = "".join(page.read_text() for page in (EXAMPLES.parent).rglob("*.md"))
    for example in EXAMPLES.glob("*.py"):
        assert f"examples/{example.name}" in pages, example.name


def test_the_readme_links_into_the_docs_and_never_outside_the_clone() -> None:
    root = EXAMPLES.parents[1]
    readme = (root / "README.md").read_text()
    assert "../shared" not in readme
    links = re.findall(r"\]\((docs/[^)]+)\)", readme)
    assert links, "the README links into docs/"
    assert all((root / link).is_file() for link in links), links
    assert "make run" in readme
    assert "make test" in readme


def test_the_offices_page_names_every_rule_the_code_cites() -> None:
    root = EXAMPLES.parents[1]
    cited = {
        rule
        for path in (root / "src" / "sscard").rglob("*.py")
        for rule in re.findall(r"\bR-[A-Z]+-\d+\b", path.read_text(encoding="utf-8"))
    }
    page = (root / "docs" / "office" / "rules.md").read_text()
    listed = set(re.findall(r"^\| (R-[A-Z]+-\d+) \|", page, flags=re.MULTILINE))
    assert cited - listed == set()
