"""Which database failures are outages and what each tells the caller (issue 14)."""

from __future__ import annotations

import pytest

from sscard.outages import OUTCOME_UNKNOWN, SERVICE_UNAVAILABLE, Outage, Reason, abandoned, classify


@pytest.mark.parametrize(
    ("sqlstate", "reason"),
    [
        ("57014", Reason.STATEMENT_TIMEOUT),
        ("55P03", Reason.LOCK_TIMEOUT),
        ("57P01", Reason.SERVER_UNAVAILABLE),
        ("57P03", Reason.SERVER_UNAVAILABLE),
        ("53300", Reason.SERVER_UNAVAILABLE),
        ("08006", Reason.CONNECTION_LOST),
    ],
)
def test_a_server_that_cannot_serve_now_is_service_unavailable(sqlstate: str, reason: Reason) -> None:
    assert classify(sqlstate=sqlstate, connection_lost=False) == Outage(SERVICE_UNAVAILABLE, reason)


@pytest.mark.parametrize("sqlstate", ["23505", "23514", "22003", "42P01", "40P01", None])
def test_a_constraint_a_bad_value_or_a_bug_is_no_outage(sqlstate: str | None) -> None:
    assert classify(sqlstate=sqlstate, connection_lost=False) is None


def test_a_connection_lost_before_commit_changed_nothing() -> None:
    assert classify(sqlstate=None, connection_lost=True) == Outage(SERVICE_UNAVAILABLE, Reason.CONNECTION_LOST)


def test_a_connection_lost_during_commit_leaves_the_outcome_unknown() -> None:
    lost = classify(sqlstate=None, connection_lost=True, during_commit=True)
    assert lost == Outage(OUTCOME_UNKNOWN, Reason.CONNECTION_LOST)
    assert classify(sqlstate="08006", connection_lost=False, during_commit=True) == lost


def test_a_commit_the_server_refused_is_a_sure_answer() -> None:
    # The server answered: the transaction rolled back, whatever the reason.
    assert classify(sqlstate="57P01", connection_lost=False, during_commit=True) == Outage(
        SERVICE_UNAVAILABLE, Reason.SERVER_UNAVAILABLE
    )
    assert classify(sqlstate="40001", connection_lost=False, during_commit=True) is None


def test_no_pooled_connection_in_time_is_service_unavailable() -> None:
    assert classify(sqlstate=None, connection_lost=False, pool_timeout=True) == Outage(
        SERVICE_UNAVAILABLE, Reason.POOL_TIMEOUT
    )


@pytest.mark.parametrize("client_gone", [True, False])
def test_work_given_up_is_unknown_only_once_its_commit_was_sent(client_gone: bool) -> None:
    assert abandoned(commit_sent=False, client_gone=client_gone).code == SERVICE_UNAVAILABLE
    assert abandoned(commit_sent=True, client_gone=client_gone).code == OUTCOME_UNKNOWN
    expected = Reason.CLIENT_GONE if client_gone else Reason.DEADLINE
    assert abandoned(commit_sent=True, client_gone=client_gone).reason is expected


def test_each_answer_tells_the_caller_what_to_do() -> None:
    assert "same Idempotency-Key" in Outage(OUTCOME_UNKNOWN, Reason.CONNECTION_LOST).detail
    assert "nothing was changed" in Outage(SERVICE_UNAVAILABLE, Reason.LOCK_TIMEOUT).detail
