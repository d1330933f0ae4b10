"""GET /v1/guide: what the guide says agrees with the policy the counter enforces."""

from __future__ import annotations

import re
from typing import Any

import pytest
from httpx2 import Response

from sscard.demo import POLICIES
from sscard.guide import en, zh
from sscard.loss.rules import SCHEME_CERTIFICATES
from sscard.people.schemes import Scheme
from tests.api import Api

REPLACED = ["lost", "stolen", "damaged", "demagnetized", "expired"]
SITUATIONS = [*REPLACED, "found"]
SCHEMES = [scheme.value for scheme in Scheme]
NAMES = {"zh-CN": zh.DOCUMENTS, "en": en.DOCUMENTS}
# The demo's district in each of its regions, and what each says about lifting a loss.
DISTRICTS = {"110105": "110000", "130702": "130700", "510703": "510700"}
LIFT = {("zh-CN", 0): "当天", ("zh-CN", 1): "次日", ("en", 0): "on the day it was made", ("en", 1): "next day"}


def load_demo_policies(api: Api) -> None:
    for code, policy in POLICIES.items():
        response = api.call("PUT", f"/v1/regions/{code}/policy", api.admin, json=policy)
        assert response.status_code == 200, response.text


def region_policy(api: Api, code: str) -> dict[str, Any]:
    response = api.call("GET", f"/v1/regions/{code}/policy", api.clerk)
    assert response.status_code == 200, response.text
    return dict(response.json())


def ask(api: Api, situation: str, scheme: str, region: str, language: str | None = None) -> Response:
    """The guide as anyone asks for it: no token."""
    headers = {"Accept-Language": language} if language else {}
    params = {"situation": situation, "scheme": scheme, "region": region}
    return api.client.get("/v1/guide", params=params, headers=headers)


def guide(api: Api, situation: str, scheme: str, region: str, language: str | None = None) -> dict[str, Any]:
    response = ask(api, situation, scheme, region, language)
    assert response.status_code == 200, response.text
    return dict(response.json())


def all_text(body: dict[str, Any]) -> str:
    parts = [[s["title"], s["detail"], s["where"], *s["documents_text"], *s["legal_basis"]] for s in body["steps"]]
    return "\n".join(text for part in parts for text in part)


def quotes(text: str, number: object) -> bool:
    return re.search(rf"(?<!\d){re.escape(str(number))}(?!\d)", text) is not None


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("district", DISTRICTS)
def test_the_guide_quotes_the_policy_of_each_demo_region(api: Api, district: str, language: str) -> None:
    load_demo_policies(api)
    policy = region_policy(api, district)
    for situation in SITUATIONS:
        body = guide(api, situation, "employee", district, language)
        first = body["steps"][0]
        assert (body["language"], body["region"], body["situation"]) == (language, district, situation)
        assert body["hotline"] == policy["hotline"]
        assert quotes(first["detail"] + first["where"], policy["hotline"])
        assert body["production_working_days"] == policy["production_working_days"]
        if situation in REPLACED:
            fee = policy["fees"][situation]
            assert body["fee"] == fee
            assert fee == 0 or yuan(fee) in all_text(body)
            assert quotes(all_text(body), policy["production_working_days"])
    lift = guide(api, "found", "employee", district, language)
    assert lift["fee"] is None
    assert LIFT[language, policy["lift_after_days"]] in lift["steps"][0]["detail"]
    assert quotes(lift["steps"][0]["detail"], policy["provisional_valid_days"])


def test_zhangjiakou_lifts_the_next_day_beijing_quotes_96102_mianyang_holds_ten_days(api: Api) -> None:
    load_demo_policies(api)
    assert "次日" in guide(api, "found", "urban_resident", "130702")["steps"][0]["detail"]
    assert "the next day" in guide(api, "found", "urban_resident", "130702", "en")["steps"][0]["detail"]
    assert "on the day it was made" not in guide(api, "found", "urban_resident", "130702", "en")["steps"][0]["detail"]
    beijing = guide(api, "lost", "student", "110105", "en")
    assert beijing["hotline"] == "96102"
    assert "96102" in beijing["steps"][0]["detail"]
    assert "10 days" in guide(api, "lost", "rural_resident", "510703", "en")["steps"][0]["detail"]
    assert "7天" in guide(api, "stolen", "rural_resident", "130702")["steps"][0]["detail"]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_formal_loss_names_the_schemes_certificate(api: Api, scheme: str, language: str) -> None:
    body = guide(api, "lost", scheme, "110105", language)
    formal = next(step for step in body["steps"] if "R-LOSS-3" in step["rules"])
    certificate = SCHEME_CERTIFICATES[Scheme(scheme)]
    assert certificate in formal["documents"]
    assert NAMES[language][certificate] in formal["detail"]
    assert formal["documents_text"] == [NAMES[language][name] for name in formal["documents"]]
    damaged = guide(api, "damaged", scheme, "110105", language)
    assert certificate not in [name for step in damaged["steps"] for name in step["documents"]]


