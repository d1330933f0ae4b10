"""The load process: wrk (C, epoll, keep-alive) driven by a Lua script per scenario.

`python -m bench.load get --options '{"url": …, "headers": {…}, "connections": 64, "seconds": 10}'`
prints one JSON line: requests per second, latency percentiles, non-2xx count.

`python -m bench.load settle --options '{"url": …/v1/settlements, "tokens": [terminals' bearer
tokens], "cards_file": one card number a line (see card_file), "pin": …, "amount": fen,
"connections": 16, "seconds": 10}'` posts settlements, each with its own Idempotency-Key, a
random card of the file and the terminals' tokens in turn, and also counts the responses by
status.

`python -m bench.load inquire --options '{"url": base, "path": "/v1/invalid-list/inquiry",
"scope": …, "token": a terminal's token, "cards_file": …, "connections": 64, "seconds": 10}'`
asks about a random card of the file each request, and counts the responses by status.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# wrk's own summary, printed by this Lua `done` hook as one JSON line; a scenario that
# keeps its threads in `tally_threads`, each counting responses in `statuses`, adds those.
REPORT = """
local function status_counts()
  if tally_threads == nil then return "" end
  local merged, parts = {}, {}
  for _, thread in ipairs(tally_threads) do
    for code, n in pairs(thread:get("statuses")) do merged[code] = (merged[code] or 0) + n end
  end
  for code, n in pairs(merged) do table.insert(parts, string.format('"%d": %d', code, n)) end
  return ', "statuses": {' .. table.concat(parts, ", ") .. '}'
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    'JSON {"requests": %d, "seconds": %.6f, "errors": %d, "non2xx": %d, ' ..
    '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f%s}\\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, status_counts()))
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


# What the card scenarios share: a random card of CARDS (WIDTH digits each) per request,
# and responses counted by status in every thread (see REPORT).
CARD_SCENARIO = """
local cards, width = CARDS, WIDTH
statuses = {}
tally_threads = {}

function setup(thread)
  table.insert(tally_threads, thread)
  thread:set("thread_no", #tally_threads)
end

function init(args)
  math.randomseed(thread_no * 7919 + os.time())
end

function random_card()
  local i = math.random(#cards / width) - 1
  return cards:sub(i * width + 1, (i + 1) * width)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
"""

# Every request: the next terminal's token, a key no request used before.
SETTLE = """
local tokens = TOKENS
local body = '{"card_no":"%s","pin":"PIN","amount":AMOUNT,"category":"CATEGORY"}'
local sent = 0

function request()
  sent = sent + 1
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[(sent + thread_no) % #tokens + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("RUN-%d-%d", thread_no, sent),
  }
  return wrk.format("POST", nil, headers, string.format(body, random_card()))
end
"""

# Every request: the terminal's token.
INQUIRE = """
wrk.headers["Authorization"] = "Bearer TOKEN"

function request()
  return wrk.format("GET", "PATH?scope=SCOPE&card_no=" .. random_card())
end
"""


def settle_script(options: dict[str, Any]) -> str:
    """POST /v1/settlements over many cards and terminals, each request with its own key."""
    tokens = ", ".join(json.dumps(token) for token in options["tokens"])
    values = {
        "TOKENS": "{" + tokens + "}",
        "PIN": options["pin"],
        "AMOUNT": str(int(options["amount"])),
        "CATEGORY": options.get("category", "drug"),
        "RUN": secrets.token_hex(6),
    }
    return _card_scenario(options, SETTLE, values)


def inquire_script(options: dict[str, Any]) -> str:
    """GET /v1/invalid-list/inquiry over the cards of a file, one at random a request."""
    values = {"TOKEN": options["token"], "PATH": options["path"], "SCOPE": options["scope"]}
    return _card_scenario(options, INQUIRE, values)


def _card_scenario(options: dict[str, Any], template: str, values: dict[str, str]) -> str:
    cards = Path(options["cards_file"]).read_text().split()
    width = len(cards[0]) if cards else 0
    if not cards or any(len(card) != width or not card.isdigit() for card in cards):
        raise SystemExit("cards must be card numbers of one length")
    values = values | {"CARDS": json.dumps("".join(cards)), "WIDTH": str(width)}
    return re.sub("|".join(values), lambda match: values[match.group(0)], CARD_SCENARIO + template)


@contextmanager
def card_file(cards: Iterable[str]) -> Iterator[str]:
    """A temporary file of card numbers for the card scenarios (too many for their options)."""
    with tempfile.NamedTemporaryFile("w", prefix="bench-cards-", suffix=".txt") as out:
        out.write("\n".join(cards))
        out.flush()
        yield out.name


SCRIPTS = {
    "get": lambda options: get_script(options.get("headers", {})),
    "settle": settle_script,
    "inquire": inquire_script,
}


def main() -> None:
    """Parse the scenario and its options; print the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCRIPTS))
    parser.add_argument("--options", required=True)
    args = parser.parse_args()
    options = json.loads(args.options)
    script = SCRIPTS[args.scenario](options)
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
