"""Run the benchmarks: `python -m bench.run [--full] [--only B1,B5]`.

Each benchmark is a module with `NAME` (e.g. "B5") and `run(full: bool) -> list[Figure]`;
it starts what it needs on loopback, stops it, and returns its figures. The runner
prints every figure with its target and verdict, writes them as JSON under
bench/results/ and appends a section to BENCHMARKS.md with the machine, date, commit
and command.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.figures import Figure, verdict

ROOT = Path(__file__).resolve().parent.parent
# Every bench/bN_*.py is a benchmark, run in the order of its number.
MODULES = sorted(f"bench.{path.stem}" for path in (ROOT / "bench").glob("b[0-9]_*.py"))
console = Console()
LOAD_AT_START = os.getloadavg()  # the machine is shared: how busy it was is part of a figure


def main() -> int:
    """Run the chosen benchmarks and record what they measured."""
    args = _arguments()
    figures: list[Figure] = []
    for module in _selected(args.only):
        console.rule(f"{module.NAME}: {module.__doc__.splitlines()[0] if module.__doc__ else ''}")
        figures += module.run(args.full)
    _print(figures)
    _record(figures, args)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full sizes (10 M cards, 10,000 terminals, …)")
    parser.add_argument("--only", default="", help="comma-separated benchmark names, e.g. B1,B5")
    return parser.parse_args()


def _selected(only: str) -> list:  # type: ignore[type-arg]
    wanted = {name.strip().upper() for name in only.split(",") if name.strip()}
    modules = [importlib.import_module(name) for name in MODULES]
    return [m for m in modules if not wanted or m.NAME in wanted]


def _print(figures: list[Figure]) -> None:
    table = Table(title="sscard benchmarks", title_justify="left")
    for column in ("bench", "figure", "measured", "target", "verdict"):
        table.add_column(column)
    for f in figures:
        target = "" if f.target is None else f"{f.compare} {f.target:g} {f.unit}"
        table.add_row(f.benchmark, f.name, f"{f.value:,.4g} {f.unit}", target, verdict(f.holds))
    console.print(table)


def machine() -> str:
    """What the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 2**20:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _commit() -> str:
    """HEAD, and whether the code measured differs from it (the records aside)."""
    git = shutil.which("git") or "git"
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    changed = subprocess.run(
        [git, "status", "--porcelain", "--", ".", ":!BENCHMARKS.md", ":!bench/results"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = " with uncommitted changes" if changed.stdout.strip() else ""
    return (head.stdout.strip() or "unknown") + dirty


def _record(figures: list[Figure], args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    command = "make bench-full" if args.full else "make bench"
    if args.only:
        command += f" ONLY={args.only}"
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    path = results / f"{now:%Y%m%dT%H%M%SZ}.json"
    load = "load average (1, 5, 15 min) at start {:.2f} {:.2f} {:.2f}, at end {:.2f} {:.2f} {:.2f}".format(
        *LOAD_AT_START, *os.getloadavg()
    )
    meta = {"date": now.isoformat(), "commit": _commit(), "machine": f"{machine()}; {load}", "command": command}
    path.write_text(json.dumps(meta | {"figures": [f.as_json() for f in figures]}, indent=2, ensure_ascii=False))
    with (ROOT / "BENCHMARKS.md").open("a") as out:
        out.write(f"\n## {now:%Y-%m-%d %H:%M} UTC — `{command}` at {meta['commit']}\n\n{meta['machine']}\n\n")
        out.write("| bench | figure | measured | target | verdict |\n|---|---|---|---|---|\n")
        for f in figures:
            target = "" if f.target is None else f"{f.compare} {f.target:g} {f.unit}"
            out.write(f"| {f.benchmark} | {f.name} | {f.value:,.4g} {f.unit} | {target} | {verdict(f.holds)} |\n")
    console.print(f"results: {path.relative_to(ROOT)}; BENCHMARKS.md appended")


if __name__ == "__main__":
    sys.exit(main())
