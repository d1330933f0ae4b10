"""A clerk at the counter, clicking through the pages in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import check_page

CLERK, PASSWORD = "clerk.beijing", "sscard-demo"
# Demo persons (sscard.demo): an employee with an active ICBC card, and a student.
LI_XIUYING = ("李秀英", "110105198503120020")
WANG_HAORAN = ("王浩然", "110108200509150035")
ZHANG_JIANGUO, ZHANG_JIANGUO_UNIT = ("张建国", "110101194807230014"), "东城区东华门街道某社区居委会"


def sign_in(page: Page, *, english: bool = True) -> None:
    page.goto("/login")
    if english:
        page.get_by_role("link", name="English").click()
    page.get_by_label(re.compile("Username|用户名", re.I)).fill(CLERK)
    page.get_by_label(re.compile("Password|密码", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|登录", re.I)).click()
    expect(page).to_have_url(re.compile(r"/counter$"))


def open_person(page: Page, name: str, id_number: str) -> None:
    page.get_by_label(re.compile("ID number, card number, phone or name", re.I)).fill(id_number)
    page.get_by_role("button", name=re.compile("Search", re.I)).click()
    page.get_by_role("link", name=re.compile(name)).click()
    expect(page.get_by_role("heading", name=re.compile("Cards", re.I))).to_be_visible()


def test_sign_in_refuses_a_wrong_password_in_chinese_then_signs_in(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    check_page(page, "login")
    page.get_by_label("用户名").fill(CLERK)
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="出现问题")).to_be_visible()
    expect(page.locator("#password-error")).to_have_text("用户名或密码不正确。")
    check_page(page, "login-refused")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="查找人员")).to_be_visible()
    check_page(page, "counter-search-zh")


def test_a_clerk_reports_a_loss_applies_for_a_replacement_and_sees_the_queue(page: Page) -> None:
    sign_in(page)
    name, id_number = LI_XIUYING
    open_person(page, name, id_number)
    expect(page.get_by_role("heading", name=re.compile("Account", re.I))).to_be_visible()
    check_page(page, "person")
    report_formal_loss(page)
    certificate_no = apply_for_replacement(page)
    see_in_the_queue(page, name)

    # The demo clock moves on until the new card is made; the holder comes to collect it.
    # The session's token keeps real time, so the clerk is still signed in a "month" later.
    move_demo_clock(page, days=30)
    page.reload()
    expect(page).not_to_have_url(re.compile(r"/login$"))
    page.goto("/counter")
    open_person(page, name, id_number)
    page.get_by_role("button", name=re.compile("Collect", re.I)).click()
    page.get_by_label(re.compile("Holder's ID number", re.I)).fill(id_number)
    page.get_by_label(re.compile("Collection certificate number", re.I)).fill(certificate_no)
    check_page(page, "collect-form")
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text("handed over")
    page.get_by_role("link", name=re.compile("Back to the person", re.I)).click()
    expect(page.locator(".card .badge")).to_have_text(["not activated", "replaced"])
    check_page(page, "person-after-collect")

    page.get_by_role("button", name=re.compile("Activate", re.I)).click()
    page.get_by_label(re.compile("PIN", re.I)).fill("12345")
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.locator("#pin-error")).to_have_text("A PIN is 6 digits.")
    page.get_by_label(re.compile("PIN", re.I)).fill("135790")
    check_page(page, "activate-form")
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text("is active")
    page.get_by_role("link", name=re.compile("Back to the person", re.I)).click()
    expect(page.locator(".card .badge")).to_have_text(["active", "replaced"])
    expect(page.get_by_text("waiting for the new card")).to_have_count(0)
    check_page(page, "person-after-activation")


def report_formal_loss(page: Page) -> None:
    page.get_by_role("button", name=re.compile("Report loss", re.I)).click()
    page.get_by_role("radio", name=re.compile("Formal", re.I)).check()
    page.get_by_role("checkbox", name=re.compile("resident ID card", re.I)).check()
    page.get_by_role("checkbox", name=re.compile("certificate from your employer", re.I)).check()
    check_page(page, "loss-form")
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text("formally reported lost")
    check_page(page, "loss-done")
    page.get_by_role("link", name=re.compile("Back to the person", re.I)).click()
    expect(page.locator(".card .badge").first).to_have_text("reported lost")


def apply_for_replacement(page: Page) -> str:
    """Apply, print the certificate; the certificate's number."""
    page.get_by_role("button", name=re.compile("Apply for replacement", re.I)).click()
    expect(page.get_by_text(re.compile(r"ready on \(working days\): \d{4}-\d{2}-\d{2}"))).to_be_visible()
    page.get_by_role("combobox", name=re.compile("Reason", re.I)).select_option("lost")
    page.get_by_role("checkbox", name=re.compile("resident ID card", re.I)).check()
    page.get_by_role("checkbox", name=re.compile("a recent photo", re.I)).check()
    check_page(page, "replacement-form")
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    certificate = page.get_by_role("link", name=re.compile("Print certificate", re.I))
    expect(certificate).to_be_visible()
    check_page(page, "replacement-done")
    href = certificate.get_attribute("href")
    assert href is not None
    pdf = page.request.get(href)
    assert (pdf.status, pdf.headers["content-type"], pdf.body()[:5]) == (200, "application/pdf", b"%PDF-")
    found = re.search(r"collection certificate no\. (\d+)", page.inner_text("main"))
    assert found, page.inner_text("main")
    return found.group(1)


