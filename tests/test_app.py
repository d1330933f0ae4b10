"""What every request shares: problem+json, request IDs, health, metrics, OpenAPI."""

from __future__ import annotations

from tests.api import Api


def test_healthz_answers_with_the_database(api: Api) -> None:
    response = api.call("GET", "/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_every_response_carries_a_request_id_and_echoes_a_sane_one(api: Api) -> None:
    generated = api.call("GET", "/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = api.call("GET", "/healthz", {"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    hostile = api.call("GET", "/healthz", {"X-Request-ID": "a b<script>"})
    assert hostile.headers["x-request-id"] != "a b<script>"
    assert len(hostile.headers["x-request-id"]) == 32


def test_errors_are_problem_json_with_a_code_and_the_request_id(api: Api) -> None:
    response = api.call("GET", "/v1/no/such/route", {"X-Request-ID": "req-42"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["request_id"] == "req-42"
    assert {"type", "title", "detail"} <= body.keys()


def test_a_validation_error_lists_the_offending_fields(api: Api) -> None:
    response = api.call("POST", "/v1/persons", api.clerk, json={"name": "王小明", "region": "1101"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request"
    fields = {error["field"] for error in body["errors"]}
    assert {"id_number", "region", "scheme"} <= fields


def test_a_malformed_json_body_is_invalid_request(api: Api) -> None:
    response = api.call("POST", "/v1/persons", api.clerk | {"Content-Type": "application/json"}, content=b"{not json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_metrics_count_requests_by_route_template_not_by_path(api: Api) -> None:
    person = api.person()
    api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk)
    text = api.metrics().text
    assert 'route="/v1/persons/{person_id}"' in text
    assert f"/v1/persons/{person['person_id']}" not in text
    assert "sscard_http_request_duration_seconds_bucket" in text


def test_the_openapi_document_lists_the_contract_paths(api: Api) -> None:
    paths = api.call("GET", "/openapi.json").json()["paths"]
    for path in (
        "/v1/auth/token",
        "/v1/users",
        "/v1/institutions",
        "/v1/institutions/{institution_id}/terminals",
        "/v1/regions/{code}/policy",
        "/v1/persons",
        "/v1/persons/{person_id}",
        "/v1/persons/{person_id}/deposits",
        "/v1/persons/{person_id}/postings",
        "/v1/persons/{person_id}/cards",
        "/v1/cards/{card_no}",
        "/v1/cards/{card_no}/history",
        "/v1/cards/{card_no}/activate",
        "/v1/cards/{card_no}/pin",
        "/v1/cards/{card_no}/pin/unlock",
        "/v1/audit",
    ):
        assert path in paths, path


def test_the_demo_clock_is_not_served_outside_demo_mode(api: Api) -> None:
    response = api.call("POST", "/v1/demo/clock", api.admin, json={"days": 1})
    assert response.status_code == 404
