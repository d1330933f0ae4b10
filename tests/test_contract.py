"""The contract holds for every input (issue 11): declared errors, bounds, bodies, IDs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sscard.roles import Role
from sscard.runtime import Runtime
from tests.api import Api

PROBLEM = {"$ref": "#/components/schemas/Problem"}
TOO_BIG = 2**63


def operations(api: Api) -> Iterator[tuple[str, str, dict[str, object]]]:
    for path, item in api.client.get("/openapi.json").json()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def problem_schema(operation: dict[str, object], status: int) -> object:
    responses = operation["responses"]
    assert isinstance(responses, dict)
    return responses[str(status)]["content"]["application/problem+json"]["schema"]


def test_issue_11_every_operation_declares_its_errors_as_the_problem_sent(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, method, operation in operations(api):
        for status in (404, 422, 500):
            assert problem_schema(operation, status) == PROBLEM, (method, path, status)
        if operation.get("security"):
            assert problem_schema(operation, 401) == problem_schema(operation, 403) == PROBLEM
        if "requestBody" in operation:
            assert problem_schema(operation, 413) == problem_schema(operation, 415) == PROBLEM
    token = document["paths"]["/v1/auth/token"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]
    assert problem_schema(document["paths"]["/v1/settlements"]["post"], 402) == PROBLEM


def test_issue_11_the_422_declared_is_the_one_sent(api: Api) -> None:
    response = api.call("POST", "/v1/persons", api.clerk, json={"name": 1})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["Problem"]
    assert set(schema["required"]) <= response.json().keys()


def test_issue_11_integers_are_bounded_in_the_document(api: Api) -> None:
    parameters = [p for _, _, op in operations(api) for p in op.get("parameters", [])]  # type: ignore[attr-defined]
    integers = [p["schema"] for p in parameters if p["schema"].get("type") == "integer"]
    assert integers
    assert all(s["maximum"] <= 2**63 - 1 for s in integers)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/v1/persons/{TOO_BIG}", None),
        ("GET", f"/v1/persons/1/postings?cursor={TOO_BIG}", None),
        ("GET", f"/v1/audit?cursor={10**30}", None),
        (
            "POST",
            "/v1/users",
            {
                "username": "x.y.z",
                "password": "long enough",
                "role": "cardholder",
                "region": "110000",
                "person_id": TOO_BIG,
            },
        ),
        ("PUT", "/v1/regions/110000/policy", {"pin_max_tries": -(2**70)}),
    ],
)
def test_issue_11_an_integer_past_64_bits_is_422_never_500(api: Api, method: str, path: str, body: object) -> None:
    response = api.call(method, path, api.admin, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"


def test_issue_11_a_key_past_32_bits_is_answered_on_both_databases(api: Api) -> None:
    # PostgreSQL keys are 32-bit: a larger one does not fit (422); SQLite finds no row (404).
    body = {"username": "x.y.z", "password": "long enough", "role": "cardholder", "region": "110000"}
    for response in (
        api.call("GET", f"/v1/persons/{2**40}", api.admin),
        api.call("POST", "/v1/users", api.admin, json=body | {"person_id": 2**40}),
    ):
        assert response.status_code in {404, 422}
        assert response.headers["content-type"] == "application/problem+json"


def test_issue_11_a_balance_past_the_deposit_limit_is_answered(api: Api) -> None:
    person = api.person()
    api.deposit(person["person_id"], 10_000_000_000)
    api.deposit(person["person_id"], 10_000_000_000)
    response = api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk)
    assert response.status_code == 200
    assert response.json()["balance"] == 20_000_000_000


def test_issue_11_a_500_is_problem_json_with_the_request_id(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    response = client.get("/broken", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert response.json()["request_id"] == response.headers["x-request-id"] == "req-500"


def test_issue_11_an_empty_idempotency_key_is_422(api: Api) -> None:
    terminal = api.terminal()
    for key in ("", "   ", "k" * 201):
        response = api.call("POST", "/v1/settlements", terminal | {"Idempotency-Key": key}, json={})
        assert response.status_code == 422, key
        assert response.json()["code"] == "invalid_request"


def test_issue_11_a_replayed_refusal_carries_this_requests_id(api: Api) -> None:
    person = api.person("110105")
    card = api.card(person["person_id"])
    terminal = api.terminal()
    first = api.settle(terminal, card["card_no"], 100, key="k-1")
    again = api.settle(terminal, card["card_no"], 100, key="k-1")
    assert first.status_code == again.status_code == 402
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["request_id"] == again.headers["x-request-id"] != first.json()["request_id"]


def test_issue_11_a_body_past_the_limit_is_413_before_it_is_read(api: Api, rt: Runtime) -> None:
    limit = rt.settings.max_body_bytes
    big = b'{"name": "' + b"x" * limit + b'"}'
    declared = api.call("POST", "/v1/persons", api.clerk | {"Content-Type": "application/json"}, content=big)
    assert (declared.status_code, declared.json()["code"]) == (413, "payload_too_large")
    assert declared.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:
        yield big[: limit // 2]
        yield big[limit // 2 :]

    streamed = api.call("POST", "/v1/persons", api.clerk | {"Content-Type": "application/json"}, content=chunks())
    assert (streamed.status_code, streamed.json()["code"]) == (413, "payload_too_large")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-unknown+json", "application/xml"])
def test_issue_11_a_body_that_is_not_json_is_415(api: Api, content_type: str) -> None:
    body = b'{"id_number": "x", "name": "y", "region": "110101", "scheme": "employee"}'
    response = api.call("POST", "/v1/persons", api.clerk | {"Content-Type": content_type}, content=body)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("text", ["王\x00明", "a\x1bb", "\x7f", "x\u0085"])
def test_issue_11_control_characters_in_text_are_422(api: Api, text: str) -> None:
    person = {"id_number": "110101199003070011", "name": text, "region": "110101", "scheme": "employee"}
    assert api.call("POST", "/v1/persons", api.clerk, json=person).status_code == 422
    assert api.call("GET", "/v1/persons", api.clerk, params={"name": text}).status_code == 422
    form = {"grant_type": "password", "username": text, "password": "x"}
    assert api.client.post("/v1/auth/token", data=form).status_code == 422


def test_issue_11_a_huge_path_is_problem_json(api: Api) -> None:
    response = api.call("GET", "/v1/" + "a" * 60_000)  # the test client sends at most 64 KiB of URL
    assert response.status_code == 414
    assert response.json()["code"] == "uri_too_long"
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert api.call("GET", "/v1/nothing-here").json()["code"] == "not_found"


def test_issue_11_detail_is_in_the_callers_language(api: Api) -> None:
    chinese = api.call("GET", "/v1/persons/1", {"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.json()["detail"] == "需要有效的登录凭证，请重新登录。"
    english = api.call("GET", "/v1/persons/1", {"Accept-Language": "en-GB"})
    assert english.json()["detail"] == "a bearer token is required"
    unasked = api.call("GET", "/v1/users", api.headers(Role.AUDITOR) | {"Accept-Language": "fr"})
    assert unasked.json()["code"] == "forbidden"
    assert "auditor" in unasked.json()["detail"]
