"""The person page's further actions over HTTP (no browser): unlock the PIN, cancel a card,
claims filed by one clerk and decided by another, postings a page at a time, and the
replacement's PDFs — each through the same services as the API."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from sscard.clock import FixedClock
from tests.api import Api
from tests.web.test_pages import clerk_login, csrf_of, sign_in

EN = {"Accept-Language": "en"}


def pdf_text(pdf: bytes) -> str:
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    return page.extract_text().replace("\n", "")


def signed_in_clerk(api: Api, username: str = "clerk.counter", region: str = "110000") -> TestClient:
    clerk_login(api, username, region)
    sign_in(api.client, username)
    return api.client


def post_form(client: TestClient, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    token = csrf_of(client.get(page or path, headers=EN).text)
    return client.post(path, data=data | {"csrf_token": token}, headers=EN)


def card_of(api: Api, card_no: str) -> dict[str, Any]:
    return dict(api.client.get(f"/v1/cards/{card_no}", headers=api.clerk).json())


def test_r_card_3_a_locked_pin_is_unlocked_after_the_holders_id_is_checked(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    body = {"old_pin": "000000", "new_pin": "654321"}
    for _ in range(3):
        api.call("PUT", f"/v1/cards/{card['card_no']}/pin", api.holder(person), json=body)
    assert card_of(api, card["card_no"])["pin_locked"] is True
    client = signed_in_clerk(api)
    page = f"/counter/persons/{person['person_id']}"
    shown = client.get(page, headers=EN).text
    assert "PIN locked" in shown
    assert f'action="{page}/cards/{card["card_no"]}/pin-unlock"' in shown
    form = f"{page}/cards/{card['card_no']}/pin-unlock"
    wrong = post_form(client, form, {"id_number": "110101199001011237"})
    assert wrong.status_code == 403
    assert '<p class="field-error" id="id_number-error">The name, ID number or unit does not match' in wrong.text
    assert card_of(api, card["card_no"])["pin_locked"] is True
    done = post_form(client, form, {"id_number": person["id_number"].lower()})
    assert done.status_code == 200, done.text
    assert "is unlocked" in done.text
    assert card_of(api, card["card_no"])["pin_locked"] is False
    assert "Unlock PIN" not in client.get(page, headers=EN).text


def test_r_card_5_a_clerk_cancels_a_card_with_its_documents_and_the_balance_is_paid_out(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    api.deposit(person["person_id"], 12_345)
    client = signed_in_clerk(api)
    form = f"/counter/persons/{person['person_id']}/cards/{card['card_no']}/cancellation"
    unconfirmed = post_form(client, form, {"reason": "request", "documents": ["resident_id_card"]})
    assert unconfirmed.status_code == 422
    assert 'id="confirm-error"' in unconfirmed.text
    missing = post_form(client, form, {"reason": "emigration", "documents": ["resident_id_card"], "confirm": "yes"})
    assert missing.status_code == 422
    assert '<p class="field-error" id="documents-error">These documents are still missing:' in missing.text
    assert "certificate of settling abroad" in missing.text
    no_heir = post_form(
        client,
        form,
        {"reason": "death", "documents": ["death_certificate", "heir_id_card", "inheritance_proof"], "confirm": "yes"},
    )
    assert no_heir.status_code == 422
    assert 'id="payee_id_number-error"' in no_heir.text  # the heir's ID number comes first
    assert card_of(api, card["card_no"])["status"] == "active"
    done = post_form(client, form, {"reason": "request", "documents": ["household_register"], "confirm": "yes"})
    assert done.status_code == 200, done.text
    assert "123.45" in done.text
    assert card_of(api, card["card_no"])["status"] == "cancelled"
    page = client.get(f"/counter/persons/{person['person_id']}", headers=EN).text
    assert "Cancel card" not in page
    assert "payout on cancellation" in page


def test_only_a_clerk_may_cancel_a_card(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    body = {"username": "bank.icbc", "password": "a long password", "role": "bank", "region": "110000", "bank": "ICBC"}
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201
    sign_in(api.client, "bank.icbc")
    page = f"/counter/persons/{person['person_id']}"
    assert "Cancel card" not in api.client.get(page, headers=EN).text
    assert api.client.get(f"{page}/cards/{card['card_no']}/cancellation").status_code == 403


def collected(api: Api, clock: FixedClock) -> dict[str, Any]:
    """A holder whose card was lost on 2 March and whose new card was collected a month later."""
    person = api.person("110105")
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    replacement = api.replace(card["card_no"])
    clock.advance(timedelta(days=30))
    body = {"id_number": person["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]}
    answer = api.call("POST", f"/v1/replacements/{replacement['replacement_id']}/collect", api.clerk, json=body)
    assert answer.status_code == 200, answer.text
    return person


def test_r_sec_4_the_clerk_who_files_a_claim_never_decides_it(api: Api, clock: FixedClock) -> None:
    person = collected(api, clock)
    client = signed_in_clerk(api, "clerk.filer")
    form = f"/counter/persons/{person['person_id']}/claims/new"
    claim = {
        "kind": "outpatient",
        "expense_date": ["2026-03-10", ""],
        "expense_institution": ["北京某医院", ""],
        "expense_amount": ["128.50", ""],
        "expense_invoice": ["INV-0001", ""],
    }
    lacking = post_form(client, form, claim | {"documents": ["invoice"]})
    assert lacking.status_code == 422
    assert 'id="documents-error"' in lacking.text
    bad_row = post_form(client, form, claim | {"expense_amount": ["12,8.5x"], "documents": ["invoice"]})
    assert bad_row.status_code == 422
    assert 'id="expenses-error"' in bad_row.text
    filed = post_form(client, form, claim | {"documents": ["invoice", "expense_list", "medical_record"]})
    assert filed.status_code == 200, filed.text
    assert "128.50" in filed.text
    listed = client.get(f"/counter/persons/{person['person_id']}", headers=EN).text
    found = re.search(r'href="/counter/claims/(\d+)"', listed)
    assert found, listed
    claim_page = f"/counter/claims/{found.group(1)}"
    assert "waiting for review" in listed
    own = client.get(claim_page, headers=EN).text
    assert "another clerk decides it" in own
    assert 'name="decision"' not in own
    refused = post_form(client, f"{claim_page}/decision", {"decision": "approve"}, page=claim_page)
    assert refused.status_code == 403
    assert "Someone other than whoever filed this claim" in refused.text

    signed_in_clerk(api, "clerk.reviewer")
    no_reason = post_form(
        client, f"{claim_page}/decision", {"decision": "approve", "approved_amount": "100"}, page=claim_page
    )
    assert no_reason.status_code == 422
    assert 'id="reason-error"' in no_reason.text
    approved = post_form(client, f"{claim_page}/decision", {"decision": "approve"}, page=claim_page)
    assert approved.status_code == 200, approved.text
    account = api.client.get(f"/v1/persons/{person['person_id']}", headers=api.clerk).json()
    assert account["balance"] == 12_850
    assert "approved" in client.get(f"/counter/persons/{person['person_id']}", headers=EN).text


def test_postings_are_paged_newest_first(api: Api) -> None:
    person = api.person()
    api.card(person["person_id"])
    for amount in range(101, 126):  # 25 deposits: 1.01 … 1.25 yuan
        api.deposit(person["person_id"], amount)
    client = signed_in_clerk(api)
    page = f"/counter/persons/{person['person_id']}"
    first = client.get(page, headers=EN).text
    amounts = re.findall(r'<td class="num mono">(1\.\d\d)</td>', first)
    assert amounts == [f"1.{n:02d}" for n in range(25, 5, -1)]
    older = re.search(r'href="(/counter/persons/\d+\?before=\d+)#account-title" rel="next"', first)
    assert older, first
    second = client.get(older.group(1), headers=EN).text
    assert re.findall(r'<td class="num mono">(1\.\d\d)</td>', second) == ["1.05", "1.04", "1.03", "1.02", "1.01"]
    assert 'rel="next"' not in second
    assert "Newest postings" in second
    assert client.get(f"{page}?before=0").status_code == 422


def test_a_replacement_at_another_bank_prints_its_receipt_and_clearing_notice(api: Api) -> None:
    person = api.person("110105", name="欧阳小明")
    card = api.card(person["person_id"])
    api.deposit(person["person_id"], 5_000)
    api.report_loss(card["card_no"])
    client = signed_in_clerk(api)
    form = f"/counter/persons/{person['person_id']}/cards/{card['card_no']}/replacement"
    assert 'name="bank"' in client.get(form).text
    done = post_form(client, form, {"reason": "lost", "bank": "CCB", "documents": ["resident_id_card", "photo"]})
    assert done.status_code == 200, done.text
    links = dict(re.findall(r'<a class="button" href="([^"]+)">([^<]+)</a>', done.text))
    receipt_href = next(h for h, label in links.items() if label == "Print fee receipt")
    notice_href = next(h for h, label in links.items() if label == "Print clearing notice")
    receipt = client.get(receipt_href)
    assert (receipt.status_code, receipt.headers["content-type"]) == (200, "application/pdf")
    assert receipt.headers["cache-control"] == "no-store"
    text = pdf_text(receipt.content)
    assert "工本费收据" in text
    assert "欧阳小明" in text
    assert card["card_no"] in text
    assert person["id_number"] not in text  # masked
    assert "¥20.00" in text  # Beijing's fee for a lost card
    notice = client.get(notice_href)
    assert (notice.status_code, notice.headers["cache-control"]) == (200, "no-store")
    text = pdf_text(notice.content)
    assert "清算通知单" in text
    assert "ICBC" in text
    assert "CCB" in text
    assert "¥50.00" in text

    # Only staff who may see the replacement get its PDFs.
    body = {"username": "clerk.hebei", "password": "a long password", "role": "clerk", "region": "130700"}
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201
    sign_in(client, "clerk.hebei")
    assert client.get(receipt_href).status_code == 403
    assert client.get(notice_href).status_code == 403


def test_a_same_bank_replacement_has_no_clearing_notice(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    replacement = api.replace(card["card_no"])
    client = signed_in_clerk(api)
    answer = client.get(f"/counter/replacements/{replacement['replacement_id']}/clearing-notice.pdf", headers=EN)
    assert answer.status_code == 409
    assert "no clearing notice is needed" in answer.text
    assert client.get(f"/counter/replacements/{replacement['replacement_id']}/receipt.pdf").status_code == 200


def test_the_hotline_operator_reads_no_pdfs_and_sees_no_claims(api: Api) -> None:
    person = api.person()
    api.card(person["person_id"])
    body = {"username": "operator.test", "password": "a long password", "role": "operator", "region": "110000"}
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201
    sign_in(api.client, "operator.test")
    assert api.client.get("/counter/replacements/1/receipt.pdf").status_code == 403
    page = api.client.get(f"/counter/persons/{person['person_id']}", headers=EN).text
    assert "Claims" not in page
    assert api.client.get(f"/counter/persons/{person['person_id']}/claims/new").status_code == 403
