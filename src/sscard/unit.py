"""A unit of work: one transaction, one instant, one actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sscard.audit.service import record
from sscard.auth.roles import Principal
from sscard.policy.rules import Policy
from sscard.policy.service import policy_for
from sscard.runtime import Runtime


@dataclass(frozen=True)
class Unit:
    """What a service needs from its caller. Services flush; the caller commits."""

    session: Session
    runtime: Runtime
    actor: Principal
    now: datetime
    request_id: str | None = None

    def audit(self, action: str, obj: tuple[str, object], region: str | None, **detail: Any) -> None:
        """Append an audit event for a state change made in this unit."""
        record(self, action=action, obj=obj, region=region, detail=detail)

    def policy(self, region: str) -> Policy:
        """The policy in force for a region now."""
        return policy_for(self.session, region)
