"""A lost card's whole life through the API: report, replace, collect, transfer."""

from __future__ import annotations

from datetime import timedelta

from sscard.clock import FixedClock
from sscard.roles import Role
from tests.api import DEMO_PIN, Api


def test_lost_card_is_reported_replaced_collected_and_its_balance_follows(api: Api, clock: FixedClock) -> None:
    person = api.person("110105")
    card = api.card(person["person_id"], "ICBC")
    api.deposit(person["person_id"], 12_345)
    hotline = api.call(
        "POST",
        f"/v1/cards/{card['card_no']}/loss-reports",
        api.headers(Role.OPERATOR, "110000"),
        json={
            "kind": "provisional",
            "channel": "hotline",
            "reporter": {"relation": "self", "name": "王小明", "id_number": person["id_number"]},
        },
    )
    assert hotline.status_code == 201, hotline.text
    assert hotline.json()["card_status"] == "provisional_loss"
    assert hotline.json()["risk"] == "none"
    replacement = api.replace(card["card_no"], "lost")
    assert replacement["fee"] == 2000
    assert replacement["status"] == "in_production"
    assert replacement["new_card_no"] != card["card_no"]
    early = api.call(
        "POST",
        f"/v1/replacements/{replacement['replacement_id']}/collect",
        api.clerk,
        json={"id_number": person["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]},
    )
    assert early.status_code == 409
    assert early.json()["code"] == "not_ready"
    clock.advance(timedelta(days=30))
    collected = api.call(
        "POST",
        f"/v1/replacements/{replacement['replacement_id']}/collect",
        api.clerk,
        json={"id_number": person["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]},
    )
    assert collected.status_code == 200, collected.text
    assert collected.json()["old_card"]["status"] == "replaced"
    assert collected.json()["old_card"]["replaced_by"] == replacement["new_card_no"]
    assert collected.json()["new_card"]["status"] == "unactivated"
    assert collected.json()["new_card"]["replacement_for"] == card["card_no"]
    activated = api.call("POST", f"/v1/cards/{replacement['new_card_no']}/activate", api.clerk, json={"pin": DEMO_PIN})
    assert activated.status_code == 200
    after = api.call("GET", f"/v1/replacements/{replacement['replacement_id']}", api.clerk).json()
    assert after["transfer"]["held_amount"] == 12_345
    assert after["transfer"]["transferred_at"] is not None
    postings = api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.clerk).json()["items"]
    assert [(p["kind"], p["amount"]) for p in postings[:2]] == [("transfer_in", 12_345), ("transfer_out", -12_345)]
    assert api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"] == 12_345
    events = api.call("GET", "/v1/bank-events", api.headers(Role.BANK, "110000", bank="ICBC")).json()["items"]
    assert [e["kind"] for e in events] == ["loss", "replacement", "replacement"]
