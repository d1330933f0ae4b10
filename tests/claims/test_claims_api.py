"""Reimbursement claims through the API (R-CLM-1, R-CLM-2)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from sscard.clock import FixedClock
from sscard.roles import Role
from tests.api import Api

OUTPATIENT_DOCUMENTS = ["invoice", "expense_list", "medical_record"]
# The clock starts on Monday 2 March 2026; the card is lost that day and the new one
# collected on 1 April.
LOST_ON, COLLECTED_ON = date(2026, 3, 2), date(2026, 4, 1)


def collected_replacements(api: Api, clock: FixedClock, *regions: str) -> list[dict[str, Any]]:
    """Holders (one per region) who lost their cards on LOST_ON and collected new ones
    on COLLECTED_ON."""
    started = []
    for region in regions:
        person = api.person(region)
        card = api.card(person["person_id"])
        api.report_loss(card["card_no"])
        started.append((person, api.replace(card["card_no"])))
    clock.advance(timedelta(days=30))
    for person, replacement in started:
        collected = api.call(
            "POST",
            f"/v1/replacements/{replacement['replacement_id']}/collect",
            api.clerk,
            json={
                "id_number": person["id_number"],
                "collection_certificate_no": replacement["collection_certificate_no"],
            },
        )
        assert collected.status_code == 200, collected.text
    return [person for person, _ in started]


def collected_replacement(api: Api, clock: FixedClock, region: str = "110105") -> dict[str, Any]:
    return collected_replacements(api, clock, region)[0]


def claim_body(
    person: dict[str, Any],
    *,
    invoice: str = "INV-0001",
    day: date = date(2026, 3, 10),
    amount: int = 12_800,
    kind: str = "outpatient",
    documents: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "person_id": person["person_id"],
        "kind": kind,
        "expenses": [{"date": day.isoformat(), "institution": "北京某医院", "amount": amount, "invoice_no": invoice}],
        "documents": OUTPATIENT_DOCUMENTS if documents is None else documents,
    }


def file_claim(api: Api, person: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = api.call("POST", "/v1/claims", api.holder(person), json=claim_body(person, **fields))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_r_clm_1_a_holder_files_a_claim_after_collecting_the_new_card(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    claim = file_claim(api, person)
    assert claim["status"] == "submitted"
    assert claim["claimed_amount"] == 12_800
    assert claim["expenses"][0]["invoice_no"] == "INV-0001"


def test_r_clm_1_no_claim_before_the_new_card_is_collected(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    api.replace(card["card_no"])
    response = api.call("POST", "/v1/claims", api.holder(person), json=claim_body(person))
    assert response.status_code == 409
    assert response.json()["code"] == "card_not_collected"


@pytest.mark.parametrize(
    ("kind", "documents", "missing"),
    [
        ("outpatient", ["invoice"], ["expense_list", "medical_record"]),
        ("outpatient", [], ["invoice", "expense_list", "medical_record"]),
        ("inpatient", OUTPATIENT_DOCUMENTS, ["discharge_summary"]),
    ],
)
def test_r_clm_1_documents_by_kind(
    api: Api, clock: FixedClock, kind: str, documents: list[str], missing: list[str]
) -> None:
    person = collected_replacement(api, clock)
    response = api.call(
        "POST", "/v1/claims", api.holder(person), json=claim_body(person, kind=kind, documents=documents)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "documents_missing"
    assert response.json()["missing"] == missing


@pytest.mark.parametrize("day", [LOST_ON - timedelta(days=1), COLLECTED_ON + timedelta(days=1)])
def test_r_clm_1_expenses_outside_the_window_are_refused(api: Api, clock: FixedClock, day: date) -> None:
    person = collected_replacement(api, clock)
    response = api.call("POST", "/v1/claims", api.holder(person), json=claim_body(person, day=day))
    assert response.status_code == 422
    assert response.json()["code"] == "expense_outside_window"
    assert response.json()["outside"] == [day.isoformat()]


@pytest.mark.parametrize("day", [LOST_ON, COLLECTED_ON])
def test_r_clm_1_the_window_includes_its_first_and_last_day(api: Api, clock: FixedClock, day: date) -> None:
    person = collected_replacement(api, clock)
    file_claim(api, person, day=day)


def test_r_clm_1_claims_are_filed_within_the_grace_days(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    clock.advance(timedelta(days=91))
    response = api.call("POST", "/v1/claims", api.holder(person), json=claim_body(person))
    assert response.status_code == 409
    assert response.json()["code"] == "claim_window_closed"


def test_an_invoice_is_claimed_once_by_anyone(api: Api, clock: FixedClock) -> None:
    first, second = collected_replacements(api, clock, "110105", "110108")
    file_claim(api, first, invoice="inv 77")
    again = api.call("POST", "/v1/claims", api.holder(second), json=claim_body(second, invoice="INV77"))
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_invoice"


def decide(api: Api, claim_id: int, **body: Any) -> Any:
    return api.call("POST", f"/v1/claims/{claim_id}/decision", api.clerk, json=body)


def test_r_clm_2_partial_approval_pays_the_approved_part_and_records_the_insurer(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    before = api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"]
    claim = file_claim(api, person)
    response = decide(
        api,
        claim["claim_id"],
        decision="approve",
        approved_amount=9_000,
        supplementary_amount=2_000,
        supplementary_insurer="某商业保险公司",
        reason="两项自费药品不予报销",
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    assert response.json()["approved_amount"] == 9_000
    assert response.json()["supplementary_amount"] == 2_000
    after = api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"]
    assert after - before == 9_000


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"decision": "approve", "approved_amount": 12_801}, "invalid_decision"),
        (
            {
                "decision": "approve",
                "approved_amount": 11_000,
                "supplementary_amount": 2_000,
                "supplementary_insurer": "某保险",
                "reason": "x",
            },
            "invalid_decision",
        ),
        ({"decision": "approve", "approved_amount": 5_000}, "invalid_request"),
        ({"decision": "reject"}, "invalid_request"),
    ],
)
def test_r_clm_2_decisions_never_pay_more_than_claimed(
    api: Api, clock: FixedClock, body: dict[str, Any], code: str
) -> None:
    person = collected_replacement(api, clock)
    claim = file_claim(api, person)
    response = decide(api, claim["claim_id"], **body)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert api.call("GET", f"/v1/claims/{claim['claim_id']}", api.clerk).json()["status"] == "submitted"


def test_r_clm_2_a_decision_is_made_once(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    claim = file_claim(api, person)
    assert decide(api, claim["claim_id"], decision="reject", reason="发票与病历不符").status_code == 200
    again = decide(api, claim["claim_id"], decision="approve")
    assert again.status_code == 409
    assert again.json()["code"] == "already_decided"


def test_a_repeated_filing_with_the_same_key_files_once(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    headers = api.holder(person) | {"Idempotency-Key": "claim-1"}
    first = api.call("POST", "/v1/claims", headers, json=claim_body(person))
    again = api.call("POST", "/v1/claims", headers, json=claim_body(person))
    assert first.status_code == again.status_code == 201
    assert first.json()["claim_id"] == again.json()["claim_id"]
    other = api.call("POST", "/v1/claims", headers, json=claim_body(person, invoice="INV-2"))
    assert other.json()["code"] == "idempotency_mismatch"


def test_claims_list_the_holders_own_and_the_clerks_region(api: Api, clock: FixedClock) -> None:
    beijing, mianyang = collected_replacements(api, clock, "110105", "510703")
    file_claim(api, beijing, invoice="A-1")
    file_claim(api, mianyang, invoice="B-1")
    own = api.call("GET", "/v1/claims", api.holder(beijing)).json()["items"]
    assert [c["person_id"] for c in own] == [beijing["person_id"]]
    sichuan = api.call("GET", "/v1/claims", api.headers(Role.CLERK, "510000")).json()["items"]
    assert [c["person_id"] for c in sichuan] == [mianyang["person_id"]]
    outside = api.call("GET", "/v1/claims", api.headers(Role.CLERK, "510000"), params={"region": "110000"})
    assert outside.json()["code"] == "out_of_region"
    approved = api.call("GET", "/v1/claims", api.clerk, params={"status": "approved"}).json()["items"]
    assert approved == []


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_scans_are_typed_by_their_bytes_and_kept_from_other_persons(api: Api, clock: FixedClock) -> None:
    person, stranger = collected_replacements(api, clock, "110105", "110105")
    claim = file_claim(api, person)
    url = f"/v1/claims/{claim['claim_id']}/scans"
    uploaded = api.call(
        "POST", url, api.holder(person), files={"file": ("invoice.pdf", PNG)}, data={"document": "invoice"}
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["media_type"] == "image/png"
    digest = uploaded.json()["sha256"]
    mine = api.call("GET", f"{url}/{digest}", api.holder(person))
    assert mine.content == PNG
    assert mine.headers["content-type"] == "image/png"
    assert api.call("GET", f"{url}/{digest}", api.holder(stranger)).status_code == 403
    text = api.call(
        "POST", url, api.holder(person), files={"file": ("scan.png", b"hello")}, data={"document": "invoice"}
    )
    assert text.status_code == 415
    assert text.json()["code"] == "unsupported_media_type"
    huge = api.call(
        "POST",
        url,
        api.holder(person),
        files={"file": ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))},
        data={"document": "invoice"},
    )
    assert huge.status_code == 413


def test_r_note_1_the_holder_is_told_of_the_decision(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    approved = file_claim(api, person)
    assert decide(api, approved["claim_id"], decision="approve", approved_amount=12_800).status_code == 200
    rejected = file_claim(api, person, invoice="INV-0002")
    assert decide(api, rejected["claim_id"], decision="reject", reason="发票与病历不符").status_code == 200
    notes = api.call("GET", f"/v1/persons/{person['person_id']}/notifications", api.clerk).json()["items"]
    assert [n["kind"] for n in notes[:2]] == ["claim_rejected", "claim_approved"]
    assert "发票与病历不符" in notes[0]["text"]
    assert "128.00" in notes[1]["text"]
