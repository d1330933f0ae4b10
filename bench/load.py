"""The load process: wrk (C, epoll, keep-alive) driven by a Lua script per scenario.

`python -m bench.load get --options '{"url": …, "headers": {…}, "connections": 64, "seconds": 10}'`
prints one JSON line: requests per second, latency percentiles, non-2xx count.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# wrk's own summary, printed by this Lua `done` hook as one JSON line.
REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    'JSON {"requests": %d, "seconds": %.6f, "errors": %d, "non2xx": %d, ' ..
    '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def run_wrk(url: str, script: str, *, connections: int, seconds: int, threads: int = 2) -> dict[str, Any]:
    """Run wrk against a URL with a Lua script; what it measured."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + REPORT)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", lua.name, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(lua.name).unlink()
    match = re.search(r"^JSON (.*)$", output, re.M)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / result["seconds"]
    return dict(result)


def get_script(headers: dict[str, str]) -> str:
    """GET with fixed headers."""
    lines = [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse the scenario and its options; print the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["get"])
    parser.add_argument("--options", required=True)
    args = parser.parse_args()
    options = json.loads(args.options)
    script = get_script(options.get("headers", {}))
    result = run_wrk(
        options["url"],
        script,
        connections=options["connections"],
        seconds=options["seconds"],
        threads=options.get("threads", 2),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
    sys.exit(0)
