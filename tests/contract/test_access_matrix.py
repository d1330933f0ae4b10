"""Every operation by every role, in scope and out of it (issue 11; R-SEC-1).

DECISIONS is the access decision of each operation of the served contract: the roles
that may call it, and how its scope is decided (SCOPE). An operation added without an
entry, or an entry whose operation is gone, fails `test_every_operation_has_an_access_
decision`; an operation that names an object or a region needs a request in REQUESTS
too, or `test_every_scoped_operation_has_a_request` fails.

Two worlds are built once per module: Beijing's (a person with a card, a replacement, a
settlement and a claim with a scan; an institution, a terminal, a login) and Hebei's
(the same in Zhangjiakou). Every caller is of Beijing: staff scoped to 110000, the bank
ICBC in 110000, a terminal of a Chaoyang pharmacy, the holder who is Beijing's person.
For each operation and each role:

- a role the table does not allow gets 401 without a token, 403 `forbidden` with one;
- an allowed role asking about Beijing's objects gets past every access and scope check
  (whatever the answer is otherwise: the objects change as the test goes);
- an allowed role asking about Hebei's objects (for the holder: another person's) is
  refused by scope (403 `out_of_region` or `forbidden`, 402 `outside_issuing_region`, or
  404 `not_found`: the object exists, so that is its being hidden),
  or, for a listing, answered without any of them (LISTED), unless SCOPE says why the
  operation has no scope for that role.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from sscard.app import create_app
from sscard.clock import FixedClock
from sscard.roles import Role
from sscard.runtime import Runtime, build_runtime
from tests import factories
from tests.api import DEMO_PIN, Api
from tests.conftest import START, make_settings

A, C, OP, B, T, U, H = (
    Role.ADMIN,
    Role.CLERK,
    Role.OPERATOR,
    Role.BANK,
    Role.TERMINAL,
    Role.AUDITOR,
    Role.CARDHOLDER,
)
ANYONE = frozenset(Role) | {None}  # no token needed
STAFF = frozenset({A, C, OP, B, U})


@dataclass(frozen=True)
class Scoped:
    """Out of scope is refused. `unscoped` names roles for which the operation has no
    scope, each with the reason."""

    unscoped: Mapping[Role, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Listed:
    """A listing: out of scope, the other world's objects are left out of the answer."""


@dataclass(frozen=True)
class Unscoped:
    """The operation names no object and no region; the reason says why that is right."""

    reason: str


SCOPED, LISTED = Scoped(), Listed()
Scope = Scoped | Listed | Unscoped
PUBLIC = Unscoped("public: the same answer for everyone")
ANYWHERE = "a card settles at any designated institution, its PIN the proof (R-SET-1, R-SET-4)"
THE_LIST = "the invalid list is for every terminal and bank, wherever the card presented was issued (R-INV-2)"

