"""The administrator's pages over HTTP: the dashboard's numbers against the API's after
a scripted day, the live figures, and the users and policy forms (R-SEC-2)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from sscard.clock import FixedClock
from sscard.roles import Principal, Role
from tests.api import Api
from tests.claims.test_claims_api import collected_replacements, file_claim
from tests.web.test_pages import csrf_of

PASSWORD = "a long password"


def admin_login(api: Api, username: str = "admin.beijing", region: str = "110000") -> None:
    body = {"username": username, "password": PASSWORD, "role": "admin", "region": region}
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201


def sign_in_admin(client: TestClient, username: str = "admin.beijing") -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin"), answer.text


def cell(html: str, attribute: str, value: str) -> int:
    found = re.search(rf'{attribute}="{re.escape(value)}">(\d+)<', html)
    assert found, f"no {attribute}={value} in the page"
    return int(found.group(1))


def by_id(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert found, element_id
    return found.group(1)


def online_report(api: Api, card_no: str, person: dict[str, Any]) -> dict[str, Any]:
    answer = api.call(
        "POST",
        f"/v1/cards/{card_no}/loss-reports",
        api.holder(person),
        json={"kind": "provisional", "channel": "online"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def new_terminal(api: Api, region: str) -> Principal:
    """A new pharmacy's terminal, whose token can be minted again after the clock moves."""
    headers = api.terminal(region)
    return api.rt.tokens.verify(headers["Authorization"].removeprefix("Bearer "), api.rt.clock.now())


def sync(api: Api, principal: Principal) -> None:
    version = api.call("GET", "/v1/terminals", api.admin).json()["current_version"]
    headers = api.as_principal(principal)
    assert api.call("POST", "/v1/terminals/me/sync", headers, json={"version": version}).status_code == 204


def scripted_day(api: Api, clock: FixedClock) -> dict[str, Any]:
    """A month-old claim, then a day: losses by three channels, replacements, settlements
    approved and declined, a terminal that falls behind; and the same in Sichuan, out of scope."""
    claimants = collected_replacements(api, clock, "110105", "110101", "510703")
    for i, person in enumerate(claimants):
        file_claim(api, person, invoice=f"INV-ADMIN-{i}")
    clock.advance(timedelta(days=31))  # the claimants' loss reports fall out of the 30 days
    at_pharmacy, late, in_sichuan = (
        new_terminal(api, "110105"),
        new_terminal(api, "110108"),
        new_terminal(api, "510703"),
    )
    sync(api, late)
    pharmacy, sichuan = api.as_principal(at_pharmacy), api.as_principal(in_sichuan)
    holders = []
    for region in ("110105", "110105", "110101", "110108", "510703"):
        person = api.person(region)
        card = api.card(person["person_id"])
        api.deposit(person["person_id"], 100_00)
        holders.append((person, card["card_no"]))
    outcomes: Counter[str] = Counter()
    for terminal, (_, card_no) in zip((pharmacy, pharmacy, pharmacy, pharmacy), holders[:4], strict=True):
        for amount, pin in ((12_00, None), (3_50, None), (1_00, "000000")):
            answer = api.settle(terminal, card_no, amount, **({"pin": pin} if pin else {}))
            outcomes["approved" if answer.status_code == 201 else "declined"] += 1
    api.settle(sichuan, holders[4][1], 5_00)  # out of the Beijing admin's scope
    channels: Counter[str] = Counter()
    channels[api.report_loss(holders[0][1])["channel"]] += 1  # written, on the caller's word
    channels[api.report_loss(holders[1][1], kind="formal")["channel"]] += 1  # counter
    channels[online_report(api, holders[2][1], holders[2][0])["channel"]] += 1
    api.report_loss(holders[4][1])  # Sichuan
    declined = api.settle(pharmacy, holders[0][1], 2_00)
    assert declined.status_code == 402
    outcomes["declined"] += 1
    api.replace(holders[1][1])
    api.replace(holders[4][1])
    clock.advance(timedelta(minutes=45))
    sync(api, at_pharmacy)
    return {"outcomes": outcomes, "channels": channels, "late": late.subject}


