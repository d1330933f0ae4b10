"""Sign-in is throttled per login and per address (R-SEC-3, issue 11)."""

from __future__ import annotations

from datetime import timedelta

from httpx2 import Response

from sscard.clock import FixedClock
from tests.api import Api

PASSWORD = "correct horse"


def create_user(api: Api, username: str, region: str = "110101") -> None:
    body = {"username": username, "password": PASSWORD, "role": "clerk", "region": region}
    assert api.call("POST", "/v1/users", api.admin, json=body).status_code == 201


def sign_in(api: Api, username: str, password: str) -> Response:
    form = {"grant_type": "password", "username": username, "password": password}
    return api.client.post("/v1/auth/token", data=form)


def test_r_sec_3_right_password_after_five_wrong_ones_is_429(api: Api, clock: FixedClock) -> None:
    create_user(api, "clerk.guessed")
    for _ in range(5):
        assert sign_in(api, "clerk.guessed", "wrong password").status_code == 401
    locked = sign_in(api, "clerk.guessed", PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    assert locked.json()["code"] == "signin_throttled"
    assert locked.headers["retry-after"] == "900"
    assert locked.json()["request_id"] == locked.headers["x-request-id"]
    clock.advance(timedelta(minutes=14))
    assert sign_in(api, "clerk.guessed", PASSWORD).headers["retry-after"] == "60"
    clock.advance(timedelta(minutes=1))
    assert sign_in(api, "clerk.guessed", PASSWORD).status_code == 200


def test_r_sec_3_a_lock_is_audited(api: Api) -> None:
    create_user(api, "clerk.audited")
    for _ in range(5):
        sign_in(api, "clerk.audited", "wrong password")
    events = api.call("GET", "/v1/audit?action=signin.locked", api.admin).json()["items"]
    assert [e["object_id"] for e in events] == ["login:clerk.audited"]


def test_r_sec_3_the_logins_region_policy_sets_the_limit(api: Api) -> None:
    put = api.call("PUT", "/v1/regions/110000/policy", api.admin, json={"signin_max_failures": 2})
    assert put.json()["signin_max_failures"] == 2
    create_user(api, "clerk.strict", region="110101")
    create_user(api, "clerk.elsewhere", region="510000")
    for _ in range(2):
        sign_in(api, "clerk.strict", "wrong password")
        sign_in(api, "clerk.elsewhere", "wrong password")
    assert sign_in(api, "clerk.strict", PASSWORD).status_code == 429
    assert sign_in(api, "clerk.elsewhere", PASSWORD).status_code == 200


def test_r_sec_3_a_right_password_clears_the_logins_count(api: Api) -> None:
    create_user(api, "clerk.clumsy")
    for _ in range(4):
        sign_in(api, "clerk.clumsy", "wrong password")
    assert sign_in(api, "clerk.clumsy", PASSWORD).status_code == 200
    for _ in range(4):
        sign_in(api, "clerk.clumsy", "wrong password")
    assert sign_in(api, "clerk.clumsy", PASSWORD).status_code == 200


def test_r_sec_3_one_address_is_slowed_after_100_failures(api: Api) -> None:
    create_user(api, "clerk.counter")
    for index in range(100):
        assert sign_in(api, f"guess.{index}", "wrong password").status_code == 401
    refused = sign_in(api, "clerk.counter", PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "signin_throttled"
