"""R-SEC-4: four eyes on claims — a claim is decided by someone other than whoever filed
it, and a payout over policy second_review_fen needs a second approver."""

from __future__ import annotations

from typing import Any

from httpx2 import Response

from sscard.clock import FixedClock
from sscard.roles import Role
from tests.api import Api
from tests.claims.test_claims_api import claim_body, collected_replacement

Json = dict[str, Any]


def reviewer(api: Api, name: str, role: Role = Role.CLERK) -> dict[str, str]:
    return api.headers(role, "110000", subject=name)


def file_as(api: Api, who: dict[str, str], person: Json, amount: int) -> Json:
    response = api.call("POST", "/v1/claims", who, json=claim_body(person, amount=amount))
    assert response.status_code == 201, response.text
    return dict(response.json())


def decide(api: Api, who: dict[str, str], claim: Json, **body: Any) -> Response:
    return api.call("POST", f"/v1/claims/{claim['claim_id']}/decision", who, json={"decision": "approve"} | body)


def balance(api: Api, person: Json) -> int:
    return int(api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"])


def claim_postings(api: Api, person: Json) -> list[int]:
    items = api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.clerk).json()["items"]
    return [p["amount"] for p in items if p["kind"] == "claim"]


def test_r_sec_4_the_clerk_who_filed_a_claim_cannot_decide_it(api: Api, clock: FixedClock) -> None:
    """The review's clerk filed a 50,000-fen claim and approved it alone."""
    person = collected_replacement(api, clock)
    wang, li = reviewer(api, "clerk.wang"), reviewer(api, "clerk.li")
    claim = file_as(api, wang, person, 50_000)
    for body in ({}, {"decision": "reject", "reason": "重复"}):
        refused = decide(api, wang, claim, **body)
        assert (refused.status_code, refused.json()["code"]) == (403, "four_eyes_required")
    assert api.call("GET", f"/v1/claims/{claim['claim_id']}", wang).json()["status"] == "submitted"
    assert claim_postings(api, person) == []
    approved = decide(api, li, claim)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], claim_postings(api, person)) == ("approved", [50_000])


def test_r_sec_4_a_payout_over_second_review_fen_needs_a_second_approver(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    claim = file_as(api, api.holder(person), person, 600_000)
    before = balance(api, person)
    first_reviewer, second = reviewer(api, "clerk.zhang"), reviewer(api, "admin.zhao", Role.ADMIN)
    first = decide(api, first_reviewer, claim, approved_amount=550_000, reason="部分自费")
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["approved_amount"]) == ("awaiting_second_review", 550_000)
    assert first.json()["decided_at"] is None
    assert (balance(api, person), claim_postings(api, person)) == (before, [])
    waiting = api.call("GET", "/v1/claims", api.clerk, params={"status": "awaiting_second_review"}).json()["items"]
    assert [c["claim_id"] for c in waiting] == [claim["claim_id"]]
    again = decide(api, first_reviewer, claim)
    assert (again.status_code, again.json()["code"]) == (403, "four_eyes_required")
    other_amount = decide(api, second, claim, approved_amount=560_000)
    assert (other_amount.status_code, other_amount.json()["code"]) == (422, "invalid_decision")
    paid = decide(api, second, claim)
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["approved_amount"], paid.json()["reason"]) == (
        "approved",
        550_000,
        "部分自费",
    )
    assert (balance(api, person), claim_postings(api, person)) == (before + 550_000, [550_000])
    late = decide(api, reviewer(api, "clerk.sun"), claim)
    assert (late.status_code, late.json()["code"]) == (409, "already_decided")


def test_r_sec_4_a_second_reviewer_may_refuse_the_first_approval(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    claim = file_as(api, api.holder(person), person, 700_000)
    assert decide(api, reviewer(api, "clerk.zhang"), claim).json()["status"] == "awaiting_second_review"
    refused = decide(api, reviewer(api, "clerk.li"), claim, decision="reject", reason="发票存疑")
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["approved_amount"]) == ("rejected", None)
    assert claim_postings(api, person) == []


def test_r_sec_4_the_limit_is_the_claims_regional_policy_and_inclusive(api: Api, clock: FixedClock) -> None:
    person = collected_replacement(api, clock)
    at_limit = file_as(api, api.holder(person), person, 500_000)
    assert decide(api, reviewer(api, "clerk.li"), at_limit).json()["status"] == "approved"
    put = api.call("PUT", "/v1/regions/110100/policy", api.admin, json={"second_review_fen": 10_000})
    assert put.status_code == 200, put.text
    small = api.call("POST", "/v1/claims", api.holder(person), json=claim_body(person, amount=10_001, invoice="S-1"))
    assert decide(api, reviewer(api, "clerk.li"), small.json()).json()["status"] == "awaiting_second_review"
