"""The binary snapshot at national scale: bytes per card, seconds to build and to load.

Random card numbers in the real format (10 M with --full, 1 M otherwise; as in B4, and
sparser than real serials, so the sizes are an upper bound) with reasons mostly "lost",
in no particular order as the center's query returns them. Measures
`binary.encode` of the (card_no, reason) pairs, then `binary.decode` and loading the
result into the terminal's `InvalidList`, and checks the round trip: the same cards
with the same reasons, and every one of them listed. Seconds are CPU seconds of this
thread, since others share the machine; wall seconds are given beside them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from bench.b4_lookup import SEED, random_card_keys, random_reasons, texts
from bench.figures import Figure
from sscard.invalid_list import binary
from sscard.invalid_list.lookup import InvalidList

NAME = "B5"
T = TypeVar("T")


def run(full: bool) -> list[Figure]:
    """10 M cards with --full, 1 M otherwise."""
    return measure(10_000_000 if full else 1_000_000)


def timed(work: Callable[[], T]) -> tuple[T, float, float]:
    """What `work` returns, with the CPU and wall seconds it took."""
    cpu, wall = time.thread_time(), time.perf_counter()
    result = work()
    return result, time.thread_time() - cpu, time.perf_counter() - wall


def measure(count: int, seed: int = SEED) -> list[Figure]:
    """The figures for a snapshot of `count` cards."""
    rng = np.random.default_rng(seed)
    keys = rng.permutation(random_card_keys(count, rng))
    reasons = random_reasons(count, rng)
    pairs = list(zip(texts(keys), reasons, strict=True))

    data, encode_cpu, encode_wall = timed(lambda: binary.encode(7, "000000", pairs))
    snapshot, decode_cpu, decode_wall = timed(lambda: binary.decode(data))
    invalid, load_cpu, load_wall = timed(lambda: InvalidList.from_snapshot(snapshot))

    order = np.argsort(keys)
    index = {reason.value: position for position, reason in enumerate(binary.REASONS)}
    expected = np.array([index[reason] for reason in reasons], np.uint8)[order]
    assert (snapshot.version, snapshot.scope) == (7, "000000")
    assert np.array_equal(snapshot.keys, keys[order]), "the card numbers differ after the round trip"
    assert snapshot.reasons == expected.tobytes(), "the reasons differ after the round trip"
    loaded_keys, loaded_reasons = invalid.export()
    assert np.array_equal(np.asarray(loaded_keys), keys[order])
    assert loaded_reasons == snapshot.reasons
    assert all(map(invalid.is_invalid, texts(keys[:100_000])))

    note = f"{count:,} cards, CPU seconds of this thread"
    return [
        Figure(NAME, "size", len(data) / count, "B/card", 5, note=f"{count:,} cards, {len(data) / 2**20:.1f} MiB"),
        Figure(NAME, "encode", encode_cpu, "s", 5, note=note),
        Figure(NAME, "decode and load into InvalidList", decode_cpu + load_cpu, "s", 3, note=note),
        Figure(NAME, "decode", decode_cpu, "s"),
        Figure(NAME, "load into InvalidList", load_cpu, "s"),
        Figure(NAME, "encode, wall", encode_wall, "s"),
        Figure(NAME, "decode and load, wall", decode_wall + load_wall, "s"),
    ]
