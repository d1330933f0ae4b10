"""How fast and how small the terminal's invalid list is, at any size (B4 by hand).

    .venv/bin/python -m bench.terminal_lookup [--cards 10000000] [--probes 1000000]

The measurement is bench/b4_lookup.py, which `make bench ONLY=B4` runs at 1 M cards
(10 M with bench-full) and records; this prints its figures for the sizes given.
"""

from __future__ import annotations

import argparse

from bench.b4_lookup import SEED, measure
from bench.figures import verdict


def main() -> None:
    """Measure and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000_000)
    parser.add_argument("--probes", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for figure in measure(args.cards, args.probes, args.seed):
        target = "" if figure.target is None else f"{figure.compare} {figure.target:g} {figure.unit}"
        print(f"{figure.name:<40} {figure.value:>12,.4g} {figure.unit:<8} {target:<14} {verdict(figure.holds)}")


if __name__ == "__main__":
    main()
