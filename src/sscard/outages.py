"""What a database failure means to the caller (issue 14): pure, no driver and no web.

A failure is an outage when the service, not the request, is at fault and a retry later
can succeed: the connection was lost or could not be opened, no pooled connection came
free in time, a statement or a lock wait ran past its limit, the server is shutting
down or out of connections. The caller hears 503 `service_unavailable` — nothing was
committed, retry after a moment. One case is worse: a connection lost while its COMMIT
was on the way. The server may have committed or not, and only it can tell; until then
the answer is 503 `outcome_unknown` (retry with the same Idempotency-Key).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SERVICE_UNAVAILABLE = "service_unavailable"
OUTCOME_UNKNOWN = "outcome_unknown"
# Long enough for a PostgreSQL restart on the same machine to finish its recovery; a
# terminal that retries sooner only meets another 503.
RETRY_AFTER_SECONDS = 1


class Reason(StrEnum):
    """Why the database did not answer, as /metrics counts it."""

    CONNECTION_LOST = "connection_lost"
    POOL_TIMEOUT = "pool_timeout"
    STATEMENT_TIMEOUT = "statement_timeout"
    LOCK_TIMEOUT = "lock_timeout"
    SERVER_UNAVAILABLE = "server_unavailable"
    DEADLINE = "deadline"
    CLIENT_GONE = "client_gone"


@dataclass(frozen=True, slots=True)
class Outage:
    """The answer an outage gets: its problem code and why."""

    code: str
    reason: Reason

    @property
    def title(self) -> str:
        """The problem's title."""
        return "Outcome unknown" if self.code == OUTCOME_UNKNOWN else "Service unavailable"

    @property
    def detail(self) -> str:
        """What the caller should do, in English (problem_texts has the Chinese)."""
        if self.code == OUTCOME_UNKNOWN:
            return (
                "the database stopped answering while this request was being committed; "
                "retry with the same Idempotency-Key to learn whether it took effect"
            )
        return f"the database is not answering ({self.reason}); nothing was changed, retry after Retry-After"


# SQLSTATEs (PostgreSQL's appendix A) of a server that cannot serve now.
_BY_SQLSTATE = {
    "57014": Reason.STATEMENT_TIMEOUT,  # query_canceled: statement_timeout
    "55P03": Reason.LOCK_TIMEOUT,  # lock_not_available: lock_timeout
    "25P03": Reason.CONNECTION_LOST,  # idle_in_transaction_session_timeout
    "57P01": Reason.SERVER_UNAVAILABLE,  # admin_shutdown: `pg_ctl stop -m fast`
    "57P02": Reason.SERVER_UNAVAILABLE,  # crash_shutdown: another backend crashed
    "57P03": Reason.SERVER_UNAVAILABLE,  # cannot_connect_now: starting up, recovering
}
_BY_CLASS = {
    "08": Reason.CONNECTION_LOST,  # connection exception
    "53": Reason.SERVER_UNAVAILABLE,  # insufficient resources: too many connections, disk full
}


def classify(
    *, sqlstate: str | None, connection_lost: bool, pool_timeout: bool = False, during_commit: bool = False
) -> Outage | None:
    """The outage a database error is, or None when it is not one (a constraint, a bug).

    `during_commit` says the error arose while COMMIT was on its way: a server that
    answered is sure of its answer (a refused commit rolled back), a lost connection is not.
    """
    if pool_timeout:
        return Outage(SERVICE_UNAVAILABLE, Reason.POOL_TIMEOUT)
    if connection_lost:
        code = OUTCOME_UNKNOWN if during_commit else SERVICE_UNAVAILABLE
        return Outage(code, Reason.CONNECTION_LOST)
    reason = _BY_SQLSTATE.get(sqlstate or "") or _BY_CLASS.get((sqlstate or "")[:2])
    if reason is None:
        return None
    if reason is Reason.CONNECTION_LOST and during_commit:
        return Outage(OUTCOME_UNKNOWN, reason)
    return Outage(SERVICE_UNAVAILABLE, reason)


def abandoned(*, commit_sent: bool, client_gone: bool) -> Outage:
    """The answer to work given up at its deadline or when its client went away:
    nothing was committed unless its COMMIT had already been sent."""
    reason = Reason.CLIENT_GONE if client_gone else Reason.DEADLINE
    return Outage(OUTCOME_UNKNOWN if commit_sent else SERVICE_UNAVAILABLE, reason)
