"""Build the guide for one situation, scheme, region policy and language: pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sscard.guide import en, zh
from sscard.guide.catalog import Catalog, Language
from sscard.guide.plans import PLANS, Situation, StepPlan
from sscard.loss.rules import Requirement
from sscard.people.schemes import Scheme
from sscard.policy.rules import Policy

CATALOGS: Mapping[Language, Catalog] = {Language.ZH_CN: zh.CATALOG, Language.EN: en.CATALOG}
# The policy fields the texts quote as they are; the others are phrased (lift, ready, fee).
QUOTED_FIELDS = (
    "hotline",
    "provisional_valid_days",
    "temp_certificate_valid_days",
    "claim_grace_days",
    "ecert_valid_seconds",
    "pin_max_tries",
)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to do, where, with which papers, and why (rules and law)."""

    title: str
    detail: str
    where: str
    documents: tuple[str, ...]
    documents_text: tuple[str, ...]
    legal_basis: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Guide:
    """The ordered steps for one person's situation in one region."""

    language: Language
    region: str
    situation: Situation
    scheme: Scheme
    hotline: str
    production_working_days: int
    fee: int | None
    steps: tuple[Step, ...]


def build_guide(situation: Situation, scheme: Scheme, policy: Policy, language: Language) -> Guide:
    """The guide in `language`, every number taken from `policy` (the one the services enforce)."""
    catalog = CATALOGS[language]
    values = policy_values(policy, situation, catalog)
    return Guide(
        language=language,
        region=policy.region,
        situation=situation,
        scheme=scheme,
        hotline=str(policy.hotline),
        production_working_days=int(policy.production_working_days),
        fee=fee_of(policy, situation),
        steps=tuple(build_step(plan, scheme, catalog, values) for plan in PLANS[situation]),
    )


def fee_of(policy: Policy, situation: Situation) -> int | None:
    """The replacement fee in fen (R-REP-2); None when nothing is replaced (a found card)."""
    return None if situation is Situation.FOUND else policy.fee(situation.value)


def build_step(plan: StepPlan, scheme: Scheme, catalog: Catalog, values: Mapping[str, str]) -> Step:
    """One step's texts in the catalog's language, its documents those the counter checks."""
    requirements = plan.documents(scheme)
    documents = tuple(dict.fromkeys(name for requirement in requirements for name in requirement))
    local = {**values, "documents": documents_phrase(requirements, catalog)}
    return Step(
        title=render(catalog, f"{plan.key}.title", scheme, local),
        detail=catalog.sentence_separator.join(render(catalog, part, scheme, local) for part in plan.details),
        where=render(catalog, f"{plan.key}.where", scheme, local),
        documents=documents,
        documents_text=tuple(catalog.documents[name] for name in documents),
        legal_basis=tuple(catalog.articles[article] for article in plan.articles),
        rules=plan.rules,
    )


def render(catalog: Catalog, message_id: str, scheme: Scheme, values: Mapping[str, str]) -> str:
    """A message filled in; the scheme's own variant ("id:scheme") wins when there is one."""
    template = catalog.messages.get(f"{message_id}:{scheme.value}") or catalog.messages[message_id]
    return template.format_map(values)


def documents_phrase(requirements: list[Requirement], catalog: Catalog) -> str:
    """The papers to bring, in words: alternatives joined by "or", requirements listed."""
    alternatives = (catalog.alternative_separator.join(catalog.documents[d] for d in req) for req in requirements)
    return catalog.list_separator.join(alternatives)


def policy_values(policy: Policy, situation: Situation, catalog: Catalog) -> dict[str, str]:
    """The placeholders' values: the policy's numbers, and phrases chosen by them."""
    values = {field: str(getattr(policy, field)) for field in QUOTED_FIELDS}
    values["reason"] = catalog.situations[situation.value]
    values["lift_when"] = lift_phrase(int(policy.lift_after_days), catalog)
    values["ready_when"] = ready_phrase(int(policy.production_working_days), catalog)
    values["fee_text"] = fee_phrase(fee_of(policy, situation) or 0, catalog)
    return values


def lift_phrase(days: int, catalog: Catalog) -> str:
    """When a loss can be lifted (R-LOSS-5): Zhangjiakou's 1 reads "the next day"."""
    if days == 0:
        return catalog.messages["phrase.lift_same_day"]
    if days == 1:
        return catalog.messages["phrase.lift_next_day"]
    return catalog.messages["phrase.lift_after_days"].format(lift_after_days=days)


def ready_phrase(days: int, catalog: Catalog) -> str:
    """When the new card is ready (R-REP-3): 0 working days is "on the spot"."""
    if days == 0:
        return catalog.messages["phrase.ready_on_the_spot"]
    return catalog.messages["phrase.ready_after_days"].format(production_working_days=days)


def fee_phrase(fen: int, catalog: Catalog) -> str:
    """The fee in yuan with its fen (R-ACC-1: integer fen, never a float), or "free"."""
    if fen == 0:
        return catalog.messages["phrase.fee_free"]
    return catalog.messages["phrase.fee_yuan"].format(yuan=format_yuan(fen))


def format_yuan(fen: int) -> str:
    """2050 fen → "20.50"."""
    return f"{fen // 100}.{fen % 100:02d}"


def risk_warning(risk: str, language: Language) -> str:
    """R-CARD-2: what a person is told when a card in this risk state is reported lost."""
    messages = CATALOGS[language].messages
    return messages.get(f"risk.{risk}", messages["risk.liability"])
