"""A cardholder on a phone (and at a desk), and anyone reading the guide, in a real browser.

Each test makes its own holder through the API of the shared demo server, so the
counter's tests and these do not trip over each other's cards.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, expect

from tests.e2e.conftest import check_page, serious_violations, shoot
from tests.factories import id_number

PASSWORD = "sscard-demo"
HOLDER_PASSWORD = "a long password for the holder"
TERMINAL = ("trm_demo_pharmacy", "demo-terminal-secret-not-for-production")
CHINA = timezone(timedelta(hours=8))
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
_serial = itertools.count(1)


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Page]:
    """A phone-sized browser (390 by 844) whose first language is Chinese."""
    context = browser.new_context(
        base_url=server, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def check(page: Page, name: str) -> None:
    """Screenshots at both widths and axe-core at the desktop width (check_page), then
    axe-core again at the width the test runs at, which it keeps."""
    size = page.viewport_size
    check_page(page, name)
    if size is not None and size["width"] != 1280:
        page.set_viewport_size(size)
        assert serious_violations(page) == []


def bearer(request: APIRequestContext, **fields: str) -> dict[str, str]:
    form: dict[str, str | float | bool] = dict(fields)
    answer = request.post("/v1/auth/token", form=form)
    assert answer.status == 200, answer.text()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def staff(request: APIRequestContext, username: str) -> dict[str, str]:
    return bearer(request, grant_type="password", username=username, password=PASSWORD)


def new_holder(request: APIRequestContext, *, balance: int = 50_000) -> dict[str, Any]:
    """A Beijing employee with an active card, money and a login of their own."""
    clerk, admin = staff(request, "clerk.beijing"), staff(request, "admin")
    body = {
        "id_number": id_number("110105"),
        "name": "测试持卡人",
        "region": "110105",
        "scheme": "employee",
        "unit_name": "北京市朝阳区某公司",
        "phone": "13800139" + f"{next(_serial):03d}",
    }
    person = request.post("/v1/persons", data=body, headers=clerk)
    assert person.status == 201, person.text()
    person_id = person.json()["person_id"]
    card = request.post(f"/v1/persons/{person_id}/cards", data={"bank": "ICBC"}, headers=clerk).json()
    activated = request.post(f"/v1/cards/{card['card_no']}/activate", data={"pin": "135790"}, headers=clerk)
    assert activated.status == 200, activated.text()
    assert request.post(f"/v1/persons/{person_id}/deposits", data={"amount": balance}, headers=admin).status == 201
    username = f"holder.e2e.{person_id}"
    login = {"username": username, "password": HOLDER_PASSWORD, "role": "cardholder", "region": "110105"}
    assert request.post("/v1/users", data=login | {"person_id": person_id}, headers=admin).status == 201
    return {"person_id": person_id, "id_number": body["id_number"], "card_no": card["card_no"], "username": username}


def sign_in(page: Page, holder: dict[str, Any], *, english: bool = True) -> None:
    page.goto("/login")
    if english:
        page.get_by_role("link", name="English").click()
    page.get_by_label(re.compile("Username|用户名")).fill(holder["username"])
    page.get_by_label(re.compile("Password|密码")).fill(HOLDER_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    expect(page).to_have_url(re.compile(r"/me$"))


def show_ecert(page: Page) -> str:
    page.get_by_role("button", name=re.compile("Show e-certificate|出示电子凭证", re.I)).click()
    expect(page.get_by_role("img", name=re.compile("QR|二维码"))).to_be_visible()
    return page.locator("#ecert-token").inner_text().strip()


def test_a_holder_on_a_phone_reports_the_card_lost_and_pays_with_the_e_certificate(phone: Page) -> None:
    holder = new_holder(phone.request)
    sign_in(phone, holder)
    expect(phone.get_by_role("heading", name=re.compile("My card", re.I)).first).to_be_visible()
    expect(phone.get_by_role("heading", name=re.compile("Balance", re.I))).to_be_visible()
    expect(phone.get_by_text("This card works")).to_be_visible()
    check(phone, "me-home")

    phone.get_by_role("button", name=re.compile("Report my card lost", re.I)).click()
    expect(phone.get_by_text(re.compile("call the hotline 96102"))).to_be_visible()
    expect(phone.get_by_text(re.compile("Charges made before the report took effect are yours"))).to_be_visible()
    check(phone, "me-loss-form")
    phone.get_by_role("button", name=re.compile("Report my card lost", re.I)).click()
    expect(phone.get_by_role("status")).to_contain_text("reported lost and no longer settles")
    check(phone, "me-loss-done")

    token = show_ecert(phone)
    expect(phone.get_by_role("img", name=re.compile(re.escape(token)))).to_be_visible()
    expect(phone.get_by_role("timer")).to_contain_text("seconds left")  # the script counts down
    check(phone, "me-ecert")

    # The pharmacy's terminal scans it and settles (R-SET-3).
    terminal = bearer(phone.request, grant_type="client_credentials", client_id=TERMINAL[0], client_secret=TERMINAL[1])
    settled = phone.request.post(
        "/v1/settlements", data={"ecert_token": token, "amount": 1_880, "category": "drug"}, headers=terminal
    )
    assert settled.status == 201, settled.text()
    assert settled.json()["balance_after"] == 50_000 - 1_880
    phone.reload()
    expect(phone.get_by_text(re.compile("Your last e-certificate was used at"))).to_be_visible()
    phone.get_by_role("link", name=re.compile("Back to my card", re.I)).click()
    expect(phone.get_by_text(re.compile("This card is provisionally reported lost"))).to_be_visible()
    expect(phone.locator(".postings li").first).to_contain_text("−¥18.80")
    messages = phone.get_by_role("region", name=re.compile("My messages"))
    expect(messages).to_contain_text("即时停止结算")  # the SMS, in the holder's language (R-NOTE-1)


def test_the_e_certificate_renews_itself_when_it_expires(phone: Page) -> None:
    holder = new_holder(phone.request)
    phone.clock.install()
    sign_in(phone, holder, english=False)
    first = show_ecert(phone)
    expect(phone.get_by_role("timer")).to_contain_text("还剩")
    phone.clock.fast_forward("01:05")
    expect(phone.locator("#ecert-token")).not_to_have_text(first)
    expect(phone.get_by_role("img", name=re.compile("二维码"))).to_be_visible()


def test_without_script_the_e_certificate_says_its_expiry_and_offers_a_new_one(browser: Browser, server: str) -> None:
    context = browser.new_context(base_url=server, locale="en", java_script_enabled=False)
    page = context.new_page()
    try:
        holder = new_holder(page.request)
        sign_in(page, holder)
        first = show_ecert(page)
        expect(page.get_by_text(re.compile(r"Valid until \d{2}:\d{2}:\d{2} \(China time\)"))).to_be_visible()
        expect(page.get_by_role("timer")).to_be_hidden()
        shoot(page, "me-ecert-no-script")  # axe-core needs script; the scripted page is checked above
        page.get_by_role("button", name=re.compile("Show a new one", re.I)).click()
        expect(page.locator("#ecert-token")).not_to_have_text(first)
    finally:
        context.close()


def test_the_holder_sees_the_ready_date_and_files_a_claim_with_a_scan(phone: Page, tmp_path: Path) -> None:
    request = phone.request
    holder = new_holder(request)
    clerk = staff(request, "clerk.beijing")
    report = request.post(
        f"/v1/cards/{holder['card_no']}/loss-reports",
        data={"kind": "formal", "channel": "counter", "documents": ["resident_id_card", "employer_certificate"]},
        headers=clerk,
    )
    assert report.status == 201, report.text()
    lost_on = datetime.fromisoformat(report.json()["reported_at"]).astimezone(CHINA).date()
    applied = request.post(
        f"/v1/cards/{holder['card_no']}/replacements",
        data={"reason": "lost", "documents": ["resident_id_card", "photo"]},
        headers=clerk,
    ).json()
    sign_in(phone, holder)
    expect(phone.get_by_text(f"you can collect it from {applied['ready_on']}")).to_be_visible()
    certificate = phone.get_by_role("link", name=re.compile("collection certificate \\(PDF\\)", re.I))
    pdf = phone.request.get(certificate.get_attribute("href") or "")
    assert (pdf.status, pdf.body()[:5]) == (200, b"%PDF-")
    check(phone, "me-replacement")

    admin = staff(request, "admin")
    assert request.post("/v1/demo/clock", data={"days": 30}, headers=admin).status == 200
    collected = request.post(
        f"/v1/replacements/{applied['replacement_id']}/collect",
        data={"id_number": holder["id_number"], "collection_certificate_no": applied["collection_certificate_no"]},
        headers=clerk,
    )
    assert collected.status == 200, collected.text()

    phone.goto("/me")
    phone.get_by_role("button", name=re.compile("File a claim", re.I)).click()
    expect(phone.get_by_text("A PDF, JPEG or PNG file of at most 10 MB.")).to_be_visible()
    phone.get_by_role("button", name=re.compile("Submit the claim", re.I)).click()
    expect(phone.get_by_role("alert")).to_contain_text("Fill in at least one invoice.")
    check(phone, "me-claim-refused")
    invoice = phone.get_by_role("group", name="Invoice 1")
    invoice.get_by_label("Date").fill(lost_on.isoformat())
    invoice.get_by_label("Hospital or pharmacy").fill("北京某医院")
    invoice.get_by_label("Amount (yuan)").fill("256.40")
    invoice.get_by_label("Invoice number").fill(f"E2E-{holder['person_id']}")
    for document in ("original invoices", "itemised expense list", "medical records"):
        phone.get_by_role("checkbox", name=re.compile(document)).check()
    scan = tmp_path / "invoice.png"
    scan.write_bytes(PNG)
    phone.get_by_label(re.compile("Scan \\(optional\\): original invoices")).set_input_files(scan)
    check(phone, "me-claim-form")
    phone.get_by_role("button", name=re.compile("Submit the claim", re.I)).click()
    expect(phone.get_by_role("status")).to_contain_text("¥256.40 claimed")
    expect(phone.get_by_role("status")).to_contain_text("The scan is uploaded.")
    check(phone, "me-claim-done")
    phone.get_by_role("link", name=re.compile("Back to my card", re.I)).click()
    expect(phone.get_by_text("Submitted, waiting for review.")).to_be_visible()
    expect(phone.get_by_text(re.compile("Scans uploaded: original invoices"))).to_be_visible()
    check(phone, "me-home-after-claim")


def test_my_pages_in_chinese_at_both_widths(phone: Page) -> None:
    holder = new_holder(phone.request)
    sign_in(phone, holder, english=False)
    expect(phone.get_by_role("heading", name="我的卡").first).to_be_visible()
    expect(phone.get_by_role("heading", name="余额")).to_be_visible()
    check(phone, "me-home-zh")
    phone.get_by_role("button", name="挂失我的卡").click()
    expect(phone.get_by_text(re.compile("服务热线 96102"))).to_be_visible()
    check(phone, "me-loss-form-zh")
    phone.get_by_role("link", name="返回我的卡").click()
    phone.get_by_role("button", name="申请报销").click()
    expect(phone.get_by_text(re.compile("PDF、JPEG 或 PNG 文件，每个不超过 10 MB"))).to_be_visible()
    check(phone, "me-claim-form-zh")
    phone.get_by_role("button", name="提交报销申请").click()
    expect(phone.get_by_role("alert").get_by_role("heading", name="出现问题")).to_be_visible()
    expect(phone.get_by_role("alert")).to_contain_text("请至少填写一张发票")
    check(phone, "me-claim-refused-zh")
    phone.get_by_role("link", name="我的卡").first.click()
    show_ecert(phone)
    check(phone, "me-ecert-zh")
    phone.get_by_role("button", name="退出登录").click()
    phone.goto("/me")
    expect(phone).to_have_url(re.compile(r"/login$"))


@pytest.mark.parametrize("english", [True, False], ids=["en", "zh"])
def test_anyone_reads_the_guide(page: Page, english: bool) -> None:
    page.goto("/guide")
    if english:
        page.get_by_role("link", name="English").click()
    suffix = "en" if english else "zh"
    check(page, f"guide-form-{suffix}")
    page.get_by_label(re.compile("What happened|发生了什么")).select_option("stolen")
    page.get_by_label(re.compile("^Scheme$|参保类型")).select_option("rural_resident")
    page.get_by_label(re.compile("Insured in|参保地")).select_option("510722")
    page.get_by_role("button", name=re.compile("Show the guide|查看指南")).click()
    expect(page.get_by_role("heading", name=re.compile("^Steps$|办理步骤"))).to_be_visible()
    expect(page.get_by_text(re.compile("village committee|村委会")).first).to_be_visible()
    expect(page.get_by_text(re.compile("12333")).first).to_be_visible()  # Mianyang: the national hotline
    check(page, f"guide-{suffix}")
