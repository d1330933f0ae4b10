"""R-LOSS-7 (a report on someone's word checks who calls) and R-LOSS-8 (banks at the counter)."""

from __future__ import annotations

from typing import Any

import pytest

from sscard.clock import FixedClock
from sscard.roles import Role
from tests.api import Api
from tests.loss.test_loss_reports_api import holder_card, report

UNIT = "北京市朝阳区某科技有限公司"
ICBC = {"bank": "ICBC"}


def who(api: Api, channel: str) -> dict[str, str]:
    return {
        "hotline": api.headers(Role.OPERATOR),
        "written": api.clerk,
        "bank": api.headers(Role.BANK, "110000", **ICBC),
    }[channel]


def said(person: dict[str, Any], **changes: str | None) -> dict[str, Any]:
    return {"relation": "self", "name": person["name"], "id_number": person["id_number"], "unit_name": UNIT} | changes


CHANNELS = ["hotline", "written", "bank"]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "wrong",
    [{"name": "王大明"}, {"id_number": "110101199003070011"}, {"unit_name": "别的公司"}, {"unit_name": None}],
    ids=["name", "id-number", "unit", "no-unit"],
)
def test_r_loss_7_a_caller_who_does_not_know_the_holder_is_refused(
    api: Api, channel: str, wrong: dict[str, str]
) -> None:
    person, card_no = holder_card(api, unit_name=UNIT)
    response = report(api, card_no, who(api, channel), channel=channel, reporter=said(person, **wrong))
    assert (response.status_code, response.json()["code"]) == (403, "identity_mismatch")
    assert api.call("GET", f"/v1/cards/{card_no}", api.clerk).json()["status"] == "active"


@pytest.mark.parametrize("channel", CHANNELS)
def test_r_loss_7_the_report_names_the_holder(api: Api, channel: str) -> None:
    _, card_no = holder_card(api, unit_name=UNIT)
    response = report(api, card_no, who(api, channel), channel=channel)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")


@pytest.mark.parametrize(
    ("registered", "typed"),
    [("阿依古丽·买买提", "阿依古丽•买买提"), ("阿依古丽·买买提", "阿依古丽・买买提"), ("王小明", "王 小明")],
)
def test_r_loss_7_names_compare_after_nfkc_with_the_dots_as_one(api: Api, registered: str, typed: str) -> None:
    person, card_no = holder_card(api, name=registered, unit_name=UNIT)
    reporter = said(person, name=typed, unit_name=" 北京市朝阳区某科技有限公司", id_number=person["id_number"].lower())
    response = report(api, card_no, who(api, "hotline"), channel="hotline", reporter=reporter)
    assert response.status_code == 201, response.text


def test_r_loss_7_without_a_unit_on_file_none_is_asked(api: Api) -> None:
    person, card_no = holder_card(api)
    response = report(api, card_no, who(api, "written"), channel="written", reporter=said(person, unit_name=None))
    assert response.status_code == 201, response.text


def test_r_loss_8_a_bank_takes_the_formal_report_with_the_counters_documents(api: Api) -> None:
    _, card_no = holder_card(api)
    bank = who(api, "bank")
    missing = report(api, card_no, bank, "formal", channel="bank", documents=["resident_id_card"])
    assert (missing.status_code, missing.json()["code"]) == (422, "documents_missing")
    formal = report(
        api, card_no, bank, "formal", channel="bank", documents=["resident_id_card", "employer_certificate"]
    )
    assert formal.status_code == 201, formal.text
    assert formal.json()["card_status"] == "lost"


def test_r_loss_8_a_bank_replaces_and_hands_over_its_own_cards_only(api: Api, clock: FixedClock) -> None:
    person, card_no = holder_card(api)
    api.report_loss(card_no)
    body = {"reason": "lost", "documents": ["resident_id_card", "photo"]}
    other_bank = api.headers(Role.BANK, "110000", bank="BOC")
    assert api.call("POST", f"/v1/cards/{card_no}/replacements", other_bank, json=body).status_code == 403
    applied = api.call("POST", f"/v1/cards/{card_no}/replacements", who(api, "bank"), json=body)
    assert applied.status_code == 201, applied.text
    replacement = applied.json()
    clock.set(clock.now().replace(month=4, day=30))
    path = f"/v1/replacements/{replacement['replacement_id']}/collect"
    shown = {"id_number": person["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]}
    assert api.call("POST", path, api.headers(Role.BANK, "110000", bank="BOC"), json=shown).status_code == 403
    handed = api.call("POST", path, api.headers(Role.BANK, "110000", **ICBC), json=shown)
    assert handed.status_code == 200, handed.text
    assert handed.json()["new_card"]["bank"] == "ICBC"
