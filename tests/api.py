"""An HTTP test client with helpers in the domain's words."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import SecretStr
from sqlalchemy import select

from sscard.auth.models import User
from sscard.db import transaction
from sscard.institutions.models import Institution, Terminal
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.terminal.card import SoftwareCard
from tests import factories

DEMO_PIN = "246810"
METRICS_TOKEN = "metrics-" + "m" * 32


def token_for(rt: Runtime, principal: Principal) -> str:
    """A token for the principal; a login (or terminal) of that name is made first if
    there is none, since every token stands only while its login does (R-SEC-2)."""
    if principal.generation is None:
        made = terminal_generation if principal.role is Role.TERMINAL else login_generation
        principal = dataclasses.replace(principal, generation=made(rt, principal))
    return rt.tokens.issue(principal, rt.clock.now())


def terminal_generation(rt: Runtime, principal: Principal) -> int:
    """The generation of the principal's terminal; made if missing, at a designated
    pharmacy in the principal's region (or under its institution, when it names one)."""
    with transaction(rt.sessions) as session:
        terminal = session.scalars(select(Terminal).where(Terminal.terminal_id == principal.subject)).one_or_none()
        if terminal is None:
            institution_id = principal.institution_id
            if institution_id is None or session.get(Institution, institution_id) is None:
                institution = Institution(
                    name="测试药房",
                    kind="pharmacy",
                    region_code=principal.region,
                    designated=True,
                    created_at=rt.clock.now(),
                )
                session.add(institution)
                session.flush()
                institution_id = institution.id
            terminal = Terminal(
                terminal_id=principal.subject, institution_id=institution_id, secret_hash="!", created_at=rt.clock.now()
            )
            session.add(terminal)
            session.flush()
        return terminal.generation


def login_generation(rt: Runtime, principal: Principal) -> int:
    """The generation of the principal's login, made (role and region as given) if missing."""
    with transaction(rt.sessions) as session:
        user = session.scalars(select(User).where(User.username == principal.subject)).one_or_none()
        if user is None:
            user = User(
                username=principal.subject,
                password_hash="!",  # matches no password: tests sign in by token
                role=principal.role.value,
                region_code=principal.region,
                created_at=rt.clock.now(),
                created_by="tests",
            )
            session.add(user)
            session.flush()
        return user.generation


