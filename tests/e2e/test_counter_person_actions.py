"""The person page's further actions in a real browser: unlock a PIN, cancel a card, file a
claim (which the filer cannot decide), the replacement's PDFs. Runs after test_counter_pages
(the demo persons it changes are not the ones that file relies on staying as they are)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.conftest import check_page
from tests.e2e.test_counter_pages import (
    LI_XIUYING,
    PASSWORD,
    WANG_HAORAN,
    ZHANG_JIANGUO,
    move_demo_clock,
    open_person,
    sign_in,
)


def token(request: APIRequestContext, username: str) -> dict[str, str]:
    answer = request.post("/v1/auth/token", form={"grant_type": "password", "username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def card_no_of(request: APIRequestContext, id_number: str) -> str:
    clerk = token(request, "clerk.beijing")
    person = request.get(f"/v1/persons?id_number={id_number}", headers=clerk).json()["items"][0]
    live = [c for c in person["cards"] if c["status"] not in ("replaced", "cancelled")]
    return str(live[0]["card_no"])


def test_a_clerk_unlocks_a_locked_pin_in_chinese(page: Page) -> None:
    name, id_number = WANG_HAORAN
    card_no = card_no_of(page.request, id_number)
    bank = token(page.request, "bank.icbc")
    for _ in range(3):  # three wrong PINs in a row lock it (R-CARD-3)
        page.request.put(f"/v1/cards/{card_no}/pin", data={"old_pin": "000000", "new_pin": "111111"}, headers=bank)
    sign_in(page, english=False)
    page.get_by_label("身份证号、卡号、手机号或姓名").fill(id_number)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=re.compile(name)).click()
    expect(page.get_by_text("密码已锁定")).to_be_visible()
    check_page(page, "person-pin-locked-zh")
    page.get_by_role("button", name="解锁密码").click()
    page.get_by_label("已查验的持卡人身份证号").fill("110108200509150010")
    page.get_by_role("button", name="确认").click()
    expect(page.locator("#id_number-error")).to_have_text("姓名、身份证号或单位与持卡人不符。")
    check_page(page, "pin-unlock-refused-zh")
    page.get_by_label("已查验的持卡人身份证号").fill(id_number)
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("status")).to_contain_text("密码已解锁")
    page.get_by_role("link", name="返回人员页面").click()
    expect(page.get_by_text("密码已锁定")).to_have_count(0)


def test_a_clerk_cancels_a_card_after_naming_the_documents(page: Page) -> None:
    sign_in(page)
    name, id_number = ZHANG_JIANGUO
    open_person(page, name, id_number)
    page.get_by_role("button", name=re.compile("Cancel card", re.I)).click()
    page.get_by_role("radio", name=re.compile("asks for it", re.I)).check()
    page.get_by_role("button", name=re.compile("Cancel card", re.I)).click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name=re.compile("There is a problem", re.I))).to_be_visible()
    expect(page.locator("#confirm-error")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile("cannot be used again", re.I)).check()
    page.get_by_role("button", name=re.compile("Cancel card", re.I)).click()
    expect(page.locator("#documents-error")).to_contain_text("resident ID card")
    check_page(page, "cancel-refused")
    page.get_by_role("checkbox", name=re.compile("household register", re.I)).check()
    page.get_by_role("checkbox", name=re.compile("cannot be used again", re.I)).check()
    page.get_by_role("button", name=re.compile("Cancel card", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text("is cancelled")
    expect(page.get_by_role("status")).to_contain_text("paid out to 张建国")
    check_page(page, "cancel-done")
    page.get_by_role("link", name=re.compile("Back to the person", re.I)).click()
    expect(page.locator(".card .badge").first).to_have_text("cancelled")
    expect(page.get_by_role("button", name=re.compile("Cancel card", re.I))).to_have_count(0)


def _collected_replacement(request: APIRequestContext, id_number: str) -> dict[str, Any]:
    """A loss, a replacement and, a month later on the demo clock, its collection (via the API)."""
    clerk = token(request, "clerk.beijing")
    card_no = card_no_of(request, id_number)
    body = {"kind": "formal", "channel": "counter", "documents": ["resident_id_card", "school_certificate"]}
    report = request.post(f"/v1/cards/{card_no}/loss-reports", data=body, headers=clerk)
    assert report.status == 201, report.text()
    body = {"reason": "lost", "documents": ["resident_id_card", "photo"]}
    replacement = request.post(f"/v1/cards/{card_no}/replacements", data=body, headers=clerk).json()
    return {"reported_at": report.json()["reported_at"], **replacement}


def test_a_clerk_files_a_claim_and_may_not_decide_it(page: Page) -> None:
    name, id_number = WANG_HAORAN
    replacement = _collected_replacement(page.request, id_number)
    move_demo_clock(page, days=30)
    clerk = token(page.request, "clerk.beijing")
    body = {"id_number": id_number, "collection_certificate_no": replacement["collection_certificate_no"]}
    collected = page.request.post(f"/v1/replacements/{replacement['replacement_id']}/collect", data=body, headers=clerk)
    assert collected.status == 200, collected.text()
    lost_on = datetime.fromisoformat(replacement["reported_at"]).date()

    sign_in(page)
    open_person(page, name, id_number)
    receipt = page.get_by_role("link", name=re.compile("Print fee receipt", re.I))
    expect(receipt).to_have_count(0)  # collected: the person page no longer offers the open replacement's papers
    page.get_by_role("button", name=re.compile("File a claim", re.I)).click()
    page.get_by_label("Date (YYYY-MM-DD)").first.fill((lost_on + timedelta(days=3)).isoformat())
    page.get_by_label("Hospital or pharmacy").first.fill("北京某医院")
    page.get_by_label("Amount (yuan)").first.fill("86.40")
    page.get_by_label("Invoice number").first.fill("E2E-0001")
    page.get_by_role("checkbox", name=re.compile("invoice", re.I)).first.check()
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.locator("#documents-error")).to_be_visible()
    check_page(page, "claim-refused")
    for document in ("expense list", "medical record"):
        page.get_by_role("checkbox", name=re.compile(document, re.I)).first.check()
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text("86.40")
    page.get_by_role("link", name=re.compile("Back to the person", re.I)).click()
    expect(page.get_by_role("heading", name=re.compile("Claims", re.I))).to_be_visible()
    check_page(page, "person-claims")
    page.get_by_role("link", name=re.compile(r"Open claim \d+", re.I)).first.click()
    expect(page.get_by_text("another clerk decides it")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Approve", re.I))).to_have_count(0)
    check_page(page, "claim")


def test_a_replacement_at_another_bank_prints_its_receipt_and_clearing_notice(page: Page) -> None:
    sign_in(page)
    name, id_number = LI_XIUYING  # her live card: the first, or the new one test_counter_pages gave her
    open_person(page, name, id_number)
    page.get_by_role("button", name=re.compile("Apply for replacement", re.I)).click()
    page.get_by_role("combobox", name=re.compile("Reason", re.I)).select_option("damaged")
    page.get_by_role("combobox", name=re.compile("Bank of the new card", re.I)).select_option("BOB")
    page.get_by_role("checkbox", name=re.compile("resident ID card", re.I)).check()
    page.get_by_role("checkbox", name=re.compile("a recent photo", re.I)).check()
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text("Replacement applied for")
    check_page(page, "replacement-done-cross-bank")
    for label in ("Print certificate", "Print fee receipt", "Print clearing notice"):
        href = page.get_by_role("link", name=re.compile(label, re.I)).get_attribute("href")
        assert href is not None
        pdf = page.request.get(href)
        assert (pdf.status, pdf.body()[:5], pdf.headers["cache-control"]) == (200, b"%PDF-", "no-store")
    page.get_by_role("link", name=re.compile("Back to the person", re.I)).click()
    expect(page.get_by_text(re.compile("Balance transfer to the new card at BOB"))).to_be_visible()
    check_page(page, "person-cross-bank")


def test_the_cancellation_and_claim_forms_read_in_chinese(page: Page) -> None:
    name, id_number = WANG_HAORAN
    sign_in(page, english=False)
    page.get_by_label("身份证号、卡号、手机号或姓名").fill(id_number)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=re.compile(name)).click()
    page.get_by_role("button", name="注销卡").first.click()
    expect(page.get_by_role("heading", name=re.compile("注销卡"))).to_be_visible()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="注销卡").click()
    assert answer.value.status == 422
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="出现问题")).to_be_visible()
    expect(page.locator("#reason-error")).to_have_text("请选择注销原因。")
    check_page(page, "cancel-refused-zh")
    page.get_by_role("link", name="返回人员页面").click()
    page.get_by_role("button", name="受理报销").click()
    expect(page.get_by_role("heading", name="受理报销申请")).to_be_visible()
    page.get_by_role("button", name="确认").click()
    expect(page.locator("#expenses-error")).to_contain_text("请至少填写一张发票")
    check_page(page, "claim-refused-zh")
