"""Headers and deployment (issue 11): no-store, nosniff, /docs offline under a CSP,
/metrics behind its token, private database and scan files."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from sscard.clock import FixedClock
from sscard.db import make_engine
from sscard.runtime import Runtime
from tests.api import Api
from tests.claims.test_claims_api import PNG, collected_replacements, file_claim


def test_issue_11_token_and_personal_data_are_no_store_and_every_answer_nosniff(api: Api) -> None:
    person = api.person()
    form = {"grant_type": "password", "username": "nobody", "password": "x" * 10}
    for response in (
        api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk),
        api.client.post("/v1/auth/token", data=form),
        api.call("GET", "/v1/persons/1"),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
    health = api.call("GET", "/healthz")
    assert health.headers["x-content-type-options"] == "nosniff"


def test_issue_11_the_list_snapshot_keeps_its_own_caching(api: Api) -> None:
    snapshot = api.call("GET", "/v1/invalid-list/snapshot?scope=110000", api.terminal())
    assert snapshot.headers["cache-control"] == "no-cache"
    assert "etag" in snapshot.headers


def test_issue_11_docs_load_their_assets_from_this_server_under_a_csp(api: Api) -> None:
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text
    policy = docs.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy
    assert "default-src 'none'" in policy
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert api.client.get(f"/docs/assets/{asset}").status_code == 200
    assert api.client.get("/docs/oauth2-redirect").status_code == 200


def test_issue_11_metrics_need_the_metrics_token(api: Api, rt: Runtime) -> None:
    refused = api.call("GET", "/metrics")  # the test client is not on the loopback
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    rt.settings.metrics_token = SecretStr("m" * 32)
    assert api.call("GET", "/metrics").status_code == 401
    assert api.call("GET", "/metrics", {"Authorization": "Bearer wrong"}).status_code == 401
    allowed = api.call("GET", "/metrics", {"Authorization": f"Bearer {'m' * 32}"})
    assert allowed.status_code == 200
    assert "sscard_http_requests_total" in allowed.text


def test_issue_11_the_sqlite_file_is_readable_by_the_service_alone(tmp_path: Path) -> None:
    path = tmp_path / "var" / "sscard.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_issue_11_scans_are_readable_by_the_service_alone(api: Api, clock: FixedClock, rt: Runtime) -> None:
    (person,) = collected_replacements(api, clock, "110105")
    claim = file_claim(api, person)
    url = f"/v1/claims/{claim['claim_id']}/scans"
    uploaded = api.call("POST", url, api.holder(person), files={"file": ("i.png", PNG)}, data={"document": "invoice"})
    digest = uploaded.json()["sha256"]
    stored = rt.settings.var_dir.resolve() / "scans" / digest[:2] / digest
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
