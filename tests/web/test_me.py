"""The cardholder's pages (/me) and the guide page over HTTP: every action and refusal,
checked against what the API says afterwards."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape

from sscard.clock import FixedClock
from tests.api import Api
from tests.claims.test_claims_api import collected_replacement
from tests.web.test_pages import clerk_login, csrf_of
from tests.web.test_pages import sign_in as clerk_sign_in

EN = {"Accept-Language": "en"}
PASSWORD = "a long password"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def holder_login(api: Api, person: dict[str, Any], username: str = "holder.test") -> str:
    body = {
        "username": username,
        "password": PASSWORD,
        "role": "cardholder",
        "region": person["region"],
        "person_id": person["person_id"],
    }
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201
    return username


def sign_in(client: TestClient, username: str) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/me"), answer.text


def signed_in_holder(api: Api, person: dict[str, Any] | None = None) -> dict[str, Any]:
    person = person or api.person()
    sign_in(api.client, holder_login(api, person))
    return person


def test_a_holder_signs_in_to_my_card_with_its_status_in_words_and_balance(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    api.deposit(person["person_id"], 12_345)
    signed_in_holder(api, person)
    page = api.client.get("/me", headers=EN)
    assert page.status_code == 200
    assert '<h1 id="card-title">My card</h1>' in page.text
    assert card["card_no"] in page.text
    assert "This card works" in page.text
    assert "¥123.45" in page.text
    assert "Report my card lost" in page.text
    assert "<script" not in page.text
    assert api.client.get("/", follow_redirects=False).headers["location"] == "/me"


def test_staff_and_strangers_do_not_get_my_pages(api: Api) -> None:
    assert api.client.get("/me", follow_redirects=False).headers["location"] == "/login"
    clerk_login(api)
    clerk_sign_in(api.client)
    assert api.client.get("/me").status_code == 403
    assert api.client.get("/me/e-certificate").status_code == 403


def test_a_holder_cannot_report_someone_elses_card(api: Api) -> None:
    other = api.person()
    their_card = api.card(other["person_id"])
    signed_in_holder(api)
    form = f"/me/cards/{their_card['card_no']}/loss-report"
    assert api.client.get(form).status_code == 403
    token = csrf_of(api.client.get("/me").text)
    assert api.client.post(form, data={"csrf_token": token}).status_code == 403
    assert api.client.get(f"/v1/cards/{their_card['card_no']}", headers=api.clerk).json()["status"] == "active"


def test_the_holder_reports_the_card_lost_online_with_the_warning_and_the_hotline(api: Api) -> None:
    person = api.person(region="110101")
    card = api.card(person["person_id"], activate=False)  # R-CARD-2: never activated
    signed_in_holder(api, person)
    form = f"/me/cards/{card['card_no']}/loss-report"
    page = api.client.get(form, headers=EN)
    assert "never activated" in page.text
    assert "96102" in page.text  # Beijing's hotline
    forged = api.client.post(form, data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    done = api.client.post(form, data={"csrf_token": csrf_of(page.text)}, headers=EN)
    assert done.status_code == 200
    assert 'role="status"' in done.text
    assert "reported lost and no longer settles" in done.text
    assert "never activated" in done.text
    assert api.client.get(f"/v1/cards/{card['card_no']}", headers=api.clerk).json()["status"] == "provisional_loss"
    reports = api.client.get(f"/v1/cards/{card['card_no']}/loss-reports", headers=api.clerk).json()["items"]
    assert [(r["channel"], r["kind"], r["risk"]) for r in reports] == [("online", "provisional", "unactivated")]
    again = api.client.post(form, data={"csrf_token": csrf_of(page.text)}, headers=EN)
    assert again.status_code == 409
    assert "There is a problem" in again.text
    assert "cannot be reported lost in its present status" in again.text
    mine = api.client.get("/me", headers=EN).text
    assert "provisionally reported lost" in mine
    assert "releases itself on" in mine


def test_the_e_certificate_is_a_qr_code_whose_token_settles_once_at_a_terminal(api: Api) -> None:
    person = api.person(region="110105")
    api.card(person["person_id"])
    api.deposit(person["person_id"], 50_000)
    signed_in_holder(api, person)
    none_yet = api.client.get("/me/e-certificate", headers=EN)
    assert "no e-certificate in force" in none_yet.text
    issued = api.client.post("/me/e-certificate", data={"csrf_token": csrf_of(none_yet.text)}, follow_redirects=False)
    assert (issued.status_code, issued.headers["location"]) == (303, "/me/e-certificate")
    page = api.client.get("/me/e-certificate", headers=EN)
    found = re.search(r'<img src="data:image/svg\+xml[^"]*" alt="E-certificate QR code, token ([^"]+)"', page.text)
    assert found, page.text
    token = html.unescape(found.group(1))
    assert f'<code class="token" id="ecert-token">{token}</code>' in page.text
    assert "Valid until" in page.text
    assert re.search(r'data-seconds="60"', page.text)  # the national default, counted by the server's clock
    assert "/static/ecert.js" in page.text
    assert api.client.get("/me/e-certificate").text.count(token) >= 2  # a reload shows the same token
    terminal = api.terminal("110105")
    body = {"ecert_token": token, "amount": 2_500, "category": "drug"}
    settled = api.client.post("/v1/settlements", json=body, headers=terminal)
    assert settled.status_code == 201, settled.text
    assert api.client.post("/v1/settlements", json=body, headers=terminal).json()["code"] == "ecert_expired"
    after = api.client.get("/me/e-certificate", headers=EN)
    assert "was used at" in after.text
    assert token not in after.text
    assert "−¥25.00" in api.client.get("/me", headers=EN).text


def test_an_expired_e_certificate_is_not_shown(api: Api, clock: FixedClock) -> None:
    signed_in_holder(api)
    token = csrf_of(api.client.get("/me").text)
    api.client.post("/me/e-certificate", data={"csrf_token": token})
    clock.advance(timedelta(seconds=61))
    page = api.client.get("/me/e-certificate", headers=EN)
    assert "no e-certificate in force" in page.text
    assert "<img" not in page.text


def test_postings_page_newest_first(api: Api) -> None:
    person = api.person()
    for amount in range(1, 26):
        api.deposit(person["person_id"], amount * 100)
    signed_in_holder(api, person)
    first = api.client.get("/me", headers=EN).text
    amounts = re.findall(r"\+¥(\d+)\.00", first)
    assert amounts == [str(n) for n in range(25, 5, -1)]
    older = re.search(r'href="/me\?before=(\d+)#postings-title"', first)
    assert older, first
    second = api.client.get(f"/me?before={older.group(1)}", headers=EN).text
    assert re.findall(r"\+¥(\d+)\.00", second) == ["5", "4", "3", "2", "1"]
    assert "/me?before=" not in second
    assert "Back to the newest" in second


def claim_form(api: Api) -> dict[str, Any]:
    return {
        "csrf_token": csrf_of(api.client.get("/me/claims/new").text),
        "kind": "outpatient",
        "expense-0-date": "2026-03-10",
        "expense-0-institution": "北京某医院",
        "expense-0-amount": "128.50",
        "expense-0-invoice": "INV-WEB-1",
        "documents": ["invoice", "expense_list", "medical_record"],
    }


def test_the_holder_files_a_claim_with_a_scan_and_follows_it(api: Api, clock: FixedClock) -> None:
    person = signed_in_holder(api, collected_replacement(api, clock))
    page = api.client.get("/me/claims/new", headers=EN)
    assert "A PDF, JPEG or PNG file of at most 10 MB." in page.text
    assert "original invoices" in page.text  # named as the guide names it
    assert 'enctype="multipart/form-data"' in page.text
    done = api.client.post(
        "/me/claims", data=claim_form(api), files={"scan-invoice": ("invoice.png", PNG, "image/png")}, headers=EN
    )
    assert done.status_code == 200, done.text
    assert "¥128.50 claimed" in done.text
    assert "The scan is uploaded." in done.text
    claims = api.client.get("/v1/claims", headers=api.holder(person)).json()["items"]
    assert [(c["claimed_amount"], c["status"], [s["document"] for s in c["scans"]]) for c in claims] == [
        (12_850, "submitted", ["invoice"])
    ]
    mine = api.client.get("/me", headers=EN).text
    assert "waiting for review" in mine
    assert "Scans uploaded: original invoices" in mine
    decided = api.client.post(
        f"/v1/claims/{claims[0]['claim_id']}/decision",
        json={"decision": "reject", "reason": "发票不在期间内"},
        headers=api.clerk,
    )
    assert decided.status_code == 200, decided.text
    assert "Rejected: 发票不在期间内" in api.client.get("/me", headers=EN).text


def test_a_claim_refused_by_the_service_says_why_at_the_field(api: Api, clock: FixedClock) -> None:
    person = signed_in_holder(api, collected_replacement(api, clock))
    lacking = claim_form(api) | {"documents": ["invoice"]}
    refused = api.client.post("/me/claims", data=lacking, headers=EN)
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert '<p class="field-error" id="documents-error">These documents are still missing:' in refused.text
    assert "itemised expense list" in refused.text
    outside = claim_form(api) | {"expense-0-date": "2026-02-01"}
    window = api.client.post("/me/claims", data=outside, headers=EN)
    assert window.status_code == 422
    assert '<p class="field-error" id="expenses-error">' in window.text
    assert "2026-03-02 to 2026-04-01" in window.text
    assert 'value="2026-02-01"' in window.text  # what was typed stays
    assert api.client.get("/v1/claims", headers=api.holder(person)).json()["items"] == []


def test_a_refused_scan_files_nothing(api: Api, clock: FixedClock) -> None:
    person = signed_in_holder(api, collected_replacement(api, clock))
    refused = api.client.post(
        "/me/claims", data=claim_form(api), files={"scan-expense_list": ("list.png", b"not an image")}, headers=EN
    )
    assert refused.status_code == 415
    assert '<p class="field-error" id="scan-expense_list-error">A scan is a PDF, JPEG or PNG file.</p>' in refused.text
    assert api.client.get("/v1/claims", headers=api.holder(person)).json()["items"] == []


def test_a_half_filled_expense_is_refused_before_the_service(api: Api, clock: FixedClock) -> None:
    signed_in_holder(api, collected_replacement(api, clock))
    form = claim_form(api) | {"expense-0-amount": "12.345", "expense-1-invoice": "X-2"}
    refused = api.client.post("/me/claims", data=form, headers=EN)
    assert refused.status_code == 422
    assert 'id="expense-0-amount-error">Give the amount in yuan' in refused.text
    assert 'id="expense-1-date-error">Give the date on the invoice.' in refused.text
    assert 'id="expense-1-institution-error">' in refused.text
    empty = {"csrf_token": form["csrf_token"], "kind": "outpatient"}
    nothing = api.client.post("/me/claims", data=empty, headers=EN)
    assert 'id="expenses-error">Fill in at least one invoice.' in nothing.text


def test_no_claim_before_the_new_card_is_collected(api: Api) -> None:
    person = api.person()
    api.card(person["person_id"])
    signed_in_holder(api, person)
    refused = api.client.post("/me/claims", data=claim_form(api), headers=EN)
    assert refused.status_code == 409
    assert "once the new card is collected" in refused.text


def test_the_replacement_shows_its_ready_date_and_certificate(api: Api) -> None:
    person = api.person(region="110105")
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    replacement = api.replace(card["card_no"])
    signed_in_holder(api, person)
    page = api.client.get("/me", headers=EN).text
    assert f"you can collect it from {replacement['ready_on']}" in page
    assert replacement["collection_certificate_no"] in page
    pdf = api.client.get(f"/me/replacements/{replacement['replacement_id']}/certificate.pdf")
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")


def test_the_holders_messages_are_listed(api: Api) -> None:
    person = api.person(phone="13800138999")
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    signed_in_holder(api, person)
    page = api.client.get("/me", headers=EN).text
    messages = api.client.get(f"/v1/persons/{person['person_id']}/notifications", headers=api.clerk).json()["items"]
    assert messages
    assert str(escape(messages[0]["text"])) in page


def test_the_guide_page_shows_what_the_api_says(client: TestClient) -> None:
    query = {"situation": "lost", "scheme": "urban_resident", "region": "110101"}
    page = client.get("/guide", params=query, headers=EN)
    assert page.status_code == 200
    api = client.get("/v1/guide", params=query, headers=EN).json()
    for step in api["steps"]:
        assert str(escape(step["title"])) in page.text
        for document in step["documents_text"]:
            assert str(escape(document)) in page.text
    assert "Hotline: 96102" in page.text
    assert "loss certificate from the neighbourhood committee" in page.text
    assert "Measures on the Administration of Social Security Cards" in page.text
    chinese = client.get("/guide", params=query)
    assert "服务热线：96102" in chinese.text


def test_the_guide_page_refuses_an_unknown_region_at_its_field(client: TestClient) -> None:
    form = client.get("/guide", headers=EN)
    assert form.status_code == 200
    assert "Steps" not in form.text
    refused = client.get("/guide", params={"situation": "lost", "scheme": "employee", "region": "999999"}, headers=EN)
    assert refused.status_code == 422
    assert '<p class="field-error" id="region-error">Choose a region from the list.</p>' in refused.text
