"""Schemathesis over the served /openapi.json with a token for every role (issue 11).

Every operation, on both databases, a few generated requests each, sent once per
role: no 500, and the status, content type, headers and body the document declares.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.schemas import BaseSchema

from sscard.roles import Role
from tests.api import Api

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# The stream never ends by itself; its contract is tested in tests/invalid_list.
NOT_FUZZED = "/v1/invalid-list/stream"


@pytest.fixture
def served_schema(api: Api) -> BaseSchema:
    """The document the running app serves, each case called on that app."""
    return schemathesis.openapi.from_asgi("/openapi.json", api.client.app).exclude(path=NOT_FUZZED)


@pytest.fixture
def every_role(api: Api) -> list[dict[str, str]]:
    """Authorization for each role, a national one where roles have a scope, and none."""
    staff = [api.headers(role) for role in Role if role not in {Role.TERMINAL, Role.CARDHOLDER, Role.BANK}]
    person = api.person("110105")
    holder = api.holder(person)
    return [*staff, api.headers(Role.BANK, bank="ICBC"), holder, api.terminal(), {}]


SETTINGS = settings(
    max_examples=6,  # each sent once per role: about 4,000 requests over both databases
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def all_operations(schema: BaseSchema) -> list[APIOperation[Any, Any, Any, Any]]:
    """The document's operations; one it cannot read fails the test."""
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    return operations


def test_issue_11_no_input_breaks_the_contract(served_schema: BaseSchema, every_role: list[dict[str, str]]) -> None:
    failures, answered = [], Counter[tuple[str, int]]()
    operations = all_operations(served_schema)
    for operation in operations:

        @SETTINGS
        @given(case=st.one_of([operation.as_strategy(mode) for mode in GenerationMode]))
        def call_as_everyone(case: Case[Any]) -> None:
            for headers in every_role:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                answered[case.operation.label, response.status_code] += 1

        try:
            call_as_everyone()
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 (every operation's failure is reported)
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
    # The run reached every operation, and some of them got past access and validation.
    assert {label for label, _ in answered} == {operation.label for operation in operations}
    assert sum(n for (_, status), n in answered.items() if status < 300) > len(answered) / 10
    if os.environ.get("SSCARD_FUZZ_REPORT"):
        print(sorted(answered.items()))