def see_in_the_queue(page: Page, name: str) -> None:
    page.get_by_role("link", name=re.compile("Replacement queue", re.I)).click()
    expect(page.get_by_role("cell", name=re.compile(name))).to_be_visible()
    status = page.get_by_role("combobox", name=re.compile("Status", re.I))
    status.select_option("ready")
    page.get_by_role("button", name=re.compile("Filter", re.I)).click()
    expect(page.get_by_text("No replacements in the queue.")).to_be_visible()
    status.select_option("in_production")
    page.get_by_role("button", name=re.compile("Filter", re.I)).click()
    expect(page.get_by_role("cell", name=re.compile(name))).to_be_visible()
    check_page(page, "queue")


def move_demo_clock(page: Page, *, days: int) -> None:
    token = page.request.post(
        "/v1/auth/token", form={"grant_type": "password", "username": "admin", "password": PASSWORD}
    ).json()["access_token"]
    moved = page.request.post("/v1/demo/clock", data={"days": days}, headers={"Authorization": f"Bearer {token}"})
    assert moved.status == 200, moved.text()


def test_a_refusal_is_shown_next_to_its_field_and_in_the_summary(page: Page) -> None:
    sign_in(page)
    open_person(page, *WANG_HAORAN)
    page.get_by_role("button", name=re.compile("Report loss", re.I)).click()
    page.get_by_role("radio", name=re.compile("Formal", re.I)).check()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    assert answer.value.status == 422
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name=re.compile("There is a problem", re.I))).to_be_visible()
    expect(summary).to_contain_text("resident ID card")
    expect(page.locator("#documents .field-error")).to_contain_text("certificate from your school")
    check_page(page, "loss-refused")
    # Nothing happened: the card still settles.
    page.get_by_role("link", name=re.compile("Back to the person", re.I)).click()
    expect(page.locator(".card .badge").first).to_have_text("active")


def test_the_language_switch_is_on_every_page_and_remembered(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_role("heading", name="Find a person")).to_be_visible()
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="查找人员")).to_be_visible()
    page.get_by_role("link", name="补卡队列").click()
    expect(page.get_by_role("heading", name="补卡队列")).to_be_visible()
    check_page(page, "queue-zh")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Replacement queue")).to_be_visible()
    page.goto("/counter")
    expect(page.get_by_role("heading", name="Find a person")).to_be_visible()


def test_sign_out_ends_the_session(page: Page) -> None:
    sign_in(page)
    page.get_by_role("button", name=re.compile("Sign out", re.I)).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/counter/queue")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_the_hotline_operator_checks_the_callers_identity_then_reports(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("link", name="English").click()
    page.get_by_label("Username").fill("operator.beijing")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    name, id_number = ZHANG_JIANGUO
    open_person(page, name, id_number)
    page.get_by_role("button", name=re.compile("Report loss", re.I)).click()
    page.get_by_label(re.compile("Holder's name", re.I)).fill(name)
    page.get_by_label(re.compile("Holder's ID number", re.I)).fill(id_number)
    page.get_by_label(re.compile("Holder's unit", re.I)).fill("某公司")
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.locator("#reporter_id_number-error")).to_have_text(
        "The name, ID number or unit does not match the holder."
    )
    check_page(page, "hotline-refused")
    page.get_by_label(re.compile("Holder's unit", re.I)).fill(ZHANG_JIANGUO_UNIT)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text("provisionally reported lost")
    expect(page.get_by_role("status")).to_contain_text("Tell the holder:")
    check_page(page, "hotline-done")