def test_the_dashboard_shows_what_the_api_says_after_a_day(api: Api, clock: FixedClock) -> None:
    day = scripted_day(api, clock)
    admin_login(api)
    sign_in_admin(api.client)
    page = api.client.get("/admin", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    html = page.text
    for heading in ("Invalid list", "Terminals", "Settlements", "Replacements", "Claims"):
        assert re.search(rf"<h2[^>]*>[^<]*{heading}", html), heading
    scoped_admin = api.headers(Role.ADMIN, "110000")

    terminals = api.call("GET", "/v1/terminals", scoped_admin).json()
    assert by_id(html, "list-version") == str(terminals["current_version"])
    lagging = api.call("GET", "/v1/terminals", scoped_admin, params={"lagging": "true"}).json()["items"]
    assert [t["terminal_id"] for t in lagging] == [day["late"]]
    assert re.findall(r'data-terminal="([^"]+)"', html) == [day["late"]]

    snapshot = api.call("GET", "/v1/invalid-list/snapshot", api.terminal("110105"), params={"scope": "110000"}).json()
    reasons = Counter(card["reason"] for card in snapshot["cards"])
    assert reasons  # the lost cards and the replaced ones of the claimants
    for reason, n in reasons.items():
        assert cell(html, "data-reason", reason) == n

    assert int(by_id(html, "approved-total")) == day["outcomes"]["approved"] == 8
    assert int(by_id(html, "declined-total")) == day["outcomes"]["declined"] == 5
    for channel in ("written", "counter", "online", "hotline", "bank", "kiosk"):
        assert cell(html, "data-channel", channel) == day["channels"].get(channel, 0)

    clerk = api.headers(Role.CLERK, "110000")
    for status, element in (("in_production", "replacements-in-production"), ("ready", "replacements-ready")):
        queue = api.call("GET", "/v1/replacements", clerk, params={"status": status, "region": "110000"}).json()
        assert int(by_id(html, element)) == len(queue["items"])
    assert int(by_id(html, "replacements-in-production")) == 1

    claims = api.call("GET", "/v1/claims", scoped_admin, params={"status": "submitted"}).json()["items"]
    assert cell(html, "data-claims", "submitted") == len(claims) == 2
    assert "31 d" in html  # the claims' age


def test_the_live_figures_follow_the_list_without_a_reload(api: Api, clock: FixedClock) -> None:
    admin_login(api)
    sign_in_admin(api.client)
    pharmacy = new_terminal(api, "110105")
    sync(api, pharmacy)
    before = api.client.get("/admin/live").json()
    assert before["lagging"] == []
    assert "Content-Security-Policy" in api.client.get("/admin/live").headers
    person = api.person("110105")
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    for _ in range(4):  # a page each ten minutes keeps the session (not the poll: an idle one ends)
        clock.advance(timedelta(minutes=8))
        assert api.client.get("/admin").status_code == 200
    after = api.client.get("/admin/live").json()
    assert after["list_version"] == before["list_version"] + 1
    assert [row["terminal_id"] for row in after["lagging"]] == [pharmacy.subject]
    page = api.client.get("/admin").text
    assert '<a href="/admin">' in page  # without script: a reload link
    assert '<script src="/static/admin.js?v=' in page
    script = api.client.get(re.search(r'src="(/static/admin\.js\?v=[0-9a-f]+)"', page).group(1))  # type: ignore[union-attr]
    assert script.headers["content-type"].startswith("text/javascript")


def test_only_an_admin_sees_the_dashboard(api: Api) -> None:
    assert api.client.get("/admin", follow_redirects=False).headers["location"] == "/login"
    body = {"username": "clerk.counter", "password": PASSWORD, "role": "clerk", "region": "110000"}
    assert api.client.post("/v1/users", json=body, headers=api.admin).status_code == 201
    token = csrf_of(api.client.get("/login").text)
    api.client.post("/login", data={"username": "clerk.counter", "password": PASSWORD, "csrf_token": token})
    for path in ("/admin", "/admin/live", "/admin/users", "/admin/policy"):
        assert api.client.get(path).status_code == 403, path


def post_form(client: TestClient, path: str, data: dict[str, str], page: str) -> Any:
    token = csrf_of(client.get(page).text)
    return client.post(path, data=data | {"csrf_token": token}, headers={"Accept-Language": "en"})


def test_an_admin_creates_moves_disables_and_resets_a_login(api: Api) -> None:
    admin_login(api)
    sign_in_admin(api.client)
    made = post_form(
        api.client,
        "/admin/users",
        {"username": "clerk.new", "password": PASSWORD, "role": "clerk", "region": "110105"},
        "/admin/users",
    )
    assert made.status_code == 200, made.text
    assert "Login clerk.new created." in made.text
    listed = {u["username"]: u for u in api.call("GET", "/v1/users", api.admin).json()["items"]}
    assert listed["clerk.new"]["region"] == "110105"

    weak = post_form(
        api.client,
        "/admin/users",
        {"username": "clerk.weak", "password": "short", "role": "clerk", "region": "110105"},
        "/admin/users",
    )
    assert weak.status_code == 422
    assert 'id="password-error">A password has at least 8 characters.' in weak.text
    outside = post_form(
        api.client,
        "/admin/users",
        {"username": "clerk.far", "password": PASSWORD, "role": "clerk", "region": "510703"},
        "/admin/users",
    )
    assert outside.status_code == 403
    assert 'id="region-error"' in outside.text
    taken = post_form(
        api.client,
        "/admin/users",
        {"username": "clerk.new", "password": PASSWORD, "role": "clerk", "region": "110105"},
        "/admin/users",
    )
    assert taken.status_code == 409
    assert 'id="username-error"' in taken.text

    # The new clerk signs in; the admin moves and disables the login: out at once (R-SEC-2).
    with TestClient(api.client.app) as clerk:
        token = csrf_of(clerk.get("/login").text)
        clerk.post("/login", data={"username": "clerk.new", "password": PASSWORD, "csrf_token": token})
        assert clerk.get("/counter").status_code == 200
        moved = post_form(
            api.client,
            "/admin/users/clerk.new",
            {"role": "operator", "region": "110101", "disabled": "on"},
            "/admin/users/clerk.new",
        )
        assert moved.status_code == 200
        assert "signed-in sessions have ended" in moved.text
        assert clerk.get("/counter", follow_redirects=False).headers["location"] == "/login"
    changed = {u["username"]: u for u in api.call("GET", "/v1/users", api.admin).json()["items"]}["clerk.new"]
    assert (changed["role"], changed["region"], changed["disabled"]) == ("operator", "110101", True)

    wider = post_form(
        api.client, "/admin/users/clerk.new", {"role": "operator", "region": "000000"}, "/admin/users/clerk.new"
    )
    assert wider.status_code == 403
    assert 'id="region-error"' in wider.text
    short = post_form(api.client, "/admin/users/clerk.new/password", {"password": "short"}, "/admin/users/clerk.new")
    assert short.status_code == 422
    assert 'id="new_password-error"' in short.text
    reset = post_form(
        api.client, "/admin/users/clerk.new/password", {"password": "another long one"}, "/admin/users/clerk.new"
    )
    assert reset.status_code == 200
    assert "password of clerk.new is reset" in reset.text
    admin_login(api, "admin.national", "000000")
    assert api.client.get("/admin/users/admin.national").status_code == 403  # outside the scope


def test_the_policy_form_says_where_each_value_comes_from_and_refuses_at_the_field(api: Api) -> None:
    admin_login(api)
    sign_in_admin(api.client)
    page = api.client.get("/admin/policy", params={"region": "110105"}, headers={"Accept-Language": "en"}).text
    assert re.search(
        r"Hotline</label></th>\s*<td class=\"mono\">96102</td>\s*<td><span class=\"mono\">110000</span>", page
    )
    assert "national default" in page
    fields = {"max_list_lag_minutes": "45", "fees-lost": "not much"}
    refused = post_form(api.client, "/admin/policy?region=110105", fields, "/admin/policy?region=110105")
    assert refused.status_code == 422
    assert 'id="fees-lost-error">Enter a whole number.' in refused.text
    assert api.call("GET", "/v1/regions/110105/policy", api.admin).json()["max_list_lag_minutes"] == 30
    too_long = post_form(
        api.client, "/admin/policy?region=110105", {"max_list_lag_minutes": "99999"}, "/admin/policy?region=110105"
    )
    assert too_long.status_code == 422
    assert 'id="max_list_lag_minutes-error">Enter a whole number from 0 to 10080.' in too_long.text
    saved = post_form(
        api.client, "/admin/policy?region=110105", {"max_list_lag_minutes": "45"}, "/admin/policy?region=110105"
    )
    assert saved.status_code == 200
    assert "is saved" in saved.text
    policy = api.call("GET", "/v1/regions/110105/policy", api.admin).json()
    assert (policy["max_list_lag_minutes"], policy["sources"]["max_list_lag_minutes"]) == (45, "110105")
    cleared = post_form(
        api.client, "/admin/policy?region=110105", {"max_list_lag_minutes": ""}, "/admin/policy?region=110105"
    )
    assert cleared.status_code == 200
    assert api.call("GET", "/v1/regions/110105/policy", api.admin).json()["sources"]["max_list_lag_minutes"] == "000000"
    outside = api.client.get("/admin/policy", params={"region": "510703"}).text
    assert 'name="max_list_lag_minutes"' not in outside  # seen, not written, outside the scope
    unknown = api.client.get("/admin/policy", params={"region": "999999"})
    assert unknown.status_code == 404
    assert 'id="region-error"' in unknown.text


def test_a_post_without_csrf_changes_no_login(api: Api) -> None:
    admin_login(api)
    sign_in_admin(api.client)
    answer = api.client.post(
        "/admin/users", data={"username": "x.y", "password": PASSWORD, "role": "clerk", "region": "110105"}
    )
    assert answer.status_code == 403
    assert "x.y" not in {u["username"] for u in api.call("GET", "/v1/users", api.admin).json()["items"]}