class Api:
    """Calls the real API; signs in by minting tokens with the runtime's signer."""

    def __init__(self, client: TestClient, rt: Runtime) -> None:
        self.client = client
        self.rt = rt
        self._cards: dict[str, SoftwareCard] = {}
        self._signed: dict[str, dict[str, Any]] = {}
        self._terminal_ids: dict[str, str] = {}

    def headers(self, role: Role, region: str = "000000", **extra: Any) -> dict[str, str]:
        """Authorization headers for a principal of that role and scope."""
        return self.as_principal(factories.principal(role, region, **extra))

    def as_principal(self, principal: Principal) -> dict[str, str]:
        """Authorization headers for a given principal."""
        return {"Authorization": f"Bearer {token_for(self.rt, principal)}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.headers(Role.ADMIN)

    @property
    def clerk(self) -> dict[str, str]:
        return self.headers(Role.CLERK)

    def metrics(self) -> Response:
        """GET /metrics with the metrics token (set on the runtime for the test)."""
        self.rt.settings.metrics_token = SecretStr(METRICS_TOKEN)
        return self.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    def call(self, method: str, path: str, who: dict[str, str] | None = None, **kwargs: Any) -> Response:
        """Any request, as `who`."""
        return self.client.request(method, path, headers=who or {}, **kwargs)

    def person(self, region: str = "110101", scheme: str = "employee", **fields: Any) -> dict[str, Any]:
        """Register a person through the API (as a national clerk)."""
        body = {"id_number": factories.id_number(region), "name": "王小明", "region": region, "scheme": scheme}
        response = self.client.post("/v1/persons", json=body | fields, headers=self.clerk)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def card(self, person_id: int, bank: str = "ICBC", *, activate: bool = True) -> dict[str, Any]:
        """Issue (and by default activate) a card for a person."""
        response = self.client.post(f"/v1/persons/{person_id}/cards", json={"bank": bank}, headers=self.clerk)
        assert response.status_code == 201, response.text
        card = dict(response.json())
        if activate:
            activated = self.client.post(
                f"/v1/cards/{card['card_no']}/activate", json={"pin": DEMO_PIN}, headers=self.clerk
            )
            assert activated.status_code == 200, activated.text
            card = dict(activated.json())
        return card

    def deposit(self, person_id: int, amount: int) -> int:
        """Credit an account as the national admin; the new balance."""
        response = self.client.post(f"/v1/persons/{person_id}/deposits", json={"amount": amount}, headers=self.admin)
        assert response.status_code == 201, response.text
        return int(response.json()["balance"])

    def report_loss(self, card_no: str, kind: str = "provisional", **fields: Any) -> dict[str, Any]:
        """A loss report at the counter (written when provisional); expects 201."""
        body = {"kind": kind, "channel": "written" if kind == "provisional" else "counter"} | fields
        if kind == "formal" and "documents" not in fields:
            body["documents"] = ["resident_id_card", "employer_certificate"]
        if body["channel"] in ("written", "hotline", "bank") and "reporter" not in fields:
            body["reporter"] = self.caller_of(card_no)  # R-LOSS-7: on the caller's word
        response = self.client.post(f"/v1/cards/{card_no}/loss-reports", json=body, headers=self.clerk)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def caller_of(self, card_no: str) -> dict[str, Any]:
        """What a caller who knows the holder says: name, ID number, unit (R-LOSS-7)."""
        card = self.client.get(f"/v1/cards/{card_no}", headers=self.clerk).json()
        person = self.client.get(f"/v1/persons/{card['person_id']}", headers=self.clerk).json()
        return {"name": person["name"], "id_number": person["id_number"], "unit_name": person["unit_name"]}

    def replace(self, card_no: str, reason: str = "lost", **fields: Any) -> dict[str, Any]:
        """Apply for a replacement at the counter; expects 201."""
        body = {"reason": reason, "documents": ["resident_id_card", "photo"]} | fields
        response = self.client.post(f"/v1/cards/{card_no}/replacements", json=body, headers=self.clerk)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def terminal(self, region: str = "110105", *, designated: bool = True) -> dict[str, str]:
        """Register a pharmacy with a terminal; headers for that terminal."""
        institution = self.client.post(
            "/v1/institutions",
            json={"name": "某大药房", "kind": "pharmacy", "region": region, "designated": designated},
            headers=self.admin,
        ).json()
        created = self.client.post(f"/v1/institutions/{institution['institution_id']}/terminals", headers=self.admin)
        terminal_id = created.json()["terminal_id"]
        principal = Principal(
            subject=terminal_id, role=Role.TERMINAL, region=region, institution_id=institution["institution_id"]
        )
        headers = self.as_principal(principal)
        self._terminal_ids[headers["Authorization"]] = terminal_id
        return headers

    def settle(
        self,
        terminal: dict[str, str],
        card_no: str,
        amount: int,
        *,
        pin: str = DEMO_PIN,
        category: str = "drug",
        key: str | None = None,
    ) -> Response:
        """A card-and-PIN settlement at a terminal."""
        headers = terminal | ({"Idempotency-Key": key} if key else {})
        body = {"card_no": card_no, "pin": pin, "amount": amount, "category": category}
        return self.client.post("/v1/settlements", json=body, headers=headers)

    def holder(self, person: dict[str, Any]) -> dict[str, str]:
        """Headers for the cardholder who is this person."""
        return self.headers(Role.CARDHOLDER, person["region"], person_id=person["person_id"])

    def terminal_id(self, terminal: dict[str, str]) -> str:
        """The client ID of a terminal made by `terminal()`."""
        return self._terminal_ids[terminal["Authorization"]]

    def chip(self, card_no: str) -> SoftwareCard:
        """The card's chip (R-SET-6): its key from the runtime, its counter kept across the test."""
        return self._cards.setdefault(card_no, SoftwareCard(card_no, self.rt.card_key(card_no)))

    def prove(
        self, terminal: dict[str, str], transaction: dict[str, Any], *, pin_verified: bool = True
    ) -> dict[str, Any]:
        """The offline transaction with the card's next counter and cryptogram; the same
        transaction at the same terminal gets the same proof again (a replayed upload)."""
        terminal_id = self.terminal_id(terminal)
        memo = json.dumps([terminal_id, transaction, pin_verified], sort_keys=True)
        if memo not in self._signed:
            self._signed[memo] = self.chip(transaction["card_no"]).sign(
                amount=transaction["amount"],
                category=transaction["category"],
                occurred_at=transaction["occurred_at"],
                terminal_id=terminal_id,
                pin_verified=pin_verified,
            )
        return transaction | self._signed[memo]
