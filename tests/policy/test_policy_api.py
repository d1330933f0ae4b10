"""Region policy over HTTP: inheritance field by field (API.md "Region policy object")."""

from __future__ import annotations

import pytest

from sscard.roles import Role
from tests.api import Api

FIELDS = {
    "hotline",
    "production_working_days",
    "lift_after_days",
    "provisional_valid_days",
    "pin_max_tries",
    "fees",
    "max_list_lag_minutes",
    "offline_floor_limit",
    "temp_certificate_valid_days",
    "claim_grace_days",
    "ecert_valid_seconds",
    "offline_upload_hours",
    "second_review_fen",
    "signin_max_failures",
}


def put(api: Api, region: str, body: dict[str, object]) -> dict[str, object]:
    response = api.call("PUT", f"/v1/regions/{region}/policy", api.admin, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def get(api: Api, region: str) -> dict[str, object]:
    response = api.call("GET", f"/v1/regions/{region}/policy", api.clerk)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_region_without_overrides_has_the_national_defaults(api: Api) -> None:
    policy = get(api, "510703")
    assert policy.keys() >= FIELDS
    assert policy["hotline"] == "12333"
    assert policy["pin_max_tries"] == 3
    assert policy["provisional_valid_days"] == 15
    assert policy["lift_after_days"] == 0
    assert policy["temp_certificate_valid_days"] == 60
    assert policy["fees"]["expired"] == 0  # type: ignore[index]
    assert set(policy["sources"].values()) == {"000000"}  # type: ignore[attr-defined]


def test_district_inherits_city_city_inherits_province_field_by_field(api: Api) -> None:
    put(api, "110000", {"hotline": "96102", "production_working_days": 15, "fees": {"lost": 4000}})
    put(api, "110100", {"production_working_days": 20})
    put(api, "110105", {"lift_after_days": 1})
    policy = get(api, "110105")
    assert policy["hotline"] == "96102"
    assert policy["production_working_days"] == 20
    assert policy["lift_after_days"] == 1
    assert policy["fees"] == {"lost": 4000, "stolen": 2000, "damaged": 2000, "demagnetized": 0, "expired": 0}
    assert policy["sources"]["hotline"] == "110000"  # type: ignore[index]
    assert policy["sources"]["production_working_days"] == "110100"  # type: ignore[index]
    assert policy["sources"]["fees.lost"] == "110000"  # type: ignore[index]
    assert get(api, "110108")["production_working_days"] == 20
    assert get(api, "130700")["hotline"] == "12333"


def test_null_clears_a_field_back_to_inheritance(api: Api) -> None:
    put(api, "130000", {"provisional_valid_days": 10})
    put(api, "130700", {"provisional_valid_days": 7, "fees": {"lost": 1000, "stolen": 1500}})
    cleared = put(api, "130700", {"provisional_valid_days": None, "fees": {"lost": None}})
    assert cleared["provisional_valid_days"] == 10
    assert cleared["fees"]["lost"] == 2000  # type: ignore[index]
    assert cleared["fees"]["stolen"] == 1500  # type: ignore[index]
    all_fees_cleared = put(api, "130700", {"fees": None})
    assert all_fees_cleared["fees"]["stolen"] == 2000  # type: ignore[index]


def test_fields_not_given_are_left_as_they_were(api: Api) -> None:
    put(api, "510700", {"hotline": "12345", "pin_max_tries": 5})
    after = put(api, "510700", {"pin_max_tries": 4})
    assert after["hotline"] == "12345"
    assert after["pin_max_tries"] == 4


@pytest.mark.parametrize(
    "body",
    [
        {"pin_max_tries": 0},
        {"pin_max_tries": "3"},
        {"production_working_days": 1.5},
        {"hotline": "96-102"},
        {"fees": {"lost": -1}},
        {"fees": {"cash": 1}},
        {"no_such_field": 1},
    ],
)
def test_bad_values_are_refused_and_change_nothing(api: Api, body: dict[str, object]) -> None:
    before = get(api, "110000")
    response = api.call("PUT", "/v1/regions/110000/policy", api.admin, json=body)
    assert response.status_code == 422
    assert response.json()["code"] in {"invalid_request", "invalid_policy"}
    assert get(api, "110000") == before


def test_an_unknown_region_is_404(api: Api) -> None:
    response = api.call("GET", "/v1/regions/999999/policy", api.clerk)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_only_an_admin_in_scope_sets_policy(api: Api) -> None:
    clerk = api.call("PUT", "/v1/regions/110000/policy", api.clerk, json={"pin_max_tries": 4})
    assert clerk.status_code == 403
    assert clerk.json()["code"] == "forbidden"
    beijing_admin = api.headers(Role.ADMIN, "110000")
    outside = api.call("PUT", "/v1/regions/130700/policy", beijing_admin, json={"pin_max_tries": 4})
    assert outside.status_code == 403
    assert outside.json()["code"] == "out_of_region"
    terminal = api.call("GET", "/v1/regions/110000/policy", api.headers(Role.TERMINAL, "110105"))
    assert terminal.status_code == 403


def test_a_malformed_region_code_is_404_not_a_server_error(api: Api) -> None:
    for method in ("GET", "PUT"):
        response = api.call(method, "/v1/regions/abc/policy", api.admin, json={"pin_max_tries": 4})
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
