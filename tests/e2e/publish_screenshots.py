"""`make screenshots`: copy the chosen screenshots the browser tests took into the office docs.

The e2e tests write every page they visit to tests/e2e/screenshots/ (not committed); this
picks the ones docs/office/counter.md shows, reduced to a 64-colour palette so that the
committed PNGs stay small. Run after `pytest tests/e2e`; tests/docs/test_screenshots.py
fails when the docs name a page that has no screenshot."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TAKEN = ROOT / "tests" / "e2e" / "screenshots"
PUBLISHED = ROOT / "docs" / "office" / "screenshots"
# The screenshot names (as tests/e2e take them) that the office docs show, each at both widths.
CHOSEN = (
    "login",
    "counter-search-zh",
    "person",
    "loss-form",
    "loss-refused",
    "replacement-form",
    "replacement-done",
    "replacement-done-cross-bank",
    "queue",
    "collect-form",
    "activate-form",
    "person-pin-locked-zh",
    "pin-unlock-refused-zh",
    "cancel-refused",
    "person-claims",
    "claim",
    "hotline-refused",
)
WIDTHS = ("desktop", "phone")
COLOURS = 64


def publish() -> list[Path]:
    """Copy and shrink each chosen screenshot; the files written."""
    from PIL import Image

    PUBLISHED.mkdir(parents=True, exist_ok=True)
    written = []
    for name in CHOSEN:
        for width in WIDTHS:
            source = TAKEN / f"{name}-{width}.png"
            if not source.exists():
                raise SystemExit(f"{source} is missing: run the browser tests first (pytest tests/e2e)")
            target = PUBLISHED / source.name
            with Image.open(source) as image:
                small = image.convert("RGB").quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT)
                small.save(target, optimize=True)
            written.append(target)
    return written


if __name__ == "__main__":
    files = publish()
    size = sum(f.stat().st_size for f in files)
    sys.stdout.write(f"{len(files)} screenshots in {PUBLISHED.relative_to(ROOT)} ({size // 1024} KiB)\n")
