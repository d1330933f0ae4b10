"""The city administrator in a real browser: the dashboard, the users, the region policy."""

from __future__ import annotations

import re

import httpx2
import pytest
from playwright.sync_api import Page, expect

from sscard.demo import DEMO_PIN, DEMO_TERMINAL_ID, DEMO_TERMINAL_SECRET
from tests.e2e.conftest import check_page

ADMIN, PASSWORD = "admin", "sscard-demo"
HEADINGS = {
    "en": ("Invalid list", "Terminals", "Settlements", "Replacements", "Claims"),
    "zh": ("挂失黑名单", "终端", "结算", "补卡", "报销申请"),
}


def _token(base: str, **form: str) -> dict[str, str]:
    answer = httpx2.post(f"{base}/v1/auth/token", data=form, timeout=10)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def activity(server: str) -> None:
    """Something for the dashboard to show: charges at the demo pharmacy (approved and
    declined) and a loss report, on demo persons the counter's tests leave alone."""
    terminal = _token(
        server, grant_type="client_credentials", client_id=DEMO_TERMINAL_ID, client_secret=DEMO_TERMINAL_SECRET
    )
    clerk = _token(server, grant_type="password", username="clerk.beijing", password=PASSWORD)
    person = httpx2.get(f"{server}/v1/persons", params={"id_number": "110108200509150035"}, headers=clerk).json()
    card_no = httpx2.get(f"{server}/v1/persons/{person['items'][0]['person_id']}", headers=clerk).json()["cards"][0][
        "card_no"
    ]
    outcomes = set()
    for amount, pin in ((1_250, DEMO_PIN), (480, DEMO_PIN), (300, "000000"), (2_000, DEMO_PIN)):
        body = {"card_no": card_no, "pin": pin, "amount": amount, "category": "drug"}
        outcomes.add(httpx2.post(f"{server}/v1/settlements", json=body, headers=terminal, timeout=10).status_code)
    assert outcomes <= {201, 402}, outcomes
    mianyang = _token(server, grant_type="password", username="clerk.mianyang", password=PASSWORD)
    person = httpx2.get(f"{server}/v1/persons", params={"id_number": "510722196505080039"}, headers=mianyang).json()
    cards = httpx2.get(f"{server}/v1/persons/{person['items'][0]['person_id']}", headers=mianyang).json()["cards"]
    report = {"kind": "provisional", "channel": "counter"}
    httpx2.post(f"{server}/v1/cards/{cards[0]['card_no']}/loss-reports", json=report, headers=mianyang, timeout=10)


def sign_in(page: Page, *, english: bool = True) -> None:
    page.goto("/login")
    if english:
        page.get_by_role("link", name="English").click()
    page.get_by_label(re.compile("Username|用户名", re.I)).fill(ADMIN)
    page.get_by_label(re.compile("Password|密码", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|登录", re.I)).click()
    expect(page).to_have_url(re.compile(r"/admin$"))


@pytest.mark.usefixtures("activity")
def test_the_dashboard_in_english_shows_every_figure_and_updates_itself(page: Page) -> None:
    sign_in(page)
    for name in HEADINGS["en"]:
        expect(page.get_by_role("heading", name=re.compile(name, re.I))).to_be_visible()
    # The charts are images with the numbers in words, and tables beside them.
    expect(page.get_by_role("img", name=re.compile("Settlements per hour", re.I))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Loss reports by channel", re.I))).to_be_visible()
    expect(page.locator("#losses-table")).to_contain_text("online")
    # The script (served by the site itself, allowed by the CSP) polls the live figures.
    expect(page.locator("#live-status")).to_contain_text(re.compile("last checked", re.I))
    expect(page.get_by_role("link", name=re.compile("Reload the figures", re.I))).to_be_visible()
    page.get_by_text(re.compile("Numbers: Settlements", re.I)).click()
    expect(page.locator("#settlements-table")).to_be_visible()
    check_page(page, "admin-dashboard-en")


@pytest.mark.usefixtures("activity")
def test_the_dashboard_in_chinese_without_script_keeps_a_reload_link(page: Page) -> None:
    page.context.route("**/*.js*", lambda route: route.abort())
    sign_in(page, english=False)
    for name in HEADINGS["zh"]:
        expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    expect(page.get_by_role("link", name="刷新数据")).to_be_visible()
    check_page(page, "admin-dashboard-zh")


def test_the_admin_creates_a_login_is_refused_at_the_field_then_moves_and_resets_it(page: Page) -> None:
    sign_in(page)
    page.get_by_role("navigation", name=re.compile("Social security", re.I)).get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    check_page(page, "admin-users-en")
    page.get_by_label("Username").fill("clerk.e2e")
    page.get_by_label(re.compile("Password")).fill("short")
    page.get_by_label("Region code").fill("110105")
    page.get_by_role("button", name="Create login").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#password-error")).to_have_text("A password has at least 8 characters.")
    check_page(page, "admin-users-refused-en")
    page.get_by_label(re.compile("Password")).fill("a long password")
    page.get_by_role("button", name="Create login").click()
    expect(page.get_by_role("status")).to_contain_text("Login clerk.e2e created.")

    page.get_by_role("link", name="Change clerk.e2e").click()
    expect(page.get_by_role("heading", name="Login clerk.e2e")).to_be_visible()
    page.get_by_label("Role").select_option("operator")
    page.get_by_label("Region code").fill("999999")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#region-error")).to_have_text("There is no region with that code.")
    check_page(page, "admin-user-refused-en")
    page.get_by_label("Region code").fill("110101")
    page.get_by_label("Disable this login").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("signed-in sessions have ended")
    page.get_by_label(re.compile("New password")).fill("another long password")
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("status")).to_contain_text("password of clerk.e2e is reset")
    check_page(page, "admin-user-en")


def test_the_policy_says_where_each_value_comes_from_and_refuses_at_the_field(page: Page) -> None:
    sign_in(page)
    page.goto("/admin/policy?region=110105")
    expect(page.get_by_role("heading", name="Policy of 110105")).to_be_visible()
    check_page(page, "admin-policy-en")
    page.get_by_label("Longest list lag of a terminal (minutes)").fill("99999")
    page.get_by_role("button", name="Save the policy").click()
    expect(page.locator("#max_list_lag_minutes-error")).to_have_text("Enter a whole number from 0 to 10080.")
    check_page(page, "admin-policy-refused-en")
    page.get_by_label("Longest list lag of a terminal (minutes)").fill("20")
    page.get_by_role("button", name="Save the policy").click()
    expect(page.get_by_role("status")).to_contain_text("The policy of 110105 is saved.")
    row = page.get_by_role("row", name=re.compile("Longest list lag"))
    expect(row).to_contain_text("this region")


def test_the_users_and_policy_pages_in_chinese(page: Page) -> None:
    sign_in(page, english=False)
    page.goto("/admin/users")
    expect(page.get_by_role("heading", name="用户", exact=True)).to_be_visible()
    check_page(page, "admin-users-zh")
    page.goto("/admin/policy?region=110000")
    expect(page.get_by_role("heading", name="110000 的政策")).to_be_visible()
    page.get_by_label("补卡费：丢失（分）").fill("很多")
    page.get_by_role("button", name="保存政策").click()
    expect(page.locator("#fees-lost-error")).to_have_text("请填写一个整数。")
    check_page(page, "admin-policy-refused-zh")
