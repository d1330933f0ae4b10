"""The audit trail: every state change leaves an event; nobody can rewrite one."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sscard.roles import Role
from sscard.runtime import Runtime
from tests import factories
from tests.api import Api


def events(api: Api, who: dict[str, str] | None = None, **query: object) -> list[dict[str, object]]:
    response = api.call("GET", "/v1/audit", who or api.headers(Role.AUDITOR), params=query)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_state_changes_are_audited_with_actor_role_object_and_request_id(api: Api) -> None:
    id_number = factories.id_number()
    person = api.call(
        "POST",
        "/v1/persons",
        api.clerk | {"X-Request-ID": "req-test-1"},
        json={"id_number": id_number, "name": "王小明", "region": "110101", "scheme": "employee"},
    )
    assert person.status_code == 201
    (event,) = events(api, object_type="person")
    assert event["action"] == "person.register"
    assert event["actor"] == "clerk.test"
    assert event["role"] == "clerk"
    assert event["object_id"] == str(person.json()["person_id"])
    assert event["region"] == "110101"
    assert event["request_id"] == "req-test-1"
    assert id_number not in str(event)


def test_reads_and_refusals_leave_no_event(api: Api) -> None:
    person = api.person()
    before = events(api)
    api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk)
    api.call("POST", f"/v1/persons/{person['person_id']}/deposits", api.admin, json={"amount": 0})
    assert events(api) == before


def test_events_are_newest_first_and_paginated(api: Api) -> None:
    for _ in range(3):
        api.person()
    first = api.call("GET", "/v1/audit", api.admin, params={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["items"][0]["event_id"] > first["items"][1]["event_id"]
    rest = api.call("GET", "/v1/audit", api.admin, params={"limit": 2, "cursor": first["next"]}).json()
    assert rest["items"][0]["event_id"] < first["items"][1]["event_id"]


def test_a_scoped_auditor_sees_only_their_region(api: Api) -> None:
    api.person("110101")
    api.person("510703")
    sichuan = events(api, api.headers(Role.AUDITOR, "510000"))
    assert sichuan
    assert {e["region"] for e in sichuan} == {"510703"}


def test_only_auditors_and_admins_read_the_trail(api: Api) -> None:
    response = api.call("GET", "/v1/audit", api.clerk)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_naive_timestamp_filter_is_invalid_request(api: Api) -> None:
    response = api.call("GET", "/v1/audit", api.admin, params={"since": "2026-01-01T00:00:00"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_rewrite_the_trail(api: Api, rt: Runtime, statement: str) -> None:
    api.person()
    with rt.sessions() as session, pytest.raises(DBAPIError, match="append-only"):  # noqa: PT012
        session.begin()
        session.execute(text(statement))
