"""Sign-in, users and access control (API.md Conventions, Auth and Roles)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sscard.clock import FixedClock
from sscard.roles import Role
from tests.api import Api


def create_user(api: Api, **fields: object) -> dict[str, object]:
    body = {"username": "clerk.dongcheng", "password": "correct horse", "role": "clerk", "region": "110101"}
    response = api.call("POST", "/v1/users", api.admin, json=body | fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


def sign_in(api: Api, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = api.client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )
    return response.status_code, response.json()


def test_an_admin_creates_a_user_who_signs_in_and_is_scoped(api: Api) -> None:
    user = create_user(api)
    assert user["username"] == "clerk.dongcheng"
    assert user["role"] == "clerk"
    assert not {"password", "password_hash"} & user.keys()
    status, token = sign_in(api, "clerk.dongcheng", "correct horse")
    assert status == 200
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 900
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    inside = api.call("GET", "/v1/regions/110101/policy", headers)
    assert inside.status_code == 200
    person = api.person("510703")
    outside = api.call("GET", f"/v1/persons/{person['person_id']}", headers)
    assert outside.status_code == 403
    assert outside.json()["code"] == "out_of_region"


@pytest.mark.parametrize(("username", "password"), [("clerk.dongcheng", "wrong password"), ("nobody", "x" * 10)])
def test_wrong_credentials_are_401_invalid_credentials(api: Api, username: str, password: str) -> None:
    create_user(api)
    status, body = sign_in(api, username, password)
    assert status == 401
    assert body["code"] == "invalid_credentials"


def test_unsupported_grant_type_is_refused(api: Api) -> None:
    response = api.client.post("/v1/auth/token", data={"grant_type": "implicit"})
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_grant_type"


def test_a_token_request_without_a_grant_type_is_invalid_request(api: Api) -> None:
    response = api.client.post("/v1/auth/token", data={"username": "a"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert response.json()["errors"][0]["field"] == "grant_type"


def test_a_terminal_signs_in_with_client_credentials(api: Api) -> None:
    institution = api.call(
        "POST",
        "/v1/institutions",
        api.admin,
        json={"name": "东城某大药房", "kind": "pharmacy", "region": "110101", "designated": True},
    ).json()
    terminal = api.call("POST", f"/v1/institutions/{institution['institution_id']}/terminals", api.admin, json={})
    assert terminal.status_code == 201
    credentials = terminal.json()
    response = api.client.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials["terminal_id"],
            "client_secret": credentials["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    wrong = api.client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": credentials["terminal_id"], "client_secret": "x"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"


def test_no_token_a_bad_token_and_an_expired_token_are_401(api: Api, clock: FixedClock) -> None:
    missing = api.call("GET", "/v1/regions/110000/policy")
    assert missing.status_code == 401
    assert missing.json()["code"] == "unauthenticated"
    assert missing.headers["www-authenticate"] == "Bearer"
    bad = api.call("GET", "/v1/regions/110000/policy", {"Authorization": "Bearer not-a-token"})
    assert bad.json()["code"] == "unauthenticated"
    headers = api.clerk
    clock.advance(timedelta(seconds=901))
    expired = api.call("GET", "/v1/regions/110000/policy", headers)
    assert expired.status_code == 401
    assert expired.json()["code"] == "unauthenticated"


def test_the_wrong_role_is_403_forbidden(api: Api) -> None:
    body = {"username": "x.user", "password": "long enough", "role": "clerk", "region": "110000"}
    response = api.call("POST", "/v1/users", api.clerk, json=body)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_an_admin_cannot_create_users_outside_their_scope(api: Api) -> None:
    beijing_admin = api.headers(Role.ADMIN, "110000")
    body = {"username": "x.user", "password": "long enough", "role": "clerk", "region": "130700"}
    response = api.call("POST", "/v1/users", beijing_admin, json=body)
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_region"


def test_a_username_is_unique(api: Api) -> None:
    create_user(api)
    again = api.call(
        "POST",
        "/v1/users",
        api.admin,
        json={"username": "clerk.dongcheng", "password": "another one", "role": "auditor", "region": "110000"},
    )
    assert again.status_code == 409
    assert again.json()["code"] == "user_exists"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"password": "short"}, "weak_password"),
        ({"role": "terminal"}, "invalid_request"),
        ({"role": "cardholder"}, "invalid_request"),
        ({"role": "bank"}, "invalid_request"),
        ({"role": "bank", "bank": "NOBANK"}, "unknown_bank"),
        ({"region": "999999"}, "unknown_region"),
        ({"username": "A B"}, "invalid_request"),
        ({"role": "superuser"}, "invalid_request"),
    ],
)
def test_user_fields_are_checked(api: Api, fields: dict[str, object], code: str) -> None:
    body = {"username": "new.user", "password": "long enough", "role": "clerk", "region": "110000"} | fields
    response = api.call("POST", "/v1/users", api.admin, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


def test_a_cardholder_login_acts_only_on_their_own_person(api: Api) -> None:
    mine, other = api.person("110105"), api.person("110105")
    create_user(api, username="li.xiuying", role="cardholder", region="110105", person_id=mine["person_id"])
    status, token = sign_in(api, "li.xiuying", "correct horse")
    assert status == 200
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert api.call("GET", f"/v1/persons/{mine['person_id']}", headers).status_code == 200
    refused = api.call("GET", f"/v1/persons/{other['person_id']}", headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"


def test_a_person_has_at_most_one_login(api: Api) -> None:
    person = api.person("110105")
    create_user(api, username="first.login", role="cardholder", region="110105", person_id=person["person_id"])
    again = api.call(
        "POST",
        "/v1/users",
        api.admin,
        json={
            "username": "second.login",
            "password": "long enough",
            "role": "cardholder",
            "region": "110105",
            "person_id": person["person_id"],
        },
    )
    assert again.status_code == 409
    assert again.json()["code"] == "user_exists"
