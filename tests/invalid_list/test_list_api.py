"""The invalid list through the API (R-INV-1, R-INV-2, R-INV-3).

API.md /v1/invalid-list/{changes,snapshot,inquiry}, /v1/terminals/me/sync, /v1/terminals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx2 import Response
from sqlalchemy import delete

from sscard.clock import FixedClock
from sscard.invalid_list.binary import MEDIA_TYPE, decode
from sscard.invalid_list.models import ListChange
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from tests.api import Api

Json = dict[str, Any]
# GET /v1/terminals calls SQLAlchemy's deprecated Result.tuples(); the lag rules are
# tested past that warning here, and test_r_inv_3_admins_list_the_terminals shows it.
past_deprecation = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SADeprecationWarning")


def bank(api: Api) -> dict[str, str]:
    return api.headers(Role.BANK, bank="ICBC")


def card_in(api: Api, region: str = "110105") -> str:
    return str(api.card(int(api.person(region)["person_id"]))["card_no"])


def changes(api: Api, since: int, who: dict[str, str] | None = None, **params: Any) -> Response:
    return api.call("GET", "/v1/invalid-list/changes", who or bank(api), params={"since": since} | params)


def snapshot(
    api: Api, scope: str | None = None, who: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> Response:
    params = {"scope": scope} if scope else {}
    return api.call("GET", "/v1/invalid-list/snapshot", (who or bank(api)) | (headers or {}), params=params)


def version(api: Api) -> int:
    return int(snapshot(api, "000000").json()["version"])


def listed(api: Api, scope: str) -> dict[str, str]:
    response = snapshot(api, scope)
    assert response.status_code == 200, response.text
    return {c["card_no"]: c["reason"] for c in response.json()["cards"]}


def inquiry(api: Api, who: dict[str, str], card_no: str, scope: str | None = None) -> Response:
    params = {"card_no": card_no} | ({"scope": scope} if scope else {})
    return api.call("GET", "/v1/invalid-list/inquiry", who, params=params)


def collect(api: Api, card_no: str, reason: str) -> None:
    """Apply for a replacement and collect the new card on the spot."""
    api.call("PUT", "/v1/regions/110105/policy", api.admin, json={"production_working_days": 0})
    replacement = api.replace(card_no, reason)
    card = api.call("GET", f"/v1/cards/{card_no}", api.admin).json()
    person = api.call("GET", f"/v1/persons/{card['person_id']}", api.admin).json()
    body = {"id_number": person["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]}
    collected = api.call("POST", f"/v1/replacements/{replacement['replacement_id']}/collect", api.clerk, json=body)
    assert collected.status_code == 200, collected.text


def problem(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


# --- R-INV-1: what goes on the list, and the versions that record it --------------------------


def test_r_inv_1_each_change_appends_the_next_version(api: Api, clock: FixedClock) -> None:
    base = version(api)
    lost, damaged, demagnetized, expired = (card_in(api) for _ in range(4))
    api.report_loss(lost)
    clock.advance(timedelta(minutes=1))
    api.report_loss(lost, "formal")  # still `lost`: nothing to tell the terminals
    assert api.call("POST", f"/v1/cards/{lost}/loss-reports/lift", api.clerk, json={}).status_code == 200
    api.replace(demagnetized, "demagnetized")
    api.replace(expired, "expired")
    clock.advance(timedelta(minutes=1))
    collect(api, damaged, "damaged")
    response = changes(api, base)
    assert response.status_code == 200, response.text
    body = response.json()
    got = [(c["version"], c["card_no"], c["op"], c["reason"]) for c in body["changes"]]
    assert got == [
        (base + 1, lost, "add", "lost"),
        (base + 2, lost, "remove", "lost"),
        (base + 3, demagnetized, "add", "demagnetized"),
        (base + 4, expired, "add", "expired"),
        (base + 5, damaged, "add", "damaged"),
        (base + 6, damaged, "add", "replaced"),
    ]
    assert body["version"] == base + 6
    assert datetime.fromisoformat(body["changes"][0]["at"]) == clock.now() - timedelta(minutes=2)
    assert changes(api, base + 6).json() == {"version": base + 6, "changes": []}
    assert [c["version"] for c in changes(api, base + 4).json()["changes"]] == [base + 5, base + 6]


@pytest.mark.parametrize("reason", ["damaged", "demagnetized", "expired"])
def test_r_inv_1_a_card_that_no_longer_works_is_invalid_from_the_application(api: Api, reason: str) -> None:
    card_no = card_in(api)
    api.deposit(int(api.call("GET", f"/v1/cards/{card_no}", api.admin).json()["person_id"]), 1_000)
    api.replace(card_no, reason)
    read = inquiry(api, api.terminal(), card_no).json()
    assert (read["invalid"], read["reason"]) == (True, reason)
    settled = api.settle(api.terminal(), card_no, 100)
    assert (settled.status_code, settled.json()["code"]) == (402, "card_invalid")


def test_r_inv_1_a_replaced_card_keeps_the_instant_it_first_became_invalid(api: Api, clock: FixedClock) -> None:
    card_no = card_in(api)
    api.report_loss(card_no)
    reported = clock.now()
    clock.advance(timedelta(hours=2))
    collect(api, card_no, "lost")
    [entry] = [c for c in snapshot(api, "110100").json()["cards"] if c["card_no"] == card_no]
    assert entry["reason"] == "replaced"
    assert datetime.fromisoformat(entry["since"]) == reported
    read = inquiry(api, api.clerk, card_no).json()
    assert (read["reason"], datetime.fromisoformat(read["since"])) == ("replaced", reported)


# --- R-INV-3: snapshot, ETag, binary form, 410 ---------------------------------------------------


def test_r_inv_3_the_binary_snapshot_carries_the_same_list_as_the_json(api: Api) -> None:
    cards = [card_in(api, region) for region in ("110105", "110101", "130702", "510703", "110105")]
    for card_no in cards[:4]:
        api.report_loss(card_no)
    api.replace(cards[4], "demagnetized")
    for scope in ("000000", "110100", "130000"):
        as_json = snapshot(api, scope)
        as_binary = snapshot(api, scope, headers={"accept": MEDIA_TYPE})
        assert as_binary.status_code == 200, as_binary.text
        assert as_binary.headers["content-type"] == MEDIA_TYPE
        assert as_binary.headers["etag"] == as_json.headers["etag"]
        decoded = decode(as_binary.content)
        body = as_json.json()
        assert (decoded.version, decoded.scope) == (body["version"], body["scope"])
        assert decoded.cards == {c["card_no"]: c["reason"] for c in body["cards"]}
    assert set(decode(snapshot(api, "000000", headers={"accept": MEDIA_TYPE}).content).cards) >= set(cards)


def test_r_inv_3_the_etag_is_the_version_and_an_unchanged_list_is_304(api: Api) -> None:
    api.report_loss(card_in(api))
    first = snapshot(api, "110100")
    etag = first.headers["etag"]
    assert etag == f'"{first.json()["version"]}"'
    for accept in ("application/json", MEDIA_TYPE):
        unchanged = snapshot(api, "110100", headers={"accept": accept, "if-none-match": etag})
        assert unchanged.status_code == 304
        assert unchanged.content == b""
        assert unchanged.headers["etag"] == etag
    api.report_loss(card_in(api, "510703"))  # any new version, even elsewhere, is a new ETag
    changed = snapshot(api, "110100", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] == f'"{first.json()["version"] + 1}"'


def test_r_inv_3_a_version_never_handed_out_needs_a_snapshot(api: Api) -> None:
    api.report_loss(card_in(api))
    current = version(api)
    problem(changes(api, current + 1), 410, "snapshot_required")
    assert changes(api, -1).status_code == 422


def test_r_inv_3_a_version_older_than_the_kept_log_needs_a_snapshot(api: Api, rt: Runtime) -> None:
    base = version(api)
    cards = [card_in(api) for _ in range(4)]
    for card_no in cards:
        api.report_loss(card_no)
    with rt.sessions.begin() as session:  # the log compacted up to base + 2
        session.execute(delete(ListChange).where(ListChange.version <= base + 2))
    problem(changes(api, base), 410, "snapshot_required")
    problem(changes(api, base + 1), 410, "snapshot_required")
    kept = changes(api, base + 2).json()
    assert [c["card_no"] for c in kept["changes"]] == cards[2:]
    assert kept["version"] == base + 4


def test_r_inv_3_changes_come_in_pages_that_end_on_the_last_version_given(api: Api) -> None:
    base = version(api)
    cards = [card_in(api) for _ in range(3)]
    for card_no in cards:
        api.report_loss(card_no)
    page = changes(api, base, limit=2).json()
    assert ([c["card_no"] for c in page["changes"]], page["version"]) == (cards[:2], base + 2)
    rest = changes(api, page["version"], limit=2).json()
    assert ([c["card_no"] for c in rest["changes"]], rest["version"]) == (cards[2:], base + 3)


def test_r_inv_3_only_terminals_and_banks_download_the_list(api: Api) -> None:
    for who in (api.clerk, api.admin, api.headers(Role.CARDHOLDER, "110105", person_id=1)):
        assert snapshot(api, "110100", who).status_code == 403
        assert changes(api, 0, who).status_code == 403
    assert api.call("GET", "/v1/invalid-list/snapshot").status_code == 401
    assert snapshot(api, "110100", api.terminal()).status_code == 200


# --- R-INV-2: three levels, each seeing its own area --------------------------------------------


def test_r_inv_2_each_level_lists_the_invalid_cards_of_its_own_area(api: Api) -> None:
    base = version(api)
    chaoyang, dongcheng, qiaodong, fucheng = (card_in(api, r) for r in ("110105", "110101", "130702", "510703"))
    for card_no in (chaoyang, dongcheng, qiaodong, fucheng):
        api.report_loss(card_no)
    mine = {chaoyang, dongcheng, qiaodong, fucheng}
    assert set(listed(api, "110100")) & mine == {chaoyang, dongcheng}
    assert set(listed(api, "110000")) & mine == {chaoyang, dongcheng}
    assert set(listed(api, "130700")) & mine == {qiaodong}
    assert set(listed(api, "130000")) & mine == {qiaodong}
    assert set(listed(api, "000000")) & mine == mine
    district = snapshot(api, "110105").json()
    assert district["scope"] == "110100"
    assert {c["card_no"] for c in district["cards"]} & mine == {chaoyang, dongcheng}
    terminal = snapshot(api, who=api.terminal("130702")).json()
    assert terminal["scope"] == "130700"
    assert {c["card_no"] for c in terminal["cards"]} & mine == {qiaodong}
    hebei = changes(api, base, scope="130000").json()
    assert ([c["card_no"] for c in hebei["changes"]], hebei["version"]) == ([qiaodong], base + 4)
    assert snapshot(api, "11010").status_code == 422


def test_r_inv_2_the_inquiry_answers_for_the_level_asked(api: Api, clock: FixedClock) -> None:
    beijing, hebei, active = card_in(api, "110105"), card_in(api, "130702"), card_in(api, "110101")
    api.report_loss(beijing)
    api.report_loss(hebei)
    terminal = api.terminal("110105")
    read = inquiry(api, terminal, beijing).json()
    assert read == {
        "card_no": beijing,
        "invalid": True,
        "reason": "lost",
        "since": read["since"],
        "level": "city",
        "scope": "110100",
    }
    assert datetime.fromisoformat(read["since"]) == clock.now()
    other_area = inquiry(api, terminal, hebei).json()
    assert (other_area["invalid"], other_area["reason"], other_area["since"]) == (False, None, None)
    province = inquiry(api, terminal, hebei, "130000").json()
    assert (province["invalid"], province["level"], province["scope"]) == (True, "province", "130000")
    national = inquiry(api, api.clerk, hebei).json()
    assert (national["invalid"], national["level"], national["scope"]) == (True, "national", "000000")
    assert inquiry(api, bank(api), active).json()["invalid"] is False


def test_r_inv_2_the_inquiry_is_for_staff_terminals_and_banks_within_their_scope(api: Api) -> None:
    card_no = card_in(api, "130702")
    api.report_loss(card_no)
    beijing_clerk = api.headers(Role.CLERK, "110000")
    problem(inquiry(api, beijing_clerk, card_no, "130700"), 403, "out_of_region")
    assert inquiry(api, beijing_clerk, card_no).json()["invalid"] is False
    assert inquiry(api, api.headers(Role.OPERATOR, "130000"), card_no).json()["invalid"] is True
    assert inquiry(api, api.headers(Role.CARDHOLDER, "130702", person_id=1), card_no).status_code == 403
    assert inquiry(api, api.clerk, "not-a-card").status_code == 404


# --- R-INV-3: what each terminal applied, and which lag -----------------------------------------


def pharmacy(api: Api, region: str = "110105") -> tuple[int, dict[str, str]]:
    body = {"name": "社区药房", "kind": "pharmacy", "region": region, "designated": True}
    institution_id = int(api.call("POST", "/v1/institutions", api.admin, json=body).json()["institution_id"])
    created = api.call("POST", f"/v1/institutions/{institution_id}/terminals", api.admin).json()
    principal = Principal(
        subject=created["terminal_id"], role=Role.TERMINAL, region=region, institution_id=institution_id
    )
    return institution_id, api.as_principal(principal)


def sync(api: Api, terminal: dict[str, str], to: Any) -> Response:
    return api.call("POST", "/v1/terminals/me/sync", terminal, json={"version": to})


def terminals(api: Api, who: dict[str, str] | None = None, **params: Any) -> dict[int, Json]:
    response = api.call("GET", "/v1/terminals", who or api.admin, params=params)
    assert response.status_code == 200, response.text
    return {item["institution_id"]: item for item in response.json()["items"]}


def test_r_inv_3_admins_list_the_terminals(api: Api, clock: FixedClock) -> None:
    """R-INV-3: the center records each terminal's list version and when it last synced."""
    institution_id, terminal = pharmacy(api)
    api.report_loss(card_in(api))
    current = version(api)
    clock.advance(timedelta(minutes=3))
    assert sync(api, terminal, current).status_code == 204
    response = api.call("GET", "/v1/terminals", api.admin)
    assert response.status_code == 200, response.text
    [item] = [i for i in response.json()["items"] if i["institution_id"] == institution_id]
    assert (item["list_version"], item["lagging"], item["behind_since"]) == (current, False, None)
    assert datetime.fromisoformat(item["list_synced_at"]) == clock.now()
    assert response.json()["current_version"] == current


