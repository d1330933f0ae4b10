"""The admin's dashboard at scale: `GET /admin` time with many persons in PostgreSQL.

Persons, cards and accounts are bulk-loaded as B6 does; then, in proportion to them,
institutions with a terminal each (1 per 2,000 persons, a tenth of them behind the
list), replacements (1 in 200 persons, a tenth of those still open) with their cards
on the invalid list and its change log, claims (one per replacement, a tenth waiting),
and 90 days of hourly dashboard counts in every district. The dashboard is read by a
national admin (every region) and a district admin through the page itself.
"""

from __future__ import annotations

import re
import statistics
import time

import httpx2
import psycopg

from bench.bulk import libpq_url, load_persons, migrate
from bench.figures import Figure
from bench.services import ADMIN, ADMIN_PASSWORD, SECRET, admin_token, postgres, server_env, sscard_server
from bench.setup import PIN

NAME = "B8"
WORKERS = 1
REQUESTS, WARM_UP = 40, 5
TARGET_MS = 200
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')

_FILL = [
    # Institutions and their terminals; every tenth terminal never synced.
    """
    INSERT INTO institutions (id, name, kind, region_code, designated, created_at)
    SELECT i, 'bench pharmacy ' || i, 'pharmacy', c.region_code, true, now()
    FROM generate_series(1, greatest(%(persons)s / 2000, 10)) AS i
    JOIN LATERAL (SELECT region_code FROM cards WHERE id = 1 + (i * 7919) %% %(persons)s) c ON true
    """,
    """
    INSERT INTO terminals (id, terminal_id, institution_id, secret_hash, created_at, list_version, list_synced_at)
    SELECT id, 'trm_bench_' || id, id, 'x', now(),
           CASE WHEN id %% 10 = 0 THEN NULL ELSE 1000000 END, CASE WHEN id %% 10 = 0 THEN NULL ELSE now() END
    FROM institutions WHERE name LIKE 'bench pharmacy %%'
    """,
    # Replacements of every 200th card; a tenth still open, ready over the last 30 days.
    """
    INSERT INTO replacements (id, old_card_id, person_id, reason, new_card_no, new_bank, fee, fee_paid_at, applicant,
                              documents, applied_at, applied_by, ready_on, collection_certificate_no,
                              certificate_valid_until, held_amount, collected_at)
    SELECT id / 200, id, person_id, 'lost', '9' || substr(card_no, 2), bank, 2000, now(), '{}', '[]',
           now() - interval '20 days', 'bench', current_date - (id / 200) %% 30, 'B' || lpad(id::text, 12, '0'),
           current_date + 30, 0, CASE WHEN (id / 200) %% 10 = 0 THEN NULL ELSE now() END
    FROM cards WHERE id %% 200 = 0
    """,
    """
    INSERT INTO invalid_cards (card_no, card_id, region_code, reason, since, version)
    SELECT card_no, id, region_code, 'lost', now(), id / 200 FROM cards WHERE id %% 200 = 0
    """,
    """
    INSERT INTO invalid_list_changes (version, card_no, op, reason, at, region_code)
    SELECT id / 200, card_no, 'add', 'lost', now() - interval '2 hours', region_code FROM cards WHERE id %% 200 = 0
    """,
    "UPDATE invalid_list_counter SET version = (SELECT coalesce(max(version), 0) FROM invalid_list_changes)",
    """
    UPDATE terminals SET list_version = (SELECT max(version) FROM invalid_list_changes)
    WHERE list_version IS NOT NULL
    """,
    """
    INSERT INTO claims (id, person_id, region_code, replacement_id, kind, documents, claimed_amount, status,
                        submitted_at, submitted_by, supplementary_amount)
    SELECT r.id, r.person_id, c.region_code, r.id, 'outpatient', '[]', 5000,
           CASE WHEN r.id %% 10 = 3 THEN 'submitted' ELSE 'approved' END, now() - (r.id %% 40) * interval '1 day',
           'bench', 0
    FROM replacements r JOIN cards c ON c.id = r.old_card_id
    """,
    # The counts the handlers would have kept: the list, the open replacements, and 90
    # days of settlements (4 shards, both outcomes) and loss reports (3 channels) per district.
    """
    INSERT INTO dashboard_counts (metric, bucket, region_code, key, shard, n)
    SELECT 'invalid', 0, region_code, reason, 0, count(*) FROM invalid_cards GROUP BY region_code, reason
    """,
    """
    INSERT INTO dashboard_counts (metric, bucket, region_code, key, shard, n)
    SELECT 'replacement', r.ready_on - DATE '1970-01-01', c.region_code, 'open', 0, count(*)
    FROM replacements r JOIN cards c ON c.id = r.old_card_id WHERE r.collected_at IS NULL
    GROUP BY r.ready_on, c.region_code
    """,
    """
    INSERT INTO dashboard_counts (metric, bucket, region_code, key, shard, n)
    SELECT 'settlement', floor(extract(epoch FROM now()) / 3600)::bigint - h, d.region_code, o.key, s, 1 + (h + s) %% 50
    FROM generate_series(0, 90 * 24 - 1) AS h, (SELECT DISTINCT region_code FROM cards) AS d,
         (VALUES ('approved'), ('declined')) AS o(key), generate_series(0, 3) AS s
    """,
    """
    INSERT INTO dashboard_counts (metric, bucket, region_code, key, shard, n)
    SELECT 'loss', current_date - DATE '1970-01-01' - h, d.region_code, o.key, 0, 1 + h %% 3
    FROM generate_series(0, 89) AS h, (SELECT DISTINCT region_code FROM cards) AS d,
         (VALUES ('hotline'), ('online'), ('counter')) AS o(key)
    """,
    "ANALYZE",
]


