"""Managing logins, and access that ends at once (API.md users, R-SEC-2, issue 11)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from sscard.auth.models import User
from sscard.db import transaction
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from tests.api import Api

PASSWORD = "correct horse"


def create_user(api: Api, username: str, role: str = "clerk", region: str = "110101", **fields: Any) -> None:
    body = {"username": username, "password": PASSWORD, "role": role, "region": region} | fields
    response = api.call("POST", "/v1/users", api.admin, json=body)
    assert response.status_code == 201, response.text


def signed_in(api: Api, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = api.client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def patch(api: Api, username: str, who: dict[str, str] | None = None, **fields: Any) -> Any:
    return api.call("PATCH", f"/v1/users/{username}", who or api.admin, json=fields)


def new_admin_body(username: str) -> dict[str, str]:
    return {"username": username, "password": PASSWORD, "role": "admin", "region": "000000"}


def test_r_sec_2_demoted_admin_token_cannot_create_admin(api: Api) -> None:
    create_user(api, "boss.admin", role="admin", region="000000")
    boss = signed_in(api, "boss.admin")
    assert api.call("POST", "/v1/users", boss, json=new_admin_body("first.admin")).status_code == 201
    assert patch(api, "boss.admin", role="clerk").json()["role"] == "clerk"
    again = api.call("POST", "/v1/users", boss, json=new_admin_body("second.admin"))
    assert again.status_code == 401
    assert again.json()["code"] == "unauthenticated"
    as_clerk = api.call("POST", "/v1/users", signed_in(api, "boss.admin"), json=new_admin_body("x.admin"))
    assert as_clerk.status_code == 403


def test_r_sec_2_disabled_user_token_is_401_and_cannot_sign_in(api: Api) -> None:
    create_user(api, "clerk.one")
    clerk = signed_in(api, "clerk.one")
    assert api.call("GET", "/v1/regions/110101/policy", clerk).status_code == 200
    assert patch(api, "clerk.one", disabled=True).json()["disabled"] is True
    refused = api.call("GET", "/v1/regions/110101/policy", clerk)
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"
    form = {"grant_type": "password", "username": "clerk.one", "password": PASSWORD}
    assert api.client.post("/v1/auth/token", data=form).json()["code"] == "invalid_credentials"
    patch(api, "clerk.one", disabled=False)
    assert api.call("GET", "/v1/regions/110101/policy", signed_in(api, "clerk.one")).status_code == 200


def test_r_sec_2_moved_user_loses_the_old_region(api: Api) -> None:
    create_user(api, "clerk.moving", region="110000")
    person = api.person("110105")
    old = signed_in(api, "clerk.moving")
    assert api.call("GET", f"/v1/persons/{person['person_id']}", old).status_code == 200
    assert patch(api, "clerk.moving", region="510000").json()["region"] == "510000"
    assert api.call("GET", f"/v1/persons/{person['person_id']}", old).status_code == 401
    moved = api.call("GET", f"/v1/persons/{person['person_id']}", signed_in(api, "clerk.moving"))
    assert moved.json()["code"] == "out_of_region"


def test_r_sec_2_password_reset_ends_old_tokens(api: Api) -> None:
    create_user(api, "clerk.reset")
    old = signed_in(api, "clerk.reset")
    reset = api.call("POST", "/v1/users/clerk.reset/password", api.admin, json={"password": "battery staple"})
    assert reset.status_code == 204
    assert api.call("GET", "/v1/regions/110101/policy", old).status_code == 401
    assert api.call("GET", "/v1/regions/110101/policy", signed_in(api, "clerk.reset", "battery staple")).is_success
    weak = api.call("POST", "/v1/users/clerk.reset/password", api.admin, json={"password": "short"})
    assert weak.json()["code"] == "weak_password"


def test_r_sec_2_deleted_user_token_is_401_within_a_second(api: Api, rt: Runtime) -> None:
    now = [100.0]
    rt.tokens.grants.monotonic = lambda: now[0]
    create_user(api, "clerk.gone")
    token = signed_in(api, "clerk.gone")
    assert api.call("GET", "/v1/regions/110101/policy", token).status_code == 200
    with transaction(rt.sessions) as session:  # another process removes the login
        session.execute(delete(User).where(User.username == "clerk.gone"))
    now[0] += 0.5
    assert api.call("GET", "/v1/regions/110101/policy", token).status_code == 200  # this process's second
    now[0] += 0.5
    assert api.call("GET", "/v1/regions/110101/policy", token).status_code == 401


def test_r_sec_2_a_token_without_a_generation_is_401(api: Api, rt: Runtime) -> None:
    create_user(api, "clerk.old")
    old_style = rt.tokens.issue(Principal(subject="clerk.old", role=Role.CLERK, region="110101"), rt.clock.now())
    assert api.call("GET", "/v1/regions/110101/policy", {"Authorization": f"Bearer {old_style}"}).status_code == 401


def test_r_sec_2_an_admin_cannot_grant_a_scope_wider_than_their_own(api: Api) -> None:
    create_user(api, "clerk.dongcheng", region="110101")
    create_user(api, "clerk.chengdu", region="510000")
    beijing = api.headers(Role.ADMIN, "110000")
    assert patch(api, "clerk.dongcheng", beijing, region="110105").status_code == 200
    wider = patch(api, "clerk.dongcheng", beijing, region="000000")
    assert (wider.status_code, wider.json()["code"]) == (403, "out_of_region")
    elsewhere = patch(api, "clerk.chengdu", beijing, disabled=True)
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "out_of_region")
    reset = api.call("POST", "/v1/users/clerk.chengdu/password", beijing, json={"password": "battery staple"})
    assert reset.json()["code"] == "out_of_region"


def test_users_are_listed_in_scope_a_page_at_a_time(api: Api) -> None:
    for index in range(3):
        create_user(api, f"clerk.bj{index}", region="110101")
    create_user(api, "clerk.sc", region="510000")
    beijing = api.headers(Role.ADMIN, "110000")
    first = api.call("GET", "/v1/users?limit=2", beijing).json()
    second = api.call("GET", f"/v1/users?limit=2&cursor={first['next']}", beijing).json()
    names = [u["username"] for u in first["items"] + second["items"]]
    assert names == ["clerk.bj0", "clerk.bj1", "clerk.bj2"]
    assert second["next"] is None
    assert not {"password", "password_hash"} & first["items"][0].keys()
    assert api.call("GET", "/v1/users", api.clerk).status_code == 403


def test_changing_users_is_checked_and_audited(api: Api) -> None:
    person = api.person("110105")
    create_user(api, "li.xiuying", role="cardholder", region="110105", person_id=person["person_id"])
    create_user(api, "bank.icbc", role="bank", region="110000", bank="ICBC")
    assert patch(api, "nobody.here", disabled=True).json()["code"] == "not_found"
    assert patch(api, "bank.icbc", role="clerk").json()["code"] == "invalid_request"
    assert patch(api, "li.xiuying", region="110000").json()["code"] == "invalid_request"
    assert patch(api, "bank.icbc", region="999999").json()["code"] == "unknown_region"
    assert patch(api, "bank.icbc", disabled="yes").json()["code"] == "invalid_request"
    assert patch(api, "bank.icbc", disabled=True).status_code == 200
    events = api.call("GET", "/v1/audit?action=user.change", api.admin).json()["items"]
    assert [(e["object_id"], e["detail"]) for e in events] == [("bank.icbc", {"disabled": True})]