@past_deprecation
def test_r_inv_3_a_terminal_reports_only_versions_that_exist(api: Api) -> None:
    institution_id, terminal = pharmacy(api)
    api.report_loss(card_in(api))
    current = version(api)
    for bad in (current + 1, -1, str(current), 1.5):
        problem(sync(api, terminal, bad), 422, "invalid_request")
    assert terminals(api)[institution_id]["list_version"] is None
    assert sync(api, terminal, current).status_code == 204
    assert sync(api, terminal, 0).status_code == 204  # a terminal that reset its copy says so
    assert terminals(api)[institution_id]["list_version"] == 0
    assert sync(api, api.clerk, current).status_code == 403


@past_deprecation
def test_r_inv_3_a_terminal_lags_once_its_oldest_unapplied_change_is_older_than_the_limit(
    api: Api, clock: FixedClock
) -> None:
    synced_id, synced = pharmacy(api)
    idle_id, _ = pharmacy(api)
    assert not terminals(api)[idle_id]["lagging"]  # nothing to apply yet
    api.report_loss(card_in(api))
    first_change = clock.now()
    assert sync(api, synced, version(api)).status_code == 204
    clock.advance(timedelta(minutes=30))
    assert {i for i, t in terminals(api, lagging="true").items() if i in (synced_id, idle_id)} == set()
    clock.advance(timedelta(seconds=1))
    lagging = terminals(api, lagging="true")
    assert idle_id in lagging
    assert synced_id not in lagging
    assert datetime.fromisoformat(lagging[idle_id]["behind_since"]) == first_change
    assert synced_id in terminals(api, lagging="false")
    api.report_loss(card_in(api))
    clock.advance(timedelta(minutes=31))
    assert {synced_id, idle_id} <= set(terminals(api, lagging="true"))


@past_deprecation
def test_r_inv_3_the_tolerated_lag_is_the_terminals_regional_policy(api: Api, clock: FixedClock) -> None:
    put = api.call("PUT", "/v1/regions/110105/policy", api.admin, json={"max_list_lag_minutes": 5})
    assert put.status_code == 200, put.text
    beijing_id, _ = pharmacy(api, "110105")
    mianyang_id, _ = pharmacy(api, "510703")
    api.report_loss(card_in(api))
    clock.advance(timedelta(minutes=6))
    lagging = terminals(api, lagging="true")
    assert beijing_id in lagging
    assert mianyang_id not in lagging
    sichuan = terminals(api, api.headers(Role.ADMIN, "510000"))
    assert mianyang_id in sichuan
    assert beijing_id not in sichuan
    assert api.call("GET", "/v1/terminals", api.clerk).status_code == 403