DECISIONS: dict[str, tuple[frozenset[Role | None], Scope]] = {
    "DELETE /v1/regions/{code}/calendar/{day}": (frozenset({A}), SCOPED),
    "GET /healthz": (ANYONE, PUBLIC),
    "GET /livez": (ANYONE, PUBLIC),
    "GET /v1/audit": (frozenset({A, U}), LISTED),
    "GET /v1/bank-events": (frozenset({B}), LISTED),
    "GET /v1/cards/{card_no}": (STAFF | {H}, SCOPED),
    "GET /v1/cards/{card_no}/history": (STAFF | {H}, SCOPED),
    "GET /v1/cards/{card_no}/loss-reports": (STAFF | {H}, SCOPED),
    "GET /v1/claims": (frozenset({A, C, H}), LISTED),
    "GET /v1/claims/{claim_id}": (frozenset({A, C, H}), SCOPED),
    "GET /v1/claims/{claim_id}/scans/{sha256}": (frozenset({A, C, H}), SCOPED),
    "GET /v1/compensations": (STAFF | {H}, SCOPED),
    "GET /v1/guide": (ANYONE, PUBLIC),
    "GET /v1/documents": (ANYONE, PUBLIC),
    "GET /v1/invalid-list/changes": (frozenset({B, T}), Unscoped(THE_LIST)),
    "GET /v1/invalid-list/inquiry": (frozenset({A, C, OP, B, T, U}), Scoped({B: THE_LIST, T: THE_LIST})),
    "GET /v1/invalid-list/snapshot": (frozenset({B, T}), Unscoped(THE_LIST)),
    "GET /v1/invalid-list/stream": (frozenset({B, T}), Unscoped(THE_LIST)),
    "GET /v1/persons/{person_id}": (STAFF | {H}, SCOPED),
    "GET /v1/persons/{person_id}/postings": (STAFF | {H}, SCOPED),
    "GET /v1/regions/{code}/calendar": (STAFF, Unscoped("every region's working days are public knowledge")),
    "GET /v1/regions/{code}/policy": (STAFF, Unscoped("staff read any region's policy (fees, hotline)")),
    "GET /v1/replacements/{replacement_id}": (STAFF | {H}, SCOPED),
    "GET /v1/terminals": (frozenset({A}), LISTED),
    "GET /v1/users": (frozenset({A}), LISTED),
    "PATCH /v1/users/{username}": (frozenset({A}), SCOPED),
    "POST /v1/auth/token": (ANYONE, Unscoped("signing in: the credentials decide")),
    "POST /v1/cards/{card_no}/activate": (frozenset({C, B, H}), SCOPED),
    "POST /v1/cards/{card_no}/balance-inquiry": (frozenset({B, T}), Scoped({T: ANYWHERE})),
    "POST /v1/cards/{card_no}/loss-reports": (frozenset({C, OP, B, H}), SCOPED),
    "POST /v1/cards/{card_no}/loss-reports/lift": (frozenset({C, B, H}), SCOPED),
    "POST /v1/cards/{card_no}/pin/unlock": (frozenset({C, B}), SCOPED),
    "POST /v1/cards/{card_no}/replacements": (frozenset({C, B}), SCOPED),  # a bank for its own cards (R-LOSS-8)
    "POST /v1/cards/{card_no}/cancellation": (frozenset({C}), SCOPED),
    "GET /v1/cards/{card_no}/personalization": (frozenset({A}), SCOPED),
    "GET /v1/persons": (STAFF, LISTED),
    "GET /v1/persons/{person_id}/notifications": (STAFF | {H}, SCOPED),
    "GET /v1/replacements": (frozenset({A, C, B}), SCOPED),
    "GET /v1/replacements/{replacement_id}/certificate.pdf": (frozenset({C, B, H}), SCOPED),
    "PUT /v1/banks/{bank}/endpoint": (
        frozenset({A, B}),
        Scoped({A: "a bank is national: any admin keeps its endpoint; a bank only its own"}),
    ),
    "POST /v1/claims": (frozenset({C, H}), SCOPED),
    "POST /v1/claims/{claim_id}/decision": (frozenset({A, C}), SCOPED),
    "POST /v1/claims/{claim_id}/scans": (frozenset({C, H}), SCOPED),
    "POST /v1/institutions": (frozenset({A}), SCOPED),
    "POST /v1/institutions/{institution_id}/terminals": (frozenset({A}), SCOPED),
    "POST /v1/persons": (frozenset({A, C}), SCOPED),
    "POST /v1/persons/{person_id}/cards": (frozenset({C}), SCOPED),
    "POST /v1/persons/{person_id}/deposits": (frozenset({A, B}), SCOPED),
    "POST /v1/persons/{person_id}/e-certificates": (frozenset({H}), SCOPED),
    "POST /v1/replacements/{replacement_id}/bank-cancellation": (frozenset({B}), SCOPED),
    "POST /v1/replacements/{replacement_id}/clearing-notice": (frozenset({C}), SCOPED),
    "POST /v1/replacements/{replacement_id}/collect": (frozenset({C, B}), SCOPED),  # a bank its own (R-LOSS-8)
    "POST /v1/settlements": (frozenset({T}), Scoped({T: ANYWHERE})),
    "POST /v1/settlements/offline": (
        frozenset({T}),
        Unscoped("decided per transaction, each with its own code (tests/settlement, R-SET-6)"),
    ),
    "POST /v1/settlements/{settlement_id}/refund": (frozenset({T}), SCOPED),
    "POST /v1/terminals/me/sync": (frozenset({T}), Unscoped("a terminal reports only its own version")),
    "PATCH /v1/terminals/{terminal_id}": (frozenset({A}), SCOPED),
    "POST /v1/terminals/{terminal_id}/secret": (frozenset({A}), SCOPED),
    "POST /v1/users": (frozenset({A}), SCOPED),
    "POST /v1/users/{username}/password": (frozenset({A}), SCOPED),
    "PUT /v1/cards/{card_no}/pin": (frozenset({B, H}), SCOPED),
    "PUT /v1/regions/{code}/calendar/{day}": (frozenset({A}), SCOPED),
    "PUT /v1/regions/{code}/policy": (frozenset({A}), SCOPED),
}
# Opening an event stream as an allowed role would not end; its access is tested in
# tests/invalid_list. It still needs a decision here.
NOT_CALLED = {"GET /v1/invalid-list/stream"}


