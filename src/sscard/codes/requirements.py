"""What each action needs, read from the very rule functions the services check, so the
list a client reads and the refusal it would get cannot disagree. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sscard.claims import rules as claims
from sscard.loss import cancellation_rules as cancellation
from sscard.loss import rules as loss
from sscard.loss.rules import Relation
from sscard.people.schemes import Scheme


class Action(StrEnum):
    FORMAL_LOSS_REPORT = "formal_loss_report"
    REPLACEMENT = "replacement"
    CANCELLATION = "cancellation"
    CLAIM = "claim"


@dataclass(frozen=True, slots=True)
class Need:
    """One action in one case: each requirement is met by any one of its documents."""

    action: Action
    requirements: list[tuple[str, ...]]
    scheme: Scheme | None = None
    relation: Relation | None = None
    reason: cancellation.CancellationReason | None = None
    kind: claims.ClaimKind | None = None


def _formal_loss_reports() -> list[Need]:
    # R-LOSS-2, R-LOSS-3
    return [
        Need(Action.FORMAL_LOSS_REPORT, loss.formal_report_requirements(relation, scheme), scheme, relation)
        for scheme in Scheme
        for relation in Relation
    ]


def _replacements() -> list[Need]:
    # R-REP-2
    return [Need(Action.REPLACEMENT, loss.replacement_requirements(r), relation=r) for r in Relation]


def _cancellations() -> list[Need]:
    # R-CARD-5
    reasons = cancellation.CancellationReason
    return [Need(Action.CANCELLATION, list(cancellation.REQUIREMENTS[r]), reason=r) for r in reasons]


def _claims() -> list[Need]:
    # R-CLM-1: every document of the kind, one each.
    return [Need(Action.CLAIM, [(d,) for d in claims.REQUIRED[k]], kind=k) for k in claims.ClaimKind]


def needs(action: Action | None = None, scheme: Scheme | None = None, relation: Relation | None = None) -> list[Need]:
    """Every case, or those of one action; a scheme or a relation picks the cases it
    applies to and leaves those it does not matter for."""
    every = [*_formal_loss_reports(), *_replacements(), *_cancellations(), *_claims()]
    return [
        need
        for need in every
        if (action is None or need.action is action)
        and (scheme is None or need.scheme in (None, scheme))
        and (relation is None or need.relation in (None, relation))
    ]
