"""Terminal-local invalid-list check at national scale: a lookup's cost, a card's bytes.

Lists random card numbers in the real format (a district of the built-in regions, a
serial, the Luhn digit; 10 M with --full, 1 M otherwise) with random reasons in
`sscard.invalid_list.lookup.InvalidList` and, for comparison, in a Python `set[str]`, and
measures:

- ns per lookup of a listed card (hit) and of a random unlisted one (miss), called as
  the terminal calls it: `is_invalid(card_no)`, one Python call per card, each probe a
  fresh `str` as a card reader delivers it. CPU time of the probing thread, best of 3
  passes, since others share this machine; the loop's own cost is included, as it is
  for the set;
- bytes held per listed card;
- wrong answers, against the set: every listed card, every unlisted probe and look-alikes
  (a wrong Luhn digit, text int() also reads such as " 1101…" or "1_101…");
- two floors in the same loop: a function that does nothing, and one that only parses
  the text with int() as a lookup must first.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from bench.figures import Figure
from sscard.invalid_list.binary import REASONS, Keys, luhn_digits
from sscard.invalid_list.lookup import InvalidList
from sscard.policy.regions import BUILTIN_REGIONS, Level

NAME = "B4"
SEED = 20260302
REPEATS = 3
DISTRICTS = np.array([int(r.code) for r in BUILTIN_REGIONS if r.level is Level.district], np.uint64)
# Nearly every listed card is lost; in the order of ListReason.
REASON_WEIGHTS = [0.70, 0.02, 0.02, 0.06, 0.15, 0.05]


def run(full: bool) -> list[Figure]:
    """10 M cards and 1 M probes of each kind with --full; 1 M and 200,000 otherwise."""
    return measure(10_000_000, 1_000_000) if full else measure(1_000_000, 200_000)


def random_card_keys(count: int, rng: np.random.Generator) -> Keys:
    """`count` distinct random card numbers as integers (all 16 digits), ascending."""
    payloads = np.zeros(0, np.uint64)
    while len(payloads) < count:
        payloads = np.unique(np.concatenate([payloads, _random_payloads(count - len(payloads), rng)]))
    return payloads * np.uint64(10) + luhn_digits(payloads)


def _random_payloads(count: int, rng: np.random.Generator) -> Keys:
    districts = DISTRICTS[rng.integers(0, len(DISTRICTS), count)]
    return districts * np.uint64(10**9) + rng.integers(1, 10**9, count, dtype=np.uint64)


def random_reasons(count: int, rng: np.random.Generator) -> list[str]:
    """`count` reasons, mostly "lost"."""
    names = [reason.value for reason in REASONS]
    return [names[index] for index in rng.choice(len(REASONS), count, p=REASON_WEIGHTS).tolist()]


def texts(keys: Keys) -> list[str]:
    """Card numbers as the terminal gets them: new str objects."""
    return [f"{key:016d}" for key in keys.tolist()]


def unlisted(keys: Keys, count: int, rng: np.random.Generator) -> Keys:
    """`count` random card numbers (real format) that are not in `keys`."""
    found = np.zeros(0, np.uint64)
    while len(found) < count:
        payloads = _random_payloads(count, rng)
        more = payloads * np.uint64(10) + luhn_digits(payloads)
        found = np.concatenate([found, more[~np.isin(more, keys)]])
    return found[:count]


def look_alikes(keys: Keys) -> list[str]:
    """Texts that are not listed card numbers but read as listed keys, or nearly."""
    wrong_luhn = (keys // np.uint64(10)) * np.uint64(10) + (keys + np.uint64(1)) % np.uint64(10)
    listed = texts(keys)
    return texts(wrong_luhn) + [f" {card[1:]}" for card in listed] + [f"{card[0]}_{card[2:]}" for card in listed]


def ns_per_lookup(contains: Callable[[str], bool], keys: Keys) -> float:
    """The best of REPEATS passes, in CPU ns of this thread per lookup."""
    best = float("inf")
    for _ in range(REPEATS):
        probes = texts(keys)
        started = time.thread_time_ns()
        for card in probes:
            contains(card)
        best = min(best, (time.thread_time_ns() - started) / len(probes))
    return best


def nothing(_card_no: str) -> bool:
    """The floor of any lookup: the loop and one Python call."""
    return False


def parse_only(card_no: str) -> bool:
    """The floor of a lookup keyed by the card's integer: the call and int() of the text."""
    return int(card_no) < 0


def set_bytes(cards: set[str]) -> int:
    """The set's table plus the string objects it holds."""
    return sys.getsizeof(cards) + sum(map(sys.getsizeof, cards))


def filter_passes(invalid: InvalidList, keys: Keys) -> int:
    """How many of these (unlisted) keys the list's filter lets through to its table."""
    view = invalid._view
    return sum(view.passes(key) for key in keys.tolist())


def measure(count: int, probes: int, seed: int = SEED) -> list[Figure]:
    """The figures for `count` listed cards and `probes` lookups of each kind."""
    rng = np.random.default_rng(seed)
    keys = random_card_keys(count, rng)
    cards = texts(rng.permutation(keys))  # in no particular order, as from the center
    pairs = list(zip(cards, random_reasons(count, rng), strict=True))
    hits, misses = rng.choice(keys, probes, replace=False), unlisted(keys, probes, rng)

    started = time.thread_time()
    invalid = InvalidList(pairs)
    built = time.thread_time() - started
    started = time.thread_time()
    reference = set(cards)
    set_built = time.thread_time() - started

    others = texts(misses) + look_alikes(hits[: probes // 10])
    assert not any(map(reference.__contains__, others))
    wrong = count - sum(map(invalid.is_invalid, cards)) + sum(map(invalid.is_invalid, others))
    note = f"{count:,} cards; {probes:,} probes, CPU ns of the probing thread, best of {REPEATS}"
    return [
        Figure(NAME, "lookup, unlisted card", ns_per_lookup(invalid.is_invalid, misses), "ns", 300, note=note),
        Figure(NAME, "lookup, listed card", ns_per_lookup(invalid.is_invalid, hits), "ns", 300, note=note),
        Figure(NAME, "memory", invalid.nbytes() / count, "B/card", 16),
        Figure(
            NAME,
            "wrong answers",
            wrong,
            "answers",
            0,
            note=f"all {count:,} listed, {len(others):,} unlisted and look-alikes, against a set",
        ),
        Figure(NAME, "filter passes of unlisted cards", 100 * filter_passes(invalid, misses) / probes, "%"),
        Figure(NAME, "built from (card_no, reason) pairs", built, "s", note="CPU seconds"),
        Figure(NAME, "Python set lookup, unlisted card", ns_per_lookup(reference.__contains__, misses), "ns"),
        Figure(NAME, "Python set lookup, listed card", ns_per_lookup(reference.__contains__, hits), "ns"),
        Figure(NAME, "Python set memory", set_bytes(reference) / count, "B/card"),
        Figure(NAME, "Python set built", set_built, "s", note="CPU seconds"),
        Figure(NAME, "floor: empty call, same loop", ns_per_lookup(nothing, misses), "ns"),
        Figure(NAME, "floor: call and int(), same loop", ns_per_lookup(parse_only, misses), "ns"),
    ]