@dataclass
class World:
    """One province's objects, by the name of the path parameter (or field) that names them."""

    values: dict[str, Any]
    # What of this world may not show in another world's listing.
    markers: set[str] = field(default_factory=set)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


@dataclass(frozen=True)
class Request:
    """How an operation is called on a world: query and body, built from its values."""

    query: Callable[[World], dict[str, Any]] = lambda _w: {}
    body: Callable[[World], dict[str, Any]] | None = None


def _claim(w: World) -> dict[str, Any]:
    expense = {"date": "2026-03-10", "institution": "某医院", "amount": 1000, "invoice_no": f"M-{w['person_id']}"}
    return {
        "person_id": w["person_id"],
        "kind": "outpatient",
        "expenses": [expense],
        "documents": ["invoice", "expense_list", "medical_record"],
    }


def _new_person(w: World) -> dict[str, Any]:
    return {
        "id_number": factories.id_number(w["district"]),
        "name": "李秀英",
        "region": w["district"],
        "scheme": "employee",
    }


_users = iter(range(1, 10_000))
# Operations called with no body (or an empty one) and only path and query from the world
# need no entry; every other operation does.
REQUESTS: dict[str, Request] = {
    "GET /v1/audit": Request(query=lambda w: {"object_id": w["card_no"], "limit": 500}),
    "GET /v1/bank-events": Request(query=lambda _w: {"since": 0, "limit": 1000}),
    "GET /v1/claims": Request(query=lambda _w: {"limit": 200}),
    "GET /v1/compensations": Request(query=lambda w: {"person_id": w["person_id"]}),
    "GET /v1/invalid-list/inquiry": Request(query=lambda w: {"card_no": w["card_no"], "scope": w["code"]}),
    "GET /v1/persons": Request(query=lambda w: {"card_no": w["card_no"]}),
    "GET /v1/replacements": Request(query=lambda w: {"region": w["code"], "limit": 100}),
    "GET /v1/terminals": Request(),
    "GET /v1/users": Request(query=lambda _w: {"limit": 200}),
    "PATCH /v1/users/{username}": Request(body=lambda _w: {"disabled": False}),
    "POST /v1/users/{username}/password": Request(body=lambda _w: {"password": "another-password-1"}),
    "POST /v1/cards/{card_no}/activate": Request(body=lambda _w: {"pin": DEMO_PIN}),
    "POST /v1/cards/{card_no}/balance-inquiry": Request(body=lambda _w: {"pin": DEMO_PIN}),
    "POST /v1/cards/{card_no}/loss-reports": Request(body=lambda _w: {"kind": "provisional", "channel": "online"}),
    "POST /v1/cards/{card_no}/replacements": Request(
        body=lambda _w: {"reason": "damaged", "documents": ["resident_id_card", "photo"]}
    ),
    "POST /v1/cards/{card_no}/cancellation": Request(
        body=lambda _w: {"reason": "request", "documents": ["resident_id_card"]}
    ),
    "PUT /v1/banks/{bank}/endpoint": Request(body=lambda _w: {"url": "https://bank.example/hook", "secret": "s" * 32}),
    "POST /v1/claims": Request(body=_claim),
    "POST /v1/claims/{claim_id}/decision": Request(body=lambda _w: {"decision": "reject", "reason": "matrix"}),
    "POST /v1/institutions": Request(
        body=lambda w: {"name": "某药房", "kind": "pharmacy", "region": w["district"], "designated": True}
    ),
    "POST /v1/persons": Request(body=_new_person),
    "POST /v1/persons/{person_id}/cards": Request(body=lambda _w: {"bank": "ICBC"}),
    "POST /v1/persons/{person_id}/deposits": Request(body=lambda _w: {"amount": 100}),
    "POST /v1/replacements/{replacement_id}/collect": Request(
        body=lambda w: {"id_number": w["id_number"], "collection_certificate_no": w["certificate_no"]}
    ),
    "POST /v1/settlements": Request(
        body=lambda w: {"card_no": w["card_no"], "pin": DEMO_PIN, "amount": 100, "category": "drug"}
    ),
    "POST /v1/settlements/{settlement_id}/refund": Request(body=lambda _w: {"amount": 1}),
    "POST /v1/terminals/me/sync": Request(body=lambda _w: {"version": 0}),
    "PATCH /v1/terminals/{terminal_id}": Request(body=lambda _w: {"disabled": False}),
    "POST /v1/users": Request(
        body=lambda w: {
            "username": f"matrix.new{next(_users)}",
            "password": "a-password-123",
            "role": "clerk",
            "region": w["district"],
        }
    ),
    "PUT /v1/cards/{card_no}/pin": Request(body=lambda _w: {"old_pin": DEMO_PIN, "new_pin": DEMO_PIN}),
    "PUT /v1/regions/{code}/calendar/{day}": Request(body=lambda _w: {"working": True, "note": "matrix"}),
    "PUT /v1/regions/{code}/policy": Request(body=lambda _w: {"hotline": "12333"}),
}
MULTIPART = {"POST /v1/claims/{claim_id}/scans"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@dataclass
class Matrix:
    api: Api
    operations: dict[str, dict[str, Any]]
    callers: dict[Role | None, dict[str, str]]
    beijing: World
    hebei: World


def _operations(client: TestClient) -> dict[str, dict[str, Any]]:
    document = client.get("/openapi.json").json()
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


@pytest.fixture(scope="module")
def matrix(engine: Engine) -> Iterator[Matrix]:
    """Both worlds and the callers, built once for the module on each database."""
    with engine.connect() as connection:
        outer = connection.begin()
        sessions = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        rt = build_runtime(make_settings(), engine=engine, sessions=sessions, clock=FixedClock(START))
        with TestClient(create_app(rt=rt, prepare=False)) as client:
            api = Api(client, rt)
            beijing, hebei = _worlds(api, rt)
            callers: dict[Role | None, dict[str, str]] = {
                role: api.headers(role, "110000", subject=f"{role.value}.beijing") for role in (A, C, OP, U)
            }
            callers |= {
                B: api.headers(B, "110000", subject="bank.beijing", bank="ICBC"),
                H: api.holder(beijing.values["person"]),
                T: beijing.values["caller_terminal"],
                None: {},
            }
            yield Matrix(api, _operations(client), callers, beijing, hebei)
        outer.rollback()


def _worlds(api: Api, rt: Runtime) -> tuple[World, World]:
    started = [_start_world(api, "110105", "110000"), _start_world(api, "130702", "130000")]
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(timedelta(days=30))  # the new cards are ready
    return _finish_world(api, started[0]), _finish_world(api, started[1])


def _start_world(api: Api, district: str, province: str) -> dict[str, Any]:
    person = api.person(district)
    old = api.card(person["person_id"])
    api.deposit(person["person_id"], 100_000)
    api.report_loss(old["card_no"])
    replacement = api.replace(old["card_no"])
    return {"district": district, "code": province, "person": person, "old": old, "replacement": replacement}


def _finish_world(api: Api, w: dict[str, Any]) -> World:
    person, replacement = w["person"], w["replacement"]
    collection = {
        "id_number": person["id_number"],
        "collection_certificate_no": replacement["collection_certificate_no"],
    }
    collected = api.call(
        "POST", f"/v1/replacements/{replacement['replacement_id']}/collect", api.clerk, json=collection
    )
    assert collected.status_code == 200, collected.text
    card_no = replacement["new_card_no"]
    activated = api.call("POST", f"/v1/cards/{card_no}/activate", api.clerk, json={"pin": DEMO_PIN})
    assert activated.status_code == 200, activated.text
    terminal = api.terminal(w["district"])
    settled = api.settle(terminal, card_no, 500)
    assert settled.status_code == 201, settled.text
    claim = api.call("POST", "/v1/claims", api.holder(person), json=_claim(World({"person_id": person["person_id"]})))
    assert claim.status_code == 201, claim.text
    claim_id = claim.json()["claim_id"]
    scan = api.call(
        "POST",
        f"/v1/claims/{claim_id}/scans",
        api.holder(person),
        files={"file": ("invoice.png", PNG + w["district"].encode())},
        data={"document": "invoice"},
    )
    assert scan.status_code == 201, scan.text
    institution = api.call(
        "POST",
        "/v1/institutions",
        api.admin,
        json={"name": "某医院", "kind": "hospital", "region": w["district"], "designated": True},
    ).json()
    target = api.call("POST", f"/v1/institutions/{institution['institution_id']}/terminals", api.admin).json()
    username = f"matrix.clerk{w['district']}"
    user = {"username": username, "password": "a-password-123", "role": "clerk", "region": w["district"]}
    assert api.call("POST", "/v1/users", api.admin, json=user).status_code == 201
    values = {
        "district": w["district"],
        "code": w["code"],
        "day": "2026-05-09",
        "person": person,
        "person_id": person["person_id"],
        "id_number": person["id_number"],
        "card_no": card_no,
        "claim_id": claim_id,
        "sha256": scan.json()["sha256"],
        "replacement_id": replacement["replacement_id"],
        "certificate_no": replacement["collection_certificate_no"],
        "settlement_id": settled.json()["settlement_id"],
        "institution_id": institution["institution_id"],
        "terminal_id": target["terminal_id"],
        "caller_terminal": terminal,
        "username": username,
        "bank": "ICBC" if w["district"].startswith("11") else "CCB",
    }
    markers = {card_no, w["old"]["card_no"], target["terminal_id"], api.terminal_id(terminal), username}
    markers |= {f"{name}={values[name]}" for name in ("person_id", "claim_id", "replacement_id", "institution_id")}
    return World(values, markers)


def _path(key: str, operation: dict[str, Any], world: World | None) -> str:
    kinds = {p["name"]: p["schema"].get("type") for p in operation.get("parameters", []) if p["in"] == "path"}

    def value(match: re.Match[str]) -> str:
        if world is not None:
            return str(world[match[1]])
        return "999999" if kinds.get(match[1]) == "integer" else "nothing.here"

    return re.sub(r"\{(\w+)\}", value, key.split(" ", 1)[1])


def call(matrix: Matrix, key: str, role: Role | None, world: World | None) -> Response:
    """The operation as `role`, on the world's objects (None: on objects that do not exist)."""
    operation = matrix.operations[key]
    request = REQUESTS.get(key, Request())
    kwargs: dict[str, Any] = {"params": request.query(world)} if world is not None else {}
    if key in MULTIPART:
        kwargs |= {"files": {"file": ("scan.png", PNG)}, "data": {"document": "invoice"}}
    elif "requestBody" in operation:
        kwargs["json"] = request.body(world) if (request.body and world is not None) else {}
    method = key.split(" ", maxsplit=1)[0]
    response = matrix.api.call(method, _path(key, operation, world), matrix.callers[role], **kwargs)
    assert response.status_code < 500, (key, role, response.text)
    return response


def refused_by_role(response: Response) -> bool:
    return response.status_code == 401 or (response.status_code == 403 and response.json()["code"] == "forbidden")


SCOPE_REFUSALS = {(403, "out_of_region"), (403, "forbidden"), (402, "outside_issuing_region")}
# Out of scope a 404 too: the other world's objects exist, so "not found" is their being
# hidden. In scope it is no refusal: an object may be gone by then (a card cancelled).
HIDDEN = (404, "not_found")


def refused_by_scope(response: Response, *, hidden_too: bool = False) -> bool:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    answer = (response.status_code, response.json().get("code"))
    return answer in SCOPE_REFUSALS or (hidden_too and answer == HIDDEN)


def shows(response: Response, world: World) -> set[str]:
    """The markers of `world` that the answer shows."""
    text = re.sub(r'"(\w+)":\s*', r"\1=", response.text)
    return {marker for marker in world.markers if re.search(rf"(?<![\w.]){re.escape(marker)}(?![\w.])", text)}


def test_every_operation_has_an_access_decision(matrix: Matrix) -> None:
    served = set(matrix.operations)
    assert served - DECISIONS.keys() == set(), "operations without an access decision"
    assert DECISIONS.keys() - served == set(), "decisions for operations that are gone"


def test_every_scoped_operation_has_a_request(matrix: Matrix) -> None:
    """An operation with a body or a scope in its query needs a request built from the worlds."""
    missing = [
        key
        for key, operation in matrix.operations.items()
        if "requestBody" in operation
        and key not in REQUESTS
        and key not in MULTIPART
        and not isinstance(DECISIONS[key][1], Unscoped)
        and operation["requestBody"].get("required")
    ]
    assert not missing, "scoped operations whose body the matrix cannot build"


@pytest.mark.parametrize("key", sorted(DECISIONS.keys() - NOT_CALLED))
def test_every_role_gets_exactly_the_access_decided(matrix: Matrix, key: str) -> None:
    roles, _ = DECISIONS[key]
    wrong = [
        f"{role}: {'allowed' if role not in roles else 'refused'}"
        for role in matrix.callers
        if refused_by_role(call(matrix, key, role, None)) == (role in roles)
    ]
    assert not wrong, f"{key}: " + ", ".join(wrong)


@pytest.mark.parametrize("key", sorted(DECISIONS.keys() - NOT_CALLED))
def test_every_allowed_role_acts_in_scope_and_only_there(matrix: Matrix, key: str) -> None:
    roles, scope = DECISIONS[key]
    wrong = []
    for role in sorted(role for role in roles if role is not None):
        inside = call(matrix, key, role, matrix.beijing)
        if refused_by_role(inside) or refused_by_scope(inside):
            wrong.append(f"{role} refused in scope: {inside.status_code} {inside.text[:200]}")
        if isinstance(scope, Unscoped) or (isinstance(scope, Scoped) and role in scope.unscoped):
            continue
        outside = call(matrix, key, role, matrix.hebei)
        if isinstance(scope, Listed):
            if outside.status_code >= 300 or shows(outside, matrix.hebei):
                wrong.append(f"{role} is shown Hebei's {sorted(shows(outside, matrix.hebei))}: {outside.status_code}")
        elif not refused_by_scope(outside, hidden_too=True):
            wrong.append(f"{role} not refused out of scope: {outside.status_code} {outside.text[:200]}")
    assert not wrong, f"{key}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("key", sorted(NOT_CALLED))
def test_operations_not_called_are_decided_too(key: str) -> None:
    assert key in DECISIONS
