"""CPU time of a process tree from /proc: what the server and PostgreSQL each spent on
the same work, for benchmarks that say what limits them."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: the fields follow its last ")".
    return stat.rsplit(")", 1)[1].split()


def tree_seconds(root: int) -> float:
    """CPU seconds of `root` and every live process below it, plus what its children
    that have exited spent (a closed connection's backend)."""
    parents = {pid: fields for pid in _pids() if (fields := _fields(pid)) is not None}
    below = {root}
    grew = True
    while grew:
        found = {pid for pid, fields in parents.items() if int(fields[1]) in below} - below
        below |= found
        grew = bool(found)
    own = sum(int(parents[pid][11]) + int(parents[pid][12]) for pid in below if pid in parents)
    exited = int(parents[root][13]) + int(parents[root][14]) if root in parents else 0
    return (own + exited) / _TICKS


def pid_listening_with(argument: str) -> int:
    """The process whose command line holds `argument` (a server's `--port N`)."""
    for pid in _pids():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if argument in command and "sscard.cli serve" in command:
            return pid
    raise LookupError(f"no process with {argument!r}")


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
