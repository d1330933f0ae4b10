"""Which steps each situation takes, in order, and the rules and law behind each: pure data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from sscard.claims.rules import REQUIRED, ClaimKind
from sscard.guide.catalog import Article
from sscard.loss.rules import (
    RESIDENT_ID_CARD,
    Relation,
    Requirement,
    formal_report_requirements,
    identity_requirements,
    replacement_requirements,
)
from sscard.people.schemes import Scheme


class Situation(StrEnum):
    """What happened to the card: a replacement reason (R-REP-1), or the card was found (R-LOSS-5)."""

    LOST = "lost"
    STOLEN = "stolen"
    DAMAGED = "damaged"
    DEMAGNETIZED = "demagnetized"
    EXPIRED = "expired"
    FOUND = "found"


# The certificate shown to collect a new card (R-REP-4); the collect route takes its
# number (`collection_certificate_no`), loss/rules.py has no document name for it.
COLLECTION_CERTIFICATE = "collection_certificate"

Documents = Callable[[Scheme], list[Requirement]]


def no_documents(_: Scheme) -> list[Requirement]:
    """A step done without papers (a call, a visit to a website)."""
    return []


def _formal_in_person(scheme: Scheme) -> list[Requirement]:
    return formal_report_requirements(Relation.SELF, scheme)


def _formal_and_replacement_by_agent(scheme: Scheme) -> list[Requirement]:
    # An agent usually does both in one visit (R-LOSS-2, R-REP-2): each paper once.
    both = [*formal_report_requirements(Relation.AGENT, scheme), *replacement_requirements(Relation.AGENT)]
    return list(dict.fromkeys(both))


def _replacement_in_person(_: Scheme) -> list[Requirement]:
    return replacement_requirements(Relation.SELF)


def _replacement_by_agent(_: Scheme) -> list[Requirement]:
    return replacement_requirements(Relation.AGENT)


def _identity(_: Scheme) -> list[Requirement]:
    return identity_requirements(Relation.SELF)


def _collection(_: Scheme) -> list[Requirement]:
    # R-REP-4: collected with the resident ID card and the collection certificate.
    return [(RESIDENT_ID_CARD,), (COLLECTION_CERTIFICATE,)]


def _claim(_: Scheme) -> list[Requirement]:
    # R-CLM-1: what the claims service checks; a hospital stay's list is the longest.
    return [(document,) for document in REQUIRED[ClaimKind.INPATIENT]]


@dataclass(frozen=True, slots=True)
class StepPlan:
    """One step: its texts are the messages "{key}.title" and "{key}.where" and the
    `details` in order; `rules` and `articles` are what it comes from."""

    key: str
    rules: tuple[str, ...]
    articles: tuple[Article, ...]
    details: tuple[str, ...]
    documents: Documents = no_documents


PROVISIONAL = StepPlan(
    "provisional",
    rules=("R-LOSS-1", "R-LOSS-4", "R-LOSS-5", "R-LOSS-6"),
    articles=(Article.MEASURES_19,),
    details=("provisional.channels", "provisional.effect", "provisional.hold"),
)
# Reporting a theft to the police is advice only: no rule or article asks for it.
PROVISIONAL_STOLEN = replace(PROVISIONAL, details=(*PROVISIONAL.details, "provisional.police"))
RISK = StepPlan(
    "risk",
    rules=("R-CARD-2", "R-LIA-1", "R-LIA-2"),
    articles=(Article.MEASURES_16, Article.MEASURES_19),
    details=("risk.intro", "risk.unactivated", "risk.no_pin", "risk.pin_changed", "risk.liability"),
)
FORMAL = StepPlan(
    "formal",
    rules=("R-LOSS-2", "R-LOSS-3"),
    articles=(Article.MEASURES_19, Article.NOTICE_6),
    details=("formal.certificate", "formal.documents"),
    documents=_formal_in_person,
)
AGENT_FOR_LOSS = StepPlan(
    "agent",
    rules=("R-LOSS-2", "R-REP-2"),
    articles=(Article.MEASURES_19,),
    details=("agent.who", "agent.documents"),
    documents=_formal_and_replacement_by_agent,
)
APPLY_AFTER_LOSS = StepPlan(
    "apply_after_loss",
    rules=("R-REP-1", "R-REP-2", "R-REP-5", "R-SET-1"),
    articles=(Article.MEASURES_16, Article.NOTICE_6, Article.SOCIAL_INSURANCE_LAW_72),
    details=("apply_after_loss.documents", "fee", "apply_after_loss.old_card"),
    documents=_replacement_in_person,
)
CHECK = StepPlan(
    "check",
    rules=("R-REP-1",),
    articles=(Article.SOCIAL_INSURANCE_LAW_8, Article.NOTICE_6, Article.NOTICE_7),
    details=("check.no_report", "check.ask"),
)
APPLY = StepPlan(
    "apply",
    rules=("R-REP-1", "R-REP-2", "R-REP-5", "R-INV-1", "R-SET-1"),
    articles=(Article.MEASURES_16, Article.NOTICE_6, Article.SOCIAL_INSURANCE_LAW_72),
    details=("apply.documents", "fee", "apply.old_card"),
    documents=_replacement_in_person,
)
AGENT_FOR_REPLACEMENT = replace(AGENT_FOR_LOSS, rules=("R-REP-2",), documents=_replacement_by_agent)
MEANWHILE = StepPlan(
    "meanwhile",
    rules=("R-SET-3", "R-REP-4"),
    articles=(Article.SOCIAL_INSURANCE_LAW_29,),
    details=("meanwhile.ecert", "meanwhile.certificate", "meanwhile.limits"),
)
COLLECT = StepPlan(
    "collect",
    rules=("R-REP-3", "R-REP-4", "R-CARD-1"),
    articles=(Article.SOCIAL_INSURANCE_LAW_72,),
    details=("collect.ready", "collect.documents"),
    documents=_collection,
)
BALANCE = StepPlan(
    "balance",
    rules=("R-REP-6", "R-ACC-1"),
    articles=(Article.SOCIAL_INSURANCE_LAW_8,),
    details=("balance.same_bank", "balance.other_bank", "balance.total"),
)
CLAIM = StepPlan(
    "claim",
    rules=("R-CLM-1", "R-CLM-2"),
    articles=(
        Article.SOCIAL_INSURANCE_LAW_2,
        Article.SOCIAL_INSURANCE_LAW_26,
        Article.SOCIAL_INSURANCE_LAW_28,
        Article.SOCIAL_INSURANCE_LAW_29,
    ),
    details=("claim.when", "claim.documents", "claim.review"),
    documents=_claim,
)
SAFEKEEPING = StepPlan(
    "safekeeping",
    rules=("R-CARD-3", "R-SET-1"),
    articles=(Article.MEASURES_16, Article.SOCIAL_INSURANCE_LAW_29),
    details=("safekeeping.care", "safekeeping.pin", "safekeeping.use"),
)
LIFT = StepPlan(
    "lift",
    rules=("R-LOSS-5", "R-INV-1", "R-LOSS-6"),
    articles=(Article.MEASURES_16, Article.MEASURES_19),
    details=("lift.effect", "lift.when", "lift.only_before_replacement", "lift.documents", "lift.hold"),
    documents=_identity,
)
FOUND_AFTER_APPLYING = StepPlan(
    "found_after_applying",
    rules=("R-LOSS-5", "R-REP-5", "R-REP-6"),
    articles=(Article.MEASURES_16,),
    details=("found_after_applying.old_card", "found_after_applying.collect"),
    documents=_collection,
)
# R-CARD-2: a found card may have been seen by someone; its PIN deserves a second look.
SAFEKEEPING_FOUND = replace(
    SAFEKEEPING,
    rules=("R-CARD-2", *SAFEKEEPING.rules),
    details=("safekeeping.recheck", *SAFEKEEPING.details),
)

_AFTER_APPLYING = (MEANWHILE, COLLECT, BALANCE, CLAIM, SAFEKEEPING)
_REPLACE_ONLY = (CHECK, APPLY, AGENT_FOR_REPLACEMENT, *_AFTER_APPLYING)

PLANS: Mapping[Situation, tuple[StepPlan, ...]] = {
    Situation.LOST: (PROVISIONAL, RISK, FORMAL, AGENT_FOR_LOSS, APPLY_AFTER_LOSS, *_AFTER_APPLYING),
    Situation.STOLEN: (PROVISIONAL_STOLEN, RISK, FORMAL, AGENT_FOR_LOSS, APPLY_AFTER_LOSS, *_AFTER_APPLYING),
    Situation.DAMAGED: _REPLACE_ONLY,
    Situation.DEMAGNETIZED: _REPLACE_ONLY,
    Situation.EXPIRED: _REPLACE_ONLY,
    Situation.FOUND: (LIFT, FOUND_AFTER_APPLYING, SAFEKEEPING_FOUND),
}