def run(full: bool) -> list[Figure]:
    """Each size in its own database; the dashboard read through HTTP by two admins."""
    sizes = (10_000, 10_000_000) if full else (10_000, 1_000_000)
    figures: list[Figure] = []
    with postgres(shared_buffers="2GB" if full else "512MB") as pg:
        for persons in sizes:
            url = pg.create_database(f"bench_b8_{persons}")
            migrate(url, server_env(url))
            loaded = load_persons(url, persons, secret=SECRET.encode(), pin=PIN)
            started = time.perf_counter()
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:
                for statement in _FILL:
                    conn.execute(statement, {"persons": persons})
            filled = time.perf_counter() - started
            note = f"load {loaded.seconds:.0f} s, activity {filled:.0f} s; {REQUESTS} requests after {WARM_UP}"
            with sscard_server(url, WORKERS) as base:
                timings = {scope: _dashboard_times(base, scope) for scope in ("000000", "110105")}
            for scope, times in timings.items():
                who = "national admin" if scope == "000000" else f"admin of {scope}"
                p50 = statistics.median(times)
                target = TARGET_MS if persons == sizes[-1] and scope == "000000" else None
                figures.append(
                    Figure(NAME, f"GET /admin p50, {persons:,} persons, {who}", p50, "ms", target, "<=", note)
                )
                figures.append(Figure(NAME, f"GET /admin max, {persons:,} persons, {who}", max(times), "ms", note=note))
    return figures


def _dashboard_times(base: str, scope: str) -> list[float]:
    """Milliseconds of each GET /admin of a signed-in admin of this scope (loopback)."""
    username = ADMIN if scope == "000000" else f"admin.{scope}"
    password = ADMIN_PASSWORD
    if scope != "000000":
        token = {"Authorization": f"Bearer {admin_token(base)}"}
        body = {"username": username, "password": password, "role": "admin", "region": scope}
        created = httpx2.post(f"{base}/v1/users", json=body, headers=token, timeout=30)
        if created.status_code not in (201, 409):
            raise RuntimeError(created.text)
    with httpx2.Client(base_url=base, timeout=30) as client:
        found = CSRF.search(client.get("/login").text)
        if found is None:
            raise RuntimeError("no CSRF token on /login")
        form = {"username": username, "password": password, "csrf_token": found.group(1)}
        signed = client.post("/login", data=form, follow_redirects=False)
        if signed.headers.get("location") != "/admin":
            raise RuntimeError(f"the admin did not sign in: {signed.status_code} {signed.text[:300]}")
        times = []
        for i in range(WARM_UP + REQUESTS):
            started = time.perf_counter()
            answer = client.get("/admin")
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise RuntimeError(f"GET /admin: {answer.status_code}")
            if i >= WARM_UP:
                times.append(elapsed)
    return times
