"""GET /v1/documents and the codes in the OpenAPI document: what a client reads is what
the counter checks (R-LOSS-2, R-LOSS-3, R-REP-2, R-CARD-5, R-CLM-1)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from sscard.claims.rules import REQUIRED, ClaimKind
from sscard.people.schemes import Scheme
from tests.api import Api


def listed(api: Api, **query: str) -> list[dict[str, Any]]:
    response = api.call("GET", "/v1/documents", params=query)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def first_choices(item: dict[str, Any]) -> list[str]:
    """One document per requirement: the first of its alternatives."""
    return [requirement["any_of"][0]["code"] for requirement in item["requirements"]]


def test_anyone_reads_what_a_rural_resident_brings_to_a_formal_loss_report(api: Api) -> None:
    (item,) = listed(api, action="formal_loss_report", scheme="rural_resident", relation="self")
    assert (item["scheme"], item["relation"], item["reason"], item["kind"]) == ("rural_resident", "self", None, None)
    codes = [[document["code"] for document in req["any_of"]] for req in item["requirements"]]
    assert codes == [["resident_id_card", "household_register"], ["village_committee_certificate"]]
    certificate = item["requirements"][1]["any_of"][0]["labels"]
    assert certificate == {"zh-CN": "村委会出具的挂失证明", "en": "loss certificate from the village committee"}


def test_every_action_is_listed_and_a_scheme_keeps_the_cases_it_does_not_matter_for(api: Api) -> None:
    every = listed(api)
    assert {item["action"] for item in every} == {"formal_loss_report", "replacement", "cancellation", "claim"}
    employee = listed(api, scheme="employee")
    assert {item["scheme"] for item in employee} == {"employee", None}
    assert len([i for i in employee if i["action"] == "cancellation"]) == 4
    claims = listed(api, action="claim")
    assert {item["kind"]: first_choices(item) for item in claims} == {k.value: list(REQUIRED[k]) for k in ClaimKind}


def test_an_unknown_action_is_an_invalid_request(api: Api) -> None:
    response = api.call("GET", "/v1/documents", params={"action": "lunch"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")


@pytest.mark.parametrize("scheme", list(Scheme))
def test_r_loss_3_the_listed_documents_are_exactly_what_the_counter_accepts(api: Api, scheme: Scheme) -> None:
    (item,) = listed(api, action="formal_loss_report", scheme=scheme.value, relation="self")
    documents = first_choices(item)
    card_no = api.card(api.person(scheme=scheme.value)["person_id"])["card_no"]
    body = {"kind": "formal", "channel": "counter"}
    short = api.call("POST", f"/v1/cards/{card_no}/loss-reports", api.clerk, json=body | {"documents": documents[:-1]})
    assert (short.status_code, short.json()["code"], short.json()["missing"]) == (
        422,
        "documents_missing",
        documents[-1:],
    )
    whole = api.call("POST", f"/v1/cards/{card_no}/loss-reports", api.clerk, json=body | {"documents": documents})
    assert whole.status_code == 201, whole.text
    (replacement,) = listed(api, action="replacement", relation="self")
    applied = api.call(
        "POST",
        f"/v1/cards/{card_no}/replacements",
        api.clerk,
        json={"reason": "lost", "documents": first_choices(replacement)},
    )
    assert applied.status_code == 201, applied.text


def test_r_card_5_the_listed_documents_cancel_a_card_at_the_holders_request(api: Api) -> None:
    (item,) = [i for i in listed(api, action="cancellation") if i["reason"] == "emigration"]
    card_no = api.card(api.person()["person_id"])["card_no"]
    body = {"reason": "emigration", "documents": first_choices(item)}
    response = api.call("POST", f"/v1/cards/{card_no}/cancellation", api.clerk, json=body)
    assert response.status_code == 200, response.text


def test_the_openapi_document_lists_every_code_with_its_zh_cn_and_en_labels(api: Api) -> None:
    document = api.call("GET", "/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert schemas["Channel"]["x-enum-labels"]["hotline"] == {"zh-CN": "服务热线", "en": "the hotline"}
    assert set(schemas["ReplacementReason"]["enum"]) == {"lost", "stolen", "damaged", "demagnetized", "expired"}
    assert "x-enum-labels" in schemas["CancellationReason"]
    assert "x-enum-labels" in schemas["ClaimKind"]
    report_documents = schemas["LossReportCreate"]["properties"]["documents"]["items"]
    assert "employer_certificate" in report_documents["enum"]
    assert report_documents["x-enum-labels"]["employer_certificate"]["zh-CN"] == "单位出具的证明"
    assert "death_certificate" in schemas["CancellationCreate"]["properties"]["documents"]["items"]["enum"]
    assert "discharge_summary" in schemas["ClaimCreate"]["properties"]["documents"]["items"]["enum"]
    assert "hospital_stay" in schemas["SettlementCreate"]["properties"]["category"]["enum"]
    assert "/v1/documents" in document["paths"]


def test_docs_offer_terminals_the_client_credentials_flow_and_it_signs_one_in(api: Api) -> None:
    schemes = api.call("GET", "/openapi.json").json()["components"]["securitySchemes"]
    (oauth2,) = (scheme for scheme in schemes.values() if scheme["type"] == "oauth2")
    assert set(oauth2["flows"]) == {"password", "clientCredentials"}
    assert oauth2["flows"]["clientCredentials"]["tokenUrl"] == "/v1/auth/token"
    institution = api.call(
        "POST",
        "/v1/institutions",
        api.admin,
        json={"name": "某大药房", "kind": "pharmacy", "region": "110105", "designated": True},
    ).json()
    created = api.call("POST", f"/v1/institutions/{institution['institution_id']}/terminals", api.admin).json()
    # What Swagger UI sends by default: the credentials as HTTP Basic (RFC 6749 §2.3.1).
    basic = base64.b64encode(f"{created['terminal_id']}:{created['client_secret']}".encode()).decode()
    form = {"grant_type": "client_credentials", "scope": ""}
    token = api.call("POST", "/v1/auth/token", {"Authorization": f"Basic {basic}"}, data=form)
    assert token.status_code == 200, token.text
    wrong = base64.b64encode(f"{created['terminal_id']}:nope".encode()).decode()
    refused = api.call("POST", "/v1/auth/token", {"Authorization": f"Basic {wrong}"}, data=form)
    assert refused.status_code == 401
    in_body = form | {"client_id": created["terminal_id"], "client_secret": created["client_secret"]}
    assert api.call("POST", "/v1/auth/token", data=in_body).status_code == 200
