"""How fast and how small the terminal's invalid list is at national scale.

    .venv/bin/python bench/terminal_lookup.py [--cards 10000000] [--probes 1000000]

Builds that many random card numbers (real format: a district code, a serial, the Luhn
digit), loads them into `sscard.terminal.lookup.InvalidList` and into a plain Python
set, and reports for each the nanoseconds per lookup of listed cards (hits) and of
unlisted ones (misses), and the bytes held per listed card. A script, not a test: the
numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence

from sscard.cards.numbers import make_card_no
from sscard.policy.regions import BUILTIN_REGIONS, Level
from sscard.terminal.lookup import InvalidList, card_key

DISTRICTS = [region.code for region in BUILTIN_REGIONS if region.level is Level.district]
REPEATS = 3


def random_cards(count: int, rng: random.Random) -> list[str]:
    """`count` distinct random card numbers."""
    cards: set[str] = set()
    while len(cards) < count:
        cards.add(make_card_no(rng.choice(DISTRICTS), rng.randrange(1, 10**9)))
    return list(cards)


def unlisted(listed: set[str], count: int, rng: random.Random) -> list[str]:
    """`count` random card numbers that are not in `listed`."""
    found: list[str] = []
    while len(found) < count:
        card = make_card_no(rng.choice(DISTRICTS), rng.randrange(1, 10**9))
        if card not in listed:
            found.append(card)
    return found


def ns_per_lookup(contains: Callable[[str], bool], probes: Sequence[str], expected: bool) -> float:
    """The best of REPEATS timed passes; checks every answer on the first."""
    assert all(contains(card) is expected for card in probes), "a wrong answer"
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter_ns()
        for card in probes:
            contains(card)
        best = min(best, (time.perf_counter_ns() - started) / len(probes))
    return best


def set_bytes(cards: set[str]) -> int:
    """The set's table plus the string objects it holds."""
    return sys.getsizeof(cards) + sum(sys.getsizeof(card) for card in cards)


def main() -> None:
    """Run the comparison and print one line per structure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000_000)
    parser.add_argument("--probes", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 (test data, not secrets)

    started = time.perf_counter()
    cards = random_cards(args.cards, rng)
    print(f"{len(cards):,} random card numbers in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    plain = set(cards)
    print(f"set built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    invalid = InvalidList((card, "lost") for card in cards)
    print(f"InvalidList built in {time.perf_counter() - started:.1f} s")

    hits = rng.sample(cards, args.probes)
    misses = unlisted(plain, args.probes, rng)
    admitted = sum(card_key(card) in invalid._view.bloom for card in misses)
    print(f"the Bloom filter admitted {admitted / len(misses):.2%} of the misses (the array turned them away)")

    print(f"{'structure':<12} {'hit ns':>8} {'miss ns':>8} {'bytes/card':>11}")
    rows = [
        ("InvalidList", invalid.__contains__, invalid.nbytes()),
        ("set[str]", plain.__contains__, set_bytes(plain)),
    ]
    for name, contains, size in rows:
        hit, miss = ns_per_lookup(contains, hits, expected=True), ns_per_lookup(contains, misses, expected=False)
        print(f"{name:<12} {hit:>8.0f} {miss:>8.0f} {size / len(cards):>11.1f}")


if __name__ == "__main__":
    main()
