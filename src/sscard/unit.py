"""A unit of work: one transaction, one instant, one actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from sscard.events import Audited, Event

if TYPE_CHECKING:
    from sscard.policy.rules import Policy
    from sscard.roles import Principal
    from sscard.runtime import Runtime


@dataclass(frozen=True)
class Unit:
    """What a service needs from its caller. Services flush; the caller commits."""

    session: Session
    runtime: Runtime
    actor: Principal
    now: datetime
    request_id: str | None = None

    def publish(self, event: Event) -> None:
        """Record what happened: its handlers run now, in this transaction; its
        deliveries (SMS, bank push) after this transaction commits."""
        self.runtime.bus.publish(self, event)

    def audit(self, action: str, obj: tuple[str, object], region: str | None, **detail: Any) -> None:
        """Append an audit event for a state change made in this unit."""
        object_type, object_id = obj
        self.publish(Audited(action, object_type, str(object_id), region, detail))

    def policy(self, region: str) -> Policy:
        """The policy in force for a region now."""
        return self.runtime.policy(self.session, region)
