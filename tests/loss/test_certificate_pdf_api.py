"""GET /v1/replacements/{id}/certificate.pdf (API.md; R-REP-4): the printable collection
certificate, for the clerk, the card's bank and the holder themself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sscard.people.idnumber import mask_id_number
from sscard.roles import Role
from tests.api import Api
from tests.loss.test_certificate_pdf import qr_codes_of, text_of

Json = dict[str, Any]


def replaced(api: Api, region: str = "110105", bank: str = "ICBC") -> tuple[Json, str, Json]:
    holder = api.person(region, name="欧阳小明")
    card_no = str(api.card(int(holder["person_id"]), bank)["card_no"])
    api.report_loss(card_no)
    return holder, card_no, api.replace(card_no, "lost")


def certificate_pdf(api: Api, replacement: Json, who: dict[str, str]) -> Any:
    return api.call("GET", f"/v1/replacements/{replacement['replacement_id']}/certificate.pdf", who)


def test_r_rep_4_the_clerk_prints_the_certificate_with_every_particular(api: Api) -> None:
    holder, old_card, replacement = replaced(api)
    response = certificate_pdf(api, replacement, api.clerk)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    number = replacement["collection_certificate_no"]
    assert f'filename="collection-certificate-{number}.pdf"' in response.headers["content-disposition"]
    text = text_of(response.content)
    expected = [
        "社会保障卡领卡凭证（临时就医凭证）",
        "Temporary Medical Certificate",
        "欧阳小明",
        mask_id_number(holder["id_number"]),
        old_card,
        replacement["new_card_no"],
        "遗失  lost",
        "2026-03-02",  # applied, the tests' first day
        replacement["ready_on"],
        replacement["certificate_valid_until"],
        "110105 北京市朝阳区",
        "北京市朝阳区受理补卡申请的社会保障卡服务网点",
        number,
    ]
    for particular in expected:
        assert particular in text
    assert holder["id_number"] not in text  # masked even for a clerk
    assert qr_codes_of(response.content) == [number]


def test_r_rep_4_the_holder_and_the_cards_bank_get_it_too(api: Api) -> None:
    holder, _, replacement = replaced(api)
    for who in (api.holder(holder), api.headers(Role.BANK, "110000", bank="ICBC")):
        response = certificate_pdf(api, replacement, who)
        assert response.status_code == 200, response.text
        assert qr_codes_of(response.content) == [replacement["collection_certificate_no"]]


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("another-holder", 403, "forbidden"),
        ("another-bank", 403, "forbidden"),
        ("clerk-elsewhere", 403, "out_of_region"),
        ("operator", 403, "forbidden"),
        ("terminal", 403, "forbidden"),
    ],
)
def test_r_rep_4_no_one_else_gets_the_certificate(api: Api, who: str, status: int, code: str) -> None:
    _, _, replacement = replaced(api)
    other = api.person("110105")
    callers: dict[str, Callable[[], dict[str, str]]] = {
        "another-holder": lambda: api.holder(other),
        "another-bank": lambda: api.headers(Role.BANK, "110000", bank="CCB"),
        "clerk-elsewhere": lambda: api.headers(Role.CLERK, "130700"),
        "operator": lambda: api.headers(Role.OPERATOR),
        "terminal": api.terminal,
    }
    headers = callers[who]()
    response = certificate_pdf(api, replacement, headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_r_rep_4_an_unknown_replacement_is_404_and_no_token_is_401(api: Api) -> None:
    response = api.call("GET", "/v1/replacements/999999/certificate.pdf", api.clerk)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api.call("GET", "/v1/replacements/999999/certificate.pdf").status_code == 401


def test_r_rep_4_the_certificate_route_is_in_the_openapi_document_as_a_pdf(api: Api) -> None:
    paths = api.call("GET", "/openapi.json").json()["paths"]
    get = paths["/v1/replacements/{replacement_id}/certificate.pdf"]["get"]
    assert "application/pdf" in get["responses"]["200"]["content"]
