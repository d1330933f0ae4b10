"""Designated institutions and their terminals."""

from __future__ import annotations

from sscard.roles import Role
from tests.api import Api

PHARMACY = {"name": "东城某大药房", "kind": "pharmacy", "region": "110101", "designated": True}


def test_an_admin_registers_a_pharmacy_and_a_terminal_whose_secret_is_shown_once(api: Api) -> None:
    response = api.call("POST", "/v1/institutions", api.admin, json=PHARMACY)
    assert response.status_code == 201, response.text
    institution = response.json()
    assert institution["name"] == "东城某大药房"
    assert institution["kind"] == "pharmacy"
    assert institution["designated"] is True
    first = api.call("POST", f"/v1/institutions/{institution['institution_id']}/terminals", api.admin, json={})
    second = api.call("POST", f"/v1/institutions/{institution['institution_id']}/terminals", api.admin)
    assert first.status_code == second.status_code == 201
    assert first.json()["terminal_id"] != second.json()["terminal_id"]
    assert len(first.json()["client_secret"]) >= 32


def test_institution_fields_are_checked(api: Api) -> None:
    for body in (PHARMACY | {"kind": "clinic"}, PHARMACY | {"region": "11010"}, {"name": "x"}):
        response = api.call("POST", "/v1/institutions", api.admin, json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_request"


def test_only_admins_in_scope_manage_institutions(api: Api) -> None:
    assert api.call("POST", "/v1/institutions", api.clerk, json=PHARMACY).status_code == 403
    hebei_admin = api.headers(Role.ADMIN, "130000")
    outside = api.call("POST", "/v1/institutions", hebei_admin, json=PHARMACY)
    assert outside.json()["code"] == "out_of_region"
    institution = api.call("POST", "/v1/institutions", api.admin, json=PHARMACY).json()
    terminal = api.call("POST", f"/v1/institutions/{institution['institution_id']}/terminals", hebei_admin)
    assert terminal.status_code == 403
    assert terminal.json()["code"] == "out_of_region"
    missing = api.call("POST", "/v1/institutions/999999/terminals", api.admin)
    assert missing.status_code == 404