def test_the_guide_follows_a_policy_change_and_its_undoing(api: Api) -> None:
    load_demo_policies(api)
    before = guide(api, "damaged", "employee", "130702", "en")
    change = {"hotline": "4008123456", "production_working_days": 0, "lift_after_days": 3, "fees": {"damaged": 3550}}
    assert api.call("PUT", "/v1/regions/130700/policy", api.admin, json=change).status_code == 200
    after = guide(api, "damaged", "employee", "130702", "en")
    assert (after["hotline"], after["production_working_days"], after["fee"]) == ("4008123456", 0, 3550)
    assert "4008123456" in after["steps"][0]["detail"]
    assert "35.50 yuan" in all_text(after)
    assert "on the spot" in all_text(after)
    assert "on the spot" not in all_text(before)
    assert "from 3 days after" in guide(api, "found", "employee", "130702", "en")["steps"][0]["detail"]
    undo = {"hotline": None, "production_working_days": None, "lift_after_days": 1, "fees": None}
    assert api.call("PUT", "/v1/regions/130700/policy", api.admin, json=undo).status_code == 200
    assert guide(api, "damaged", "employee", "130702", "en") == before


def test_a_district_gets_its_inherited_policy(api: Api) -> None:
    load_demo_policies(api)
    body = guide(api, "lost", "urban_resident", "110105")
    assert (body["region"], body["hotline"], body["production_working_days"]) == ("110105", "96102", 15)
    assert guide(api, "lost", "urban_resident", "110000")["hotline"] == "96102"
    assert guide(api, "lost", "urban_resident", "120000")["hotline"] == "12333"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh-CN"),
        ("en", "en"),
        ("en-US", "en"),
        ("zh", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("fr-FR", "zh-CN"),
        ("zh;q=0.3, en-US;q=0.7", "en"),
        ("en;q=0.2, zh-CN;q=0.9", "zh-CN"),
    ],
)
def test_accept_language_chooses_and_content_language_says_it(api: Api, header: str | None, language: str) -> None:
    response = ask(api, "expired", "student", "510703", header)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Language"] == language
    assert "Accept-Language" in response.headers["Vary"]
    body = response.json()
    assert body["language"] == language
    assert bool(re.search(r"[\u4e00-\u9fff]", body["steps"][0]["title"])) is (language == "zh-CN")


def test_every_situation_and_scheme_answers_with_cited_steps(api: Api) -> None:
    for situation in SITUATIONS:
        for scheme in SCHEMES:
            body = guide(api, situation, scheme, "510703", "en")
            assert body["steps"]
            assert all(step["legal_basis"] and step["rules"] for step in body["steps"])


@pytest.mark.parametrize(
    ("params", "field", "allowed"),
    [
        ({"situation": "burnt"}, "situation", SITUATIONS),
        ({"scheme": "pensioner"}, "scheme", SCHEMES),
        ({"situation": ""}, "situation", SITUATIONS),
    ],
)
def test_an_unknown_situation_or_scheme_is_invalid_and_lists_the_allowed(
    api: Api, params: dict[str, str], field: str, allowed: list[str]
) -> None:
    query = {"situation": "lost", "scheme": "employee", "region": "110105"} | params
    response = api.client.get("/v1/guide", params=query)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_request"
    assert [error["field"] for error in problem["errors"]] == [field]
    assert all(f"'{value}'" in problem["detail"] for value in allowed)


def test_a_missing_parameter_is_invalid(api: Api) -> None:
    response = api.client.get("/v1/guide", params={"situation": "lost", "scheme": "employee"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


@pytest.mark.parametrize("region", ["999999", "110199", "11010", "1101050", "abcdef", "１１０１０５", ""])
def test_an_unknown_or_malformed_region_is_unknown_region(api: Api, region: str) -> None:
    response = ask(api, "lost", "employee", region)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unknown_region"
