"""R-SEC-2 for terminals: a disabled terminal, or one given a new secret, is out on its
next request (settlement, inquiry, sync, the invalid-list stream)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from sscard.roles import Role
from sscard.runtime import Runtime
from tests.api import DEMO_PIN, Api
from tests.invalid_list.cards import new_card, report_lost
from tests.invalid_list.live import LiveServer, live_server, stream, take

PHARMACY = {"name": "东城某大药房", "kind": "pharmacy", "region": "110105", "designated": True}


def new_terminal(api: Api, region: str = "110105") -> dict[str, Any]:
    """A terminal made through the API: its id and its one-time secret."""
    institution = api.call("POST", "/v1/institutions", api.admin, json=PHARMACY | {"region": region}).json()
    created = api.call("POST", f"/v1/institutions/{institution['institution_id']}/terminals", api.admin)
    assert created.status_code == 201, created.text
    return dict(created.json())


def sign_in(api: Api, terminal_id: str, secret: str) -> httpx2.Response:
    form = {"grant_type": "client_credentials", "client_id": terminal_id, "client_secret": secret}
    return api.client.post("/v1/auth/token", data=form)


def bearer(api: Api, terminal: dict[str, Any]) -> dict[str, str]:
    response = sign_in(api, terminal["terminal_id"], terminal["client_secret"])
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def card_with_money(api: Api) -> str:
    person = api.person("110105")
    card = api.card(person["person_id"])
    api.deposit(person["person_id"], 10_000)
    return str(card["card_no"])


def what_a_terminal_does(api: Api, headers: dict[str, str], card_no: str) -> dict[str, int]:
    """The status of each thing a terminal does in a day."""
    body = {"card_no": card_no, "pin": DEMO_PIN, "amount": 100, "category": "drug"}
    return {
        "settlement": api.call("POST", "/v1/settlements", headers, json=body).status_code,
        "inquiry": api.call("GET", f"/v1/invalid-list/inquiry?card_no={card_no}", headers).status_code,
        "balance": api.call(
            "POST", f"/v1/cards/{card_no}/balance-inquiry", headers, json={"pin": DEMO_PIN}
        ).status_code,
        "sync": api.call("POST", "/v1/terminals/me/sync", headers, json={"version": 0}).status_code,
        "changes": api.call("GET", "/v1/invalid-list/changes?since=0", headers).status_code,
    }


WORKING = {"settlement": 201, "inquiry": 200, "balance": 200, "sync": 204, "changes": 200}
OUT = dict.fromkeys(WORKING, 401)


def disable(api: Api, terminal_id: str, *, disabled: bool = True, who: dict[str, str] | None = None) -> httpx2.Response:
    return api.call("PATCH", f"/v1/terminals/{terminal_id}", who or api.admin, json={"disabled": disabled})


def test_r_sec_2_a_disabled_terminal_is_out_on_its_next_request(api: Api) -> None:
    card_no, terminal = card_with_money(api), new_terminal(api)
    headers = bearer(api, terminal)
    assert what_a_terminal_does(api, headers, card_no) == WORKING
    response = disable(api, terminal["terminal_id"])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "terminal_id": terminal["terminal_id"],
        "institution_id": terminal["institution_id"],
        "region": "110105",
        "disabled": True,
    }
    assert what_a_terminal_does(api, headers, card_no) == OUT
    refused = api.call("POST", "/v1/settlements", headers, json={"card_no": card_no, "pin": DEMO_PIN, "amount": 1})
    assert refused.json()["code"] == "unauthenticated"
    # Nor can it sign in again, and it is told no more than for a wrong secret.
    again = sign_in(api, terminal["terminal_id"], terminal["client_secret"])
    assert (again.status_code, again.json()["code"]) == (401, "invalid_credentials")


def test_r_sec_2_an_enabled_terminal_signs_in_afresh_and_its_old_tokens_stay_out(api: Api) -> None:
    card_no, terminal = card_with_money(api), new_terminal(api)
    old = bearer(api, terminal)
    disable(api, terminal["terminal_id"])
    assert disable(api, terminal["terminal_id"], disabled=False).json()["disabled"] is False
    assert what_a_terminal_does(api, old, card_no) == OUT
    assert what_a_terminal_does(api, bearer(api, terminal), card_no) == WORKING


def test_r_sec_2_a_new_secret_ends_the_old_secret_and_its_tokens(api: Api) -> None:
    card_no, terminal = card_with_money(api), new_terminal(api)
    old = bearer(api, terminal)
    response = api.call("POST", f"/v1/terminals/{terminal['terminal_id']}/secret", api.admin)
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["terminal_id"] == terminal["terminal_id"]
    assert rotated["institution_id"] == terminal["institution_id"]
    assert rotated["client_secret"] != terminal["client_secret"]
    assert len(rotated["client_secret"]) >= 32
    assert what_a_terminal_does(api, old, card_no) == OUT
    assert sign_in(api, terminal["terminal_id"], terminal["client_secret"]).status_code == 401
    assert what_a_terminal_does(api, bearer(api, rotated), card_no) == WORKING


def test_r_sec_2_only_an_admin_in_scope_disables_a_terminal_and_each_change_is_audited(api: Api) -> None:
    terminal = new_terminal(api)
    terminal_id = terminal["terminal_id"]
    hebei_admin = api.headers(Role.ADMIN, "130000")
    assert disable(api, terminal_id, who=hebei_admin).json()["code"] == "out_of_region"
    secret = api.call("POST", f"/v1/terminals/{terminal_id}/secret", hebei_admin)
    assert (secret.status_code, secret.json()["code"]) == (403, "out_of_region")
    assert disable(api, terminal_id, who=api.clerk).json()["code"] == "forbidden"
    assert disable(api, "trm_nothing_here").json()["code"] == "not_found"
    assert api.call("PATCH", f"/v1/terminals/{terminal_id}", api.admin, json={"disabled": "yes"}).status_code == 422
    assert api.call("PATCH", f"/v1/terminals/{terminal_id}", api.admin, json={}).status_code == 422
    # Still working: none of the refusals above changed it.
    assert what_a_terminal_does(api, bearer(api, terminal), card_with_money(api)) == WORKING
    disable(api, terminal_id)
    api.call("POST", f"/v1/terminals/{terminal_id}/secret", api.admin)
    changes = api.call("GET", "/v1/audit?action=terminal.change", api.admin).json()["items"]
    assert [(e["object_id"], e["detail"]) for e in changes] == [(terminal_id, {"disabled": True})]
    rotations = api.call("GET", "/v1/audit?action=terminal.secret_rotate", api.admin).json()["items"]
    assert [e["object_id"] for e in rotations] == [terminal_id]
    assert "client_secret" not in str(rotations)


def test_r_sec_2_the_terminal_list_shows_which_are_disabled(api: Api) -> None:
    kept, disabled = new_terminal(api), new_terminal(api)
    disable(api, disabled["terminal_id"])
    items = api.call("GET", "/v1/terminals", api.admin).json()["items"]
    shown = {item["terminal_id"]: item["disabled"] for item in items}
    assert shown[kept["terminal_id"]] is False
    assert shown[disabled["terminal_id"]] is True


@pytest.fixture
def live(committed_rt: Runtime) -> Iterator[LiveServer]:
    with live_server(committed_rt) as server:
        yield server


def test_r_sec_2_a_running_stream_of_a_disabled_terminal_ends(live: LiveServer) -> None:
    card = new_card(live.rt)
    headers = live.headers(Role.TERMINAL, "110105", subject="trm_streaming")
    admin = live.headers(Role.ADMIN)
    with stream(live.base, headers) as events:
        report_lost(live.rt, card)
        (first,) = take(events, 1)
        response = httpx2.patch(f"{live.base}/v1/terminals/trm_streaming", json={"disabled": True}, headers=admin)
        assert response.status_code == 200, response.text
        report_lost(live.rt, new_card(live.rt))
        # The next change ends the stream instead of reaching the disabled terminal.
        assert list(events) == []
    assert first.event == "change"
    reconnect = httpx2.get(f"{live.base}/v1/invalid-list/stream", headers=headers)
    assert (reconnect.status_code, reconnect.json()["code"]) == (401, "unauthenticated")
