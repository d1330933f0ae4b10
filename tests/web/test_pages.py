"""The pages over HTTP (no browser): sessions, CSRF, headers, and the same rules as the API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from sscard.web.pages import static_url
from sscard.web.session import CSRF_COOKIE, SESSION_COOKIE
from tests.api import Api

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def clerk_login(api: Api, username: str = "clerk.counter", region: str = "110000") -> None:
    body = {"username": username, "password": "a long password", "role": "clerk", "region": region}
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201


def sign_in(client: TestClient, username: str = "clerk.counter") -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": username, "password": "a long password", "csrf_token": token},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/counter"), answer.text


def test_every_page_forbids_inline_script_and_outside_hosts(client: TestClient) -> None:
    page = client.get("/login")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "<script" not in page.text
    assert " style=" not in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_stylesheet_is_served_locally_and_cached(client: TestClient) -> None:
    sheet = client.get(static_url("site.css"))
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert "max-age=31536000" in sheet.headers["cache-control"]
    assert client.get("/static/../app.py").status_code == 404


def test_chinese_by_default_english_when_the_browser_prefers_it(client: TestClient) -> None:
    assert '<html lang="zh-CN">' in client.get("/login").text
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    client.get("/language", params={"to": "zh-CN", "next": "//elsewhere.example/"}, follow_redirects=False)
    switched = client.get("/language", params={"to": "zh-CN", "next": "//elsewhere"}, follow_redirects=False)
    assert switched.headers["location"] == "/"  # never to another host
    assert '<html lang="zh-CN">' in client.get("/login", headers={"Accept-Language": "en"}).text


def test_sign_in_sets_an_httponly_strict_session_cookie_secure_over_https(api: Api) -> None:
    clerk_login(api)
    with TestClient(api.client.app, base_url="https://testserver") as secure:
        token = csrf_of(secure.get("/login").text)
        answer = secure.post(
            "/login",
            data={"username": "clerk.counter", "password": "a long password", "csrf_token": token},
            follow_redirects=False,
        )
    cookies = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session
    assert "SameSite=strict" in session
    assert "Secure" in session


def test_a_wrong_password_is_a_sentence_next_to_the_field(api: Api) -> None:
    clerk_login(api)
    token = csrf_of(api.client.get("/login", headers={"Accept-Language": "en"}).text)
    answer = api.client.post(
        "/login",
        data={"username": "clerk.counter", "password": "wrong", "csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert "There is a problem" in answer.text
    assert '<p class="field-error" id="password-error">The username or password is incorrect.</p>' in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    clerk_login(api)
    sign_in(api.client)
    lift = f"/counter/persons/{person['person_id']}/cards/{card['card_no']}/lift"
    forged = api.client.post(lift, data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert api.client.get(f"/v1/cards/{card['card_no']}", headers=api.clerk).json()["status"] == "provisional_loss"
    api.client.cookies.delete(CSRF_COOKIE)
    assert api.client.post(lift, data={}).status_code == 403


def test_a_forged_session_cookie_is_no_session(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "eyJhbGciOiJIUzI1NiJ9.e30.forged")
    answer = client.get("/counter", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")


def test_a_page_refuses_what_the_api_refuses_in_words_at_the_field(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    clerk_login(api)
    sign_in(api.client)
    form = f"/counter/persons/{person['person_id']}/cards/{card['card_no']}/replacement"
    token = csrf_of(api.client.get(form).text)
    data = {"reason": "lost", "documents": ["resident_id_card", "photo"], "csrf_token": token}
    page = api.client.post(form, data=data, headers={"Accept-Language": "en"})
    refused = api.client.post(
        f"/v1/cards/{card['card_no']}/replacements",
        json={"reason": "lost", "documents": ["resident_id_card", "photo"]},
        headers=api.clerk,
    )
    assert (page.status_code, refused.status_code, refused.json()["code"]) == (409, 409, "loss_report_required")
    assert '<p class="field-error" id="reason-error">' in page.text
    assert "reported lost before a replacement" in page.text


def test_the_clerk_reports_a_loss_and_the_api_sees_it(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    clerk_login(api)
    sign_in(api.client)
    form = f"/counter/persons/{person['person_id']}/cards/{card['card_no']}/loss-report"
    token = csrf_of(api.client.get(form).text)
    missing = api.client.post(form, data={"kind": "formal", "csrf_token": token})
    assert missing.status_code == 422
    assert "居民身份证或户口簿、单位出具的证明" in missing.text
    done = api.client.post(
        form, data={"kind": "formal", "documents": ["household_register", "employer_certificate"], "csrf_token": token}
    )
    assert done.status_code == 200
    assert 'role="status"' in done.text
    assert api.client.get(f"/v1/cards/{card['card_no']}", headers=api.clerk).json()["status"] == "lost"


def test_sign_out_forgets_the_session(api: Api) -> None:
    clerk_login(api)
    sign_in(api.client)
    token = csrf_of(api.client.get("/counter").text)
    out = api.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert api.client.get("/counter", follow_redirects=False).headers["location"] == "/login"


def test_the_search_reads_one_field_the_api_way_and_only_in_scope(api: Api) -> None:
    person = api.person(region="110101", name="王小明")
    clerk_login(api)
    sign_in(api.client)
    found = api.client.get("/counter", params={"q": person["id_number"]})
    assert found.status_code == 200
    assert f'href="/counter/persons/{person["person_id"]}"' in found.text
    by_card = api.card(person["person_id"])
    assert (
        f"/counter/persons/{person['person_id']}" in api.client.get("/counter", params={"q": by_card["card_no"]}).text
    )
    no_birth_date = api.client.get("/counter", params={"q": "王小明"}, headers={"Accept-Language": "en"})
    assert no_birth_date.status_code == 422
    assert '<p class="field-error" id="birth_date-error">Give the birth date when you search by name.</p>' in (
        no_birth_date.text
    )
    body = {"username": "clerk.hebei", "password": "a long password", "role": "clerk", "region": "130700"}
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201
    sign_in(api.client, "clerk.hebei")
    elsewhere = api.client.get("/counter", params={"q": person["id_number"]})
    assert f"/counter/persons/{person['person_id']}" not in elsewhere.text
    assert api.client.get(f"/counter/persons/{person['person_id']}").status_code == 403


def test_the_hotline_operator_sees_no_outlet_pages(api: Api) -> None:
    body = {"username": "operator.test", "password": "a long password", "role": "operator", "region": "110000"}
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201
    sign_in(api.client, "operator.test")
    assert api.client.get("/counter").status_code == 200
    assert api.client.get("/counter/queue").status_code == 403
    assert api.client.get("/counter/replacements/1/certificate.pdf").status_code == 403


def test_lifting_too_early_says_from_when_on_the_person_page(api: Api) -> None:
    # Zhangjiakou lifts a loss from the next day (R-LOSS-5); the rule is the service's.
    person = api.person(region="130702")
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    clerk_login(api, "clerk.zjk", "130700")
    sign_in(api.client, "clerk.zjk")
    page = f"/counter/persons/{person['person_id']}"
    token = csrf_of(api.client.get(page).text)
    lift = api.client.post(
        f"{page}/cards/{card['card_no']}/lift", data={"csrf_token": token}, headers={"Accept-Language": "en"}
    )
    assert lift.status_code == 409
    assert 'role="alert"' in lift.text
    assert "In this region the loss can be lifted from 2026-03-03." in lift.text


def test_r_sec_2_a_disabled_clerk_is_out_of_the_pages_on_the_next_request(api: Api) -> None:
    clerk_login(api)
    sign_in(api.client)
    assert api.client.get("/counter", follow_redirects=False).status_code == 200
    disabled = api.call("PATCH", "/v1/users/clerk.counter", api.admin, json={"disabled": True})
    assert disabled.status_code == 200, disabled.text
    assert api.client.get("/counter", follow_redirects=False).status_code in (302, 303)


def test_r_sec_3_the_sign_in_page_is_throttled_like_the_api(api: Api) -> None:
    clerk_login(api)
    for _ in range(5):
        token = csrf_of(api.client.get("/login").text)
        api.client.post("/login", data={"username": "clerk.counter", "password": "wrong", "csrf_token": token})
    token = csrf_of(api.client.get("/login").text)
    locked = api.client.post(
        "/login", data={"username": "clerk.counter", "password": "a long password", "csrf_token": token}
    )
    assert locked.status_code == 429
