"""build_guide, pure: every situation, scheme and language, and every number from the policy."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

import pytest

from sscard import demo
from sscard.claims import rules as claims
from sscard.guide import en, zh
from sscard.guide.build import CATALOGS, Guide, Step, build_guide, format_yuan, lift_phrase
from sscard.guide.catalog import Article, Language
from sscard.guide.plans import COLLECTION_CERTIFICATE, PLANS, Situation
from sscard.loss import rules as loss
from sscard.loss.rules import Relation, ReplacementReason
from sscard.people.schemes import Scheme
from sscard.policy.regions import lineage
from sscard.policy.rules import Policy, resolve

CJK = re.compile(r"[\u4e00-\u9fff]")
MESSAGE_ID = re.compile(r"[a-z_]\.[a-z_]")
DOMAIN_RULES = {
    "R-ACC-1",
    *(f"R-CARD-{n}" for n in (1, 2, 3)),
    *(f"R-LOSS-{n}" for n in range(1, 7)),
    *(f"R-INV-{n}" for n in (1, 2, 3)),
    *(f"R-REP-{n}" for n in range(1, 7)),
    *(f"R-SET-{n}" for n in range(1, 5)),
    "R-LIA-1",
    "R-LIA-2",
    "R-CLM-1",
    "R-CLM-2",
}
REPLACED = [s for s in Situation if s is not Situation.FOUND]
LOSS = [Situation.LOST, Situation.STOLEN]
NO_LOSS_REPORT = [Situation.DAMAGED, Situation.DEMAGNETIZED, Situation.EXPIRED]
COMBINATIONS = [(s, sc, lang) for s in Situation for sc in Scheme for lang in Language]


def policy_of(region: str, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Policy:
    """A region's policy as policy_for resolves it, from overrides by region code."""
    return resolve([(code, (overrides or {}).get(code, {})) for code in lineage(region)])


NATIONAL = policy_of("000000")


def texts(step: Step) -> list[str]:
    return [step.title, step.detail, step.where, *step.documents_text, *step.legal_basis]


def everything(guide: Guide) -> str:
    return "\n".join(text for step in guide.steps for text in texts(step))


def flat(requirements: list[loss.Requirement]) -> list[str]:
    return list(dict.fromkeys(name for requirement in requirements for name in requirement))


@pytest.mark.parametrize(("situation", "scheme", "language"), COMBINATIONS)
def test_every_step_is_complete_cited_and_in_its_language(
    situation: Situation, scheme: Scheme, language: Language
) -> None:
    guide = build_guide(situation, scheme, NATIONAL, language)
    assert guide.steps
    assert (guide.language, guide.situation, guide.scheme, guide.region) == (language, situation, scheme, "000000")
    for step in guide.steps:
        assert step.legal_basis, step.title
        assert step.rules, step.title
        assert set(step.rules) <= DOMAIN_RULES
        assert set(step.legal_basis) <= set(CATALOGS[language].articles.values())
        assert len(step.documents) == len(step.documents_text) == len(set(step.documents))
        for text in texts(step):
            assert text.strip()
            assert not set("{}") & set(text), text
            assert not MESSAGE_ID.search(text), text
            assert bool(CJK.search(text)) is (language is Language.ZH_CN), text


@pytest.mark.parametrize("scheme", Scheme)
@pytest.mark.parametrize("situation", LOSS)
def test_a_loss_starts_with_the_provisional_report_then_the_formal_one(situation: Situation, scheme: Scheme) -> None:
    guide = build_guide(situation, scheme, NATIONAL, Language.EN)
    first = guide.steps[0]
    assert "R-LOSS-1" in first.rules
    assert "12333" in first.detail
    assert "12333" in first.where
    formal = next(step for step in guide.steps if "R-LOSS-3" in step.rules)
    assert formal.documents == tuple(flat(loss.formal_report_requirements(Relation.SELF, scheme)))
    certificate = loss.SCHEME_CERTIFICATES[scheme]
    assert en.DOCUMENTS[certificate] in formal.detail
    risk = next(step for step in guide.steps if "R-CARD-2" in step.rules)
    assert all(word in risk.detail for word in ("never activated", "no PIN", "changed the PIN"))


@pytest.mark.parametrize("scheme", Scheme)
@pytest.mark.parametrize("situation", NO_LOSS_REPORT)
def test_no_loss_report_for_a_damaged_demagnetized_or_expired_card(situation: Situation, scheme: Scheme) -> None:
    guide = build_guide(situation, scheme, NATIONAL, Language.EN)
    assert not any(rule.startswith("R-LOSS") for step in guide.steps for rule in step.rules)
    assert "no loss report" in guide.steps[0].detail
    documents = {name for step in guide.steps for name in step.documents}
    assert loss.SCHEME_CERTIFICATES[scheme] not in documents
    apply = next(step for step in guide.steps if "R-REP-2" in step.rules)
    assert apply.documents == tuple(flat(loss.replacement_requirements(Relation.SELF)))


def test_the_agent_brings_what_the_counter_checks() -> None:
    lost = build_guide(Situation.LOST, Scheme.RURAL_RESIDENT, NATIONAL, Language.EN)
    agent = next(step for step in lost.steps if loss.AGENT_ID_CARD in step.documents)
    expected = flat(loss.formal_report_requirements(Relation.AGENT, Scheme.RURAL_RESIDENT))
    assert agent.documents == tuple(dict.fromkeys([*expected, *flat(loss.replacement_requirements(Relation.AGENT))]))


def test_theft_is_advice_to_tell_the_police_within_the_first_step() -> None:
    stolen = build_guide(Situation.STOLEN, Scheme.EMPLOYEE, NATIONAL, Language.EN)
    lost = build_guide(Situation.LOST, Scheme.EMPLOYEE, NATIONAL, Language.EN)
    assert "police" in stolen.steps[0].detail
    assert "advice" in stolen.steps[0].detail
    assert "police" not in everything(lost)
    assert "公安机关" in build_guide(Situation.STOLEN, Scheme.EMPLOYEE, NATIONAL, Language.ZH_CN).steps[0].detail
    assert len(stolen.steps) == len(lost.steps)


@pytest.mark.parametrize("language", Language)
def test_found_lifts_the_report_only_before_a_replacement(language: Language) -> None:
    guide = build_guide(Situation.FOUND, Scheme.STUDENT, NATIONAL, language)
    lift = guide.steps[0]
    assert guide.fee is None
    assert "R-LOSS-5" in lift.rules
    assert "12333" in lift.where
    assert ("only before a replacement" if language is Language.EN else "尚未申请补卡") in lift.detail


@pytest.mark.parametrize(
    ("days", "english", "chinese"),
    [(0, "on the day it was made", "当天"), (1, "from the next day", "次日"), (3, "from 3 days after", "3天后")],
)
def test_the_lift_rule_reads_as_the_region_sets_it(days: int, english: str, chinese: str) -> None:
    policy = policy_of("130702", {"130700": {"lift_after_days": days}})
    assert english in build_guide(Situation.FOUND, Scheme.EMPLOYEE, policy, Language.EN).steps[0].detail
    assert chinese in build_guide(Situation.FOUND, Scheme.EMPLOYEE, policy, Language.ZH_CN).steps[0].detail


def test_a_card_made_on_the_spot_and_a_free_replacement() -> None:
    policy = policy_of("510703", {"510000": {"production_working_days": 0, "fees.damaged": 0}})
    guide = build_guide(Situation.DAMAGED, Scheme.EMPLOYEE, policy, Language.EN)
    assert guide.fee == 0
    assert "on the spot" in everything(guide)
    assert "working days" not in everything(guide)
    assert "it is free" in everything(guide)
    assert "当场" in everything(build_guide(Situation.DAMAGED, Scheme.EMPLOYEE, policy, Language.ZH_CN))


def test_yuan_keep_their_fen() -> None:
    assert [format_yuan(fen) for fen in (1, 50, 2000, 2050, 123_456)] == ["0.01", "0.50", "20.00", "20.50", "1234.56"]


# Values no default or demo region has, so each can only come from this policy.
ODD = {
    "hotline": "4001234567",
    "production_working_days": 37,
    "lift_after_days": 5,
    "provisional_valid_days": 11,
    "temp_certificate_valid_days": 47,
    "claim_grace_days": 83,
    "ecert_valid_seconds": 29,
    "pin_max_tries": 7,
    **{f"fees.{reason}": 10_000 + 1_111 * n + 1 for n, reason in enumerate(ReplacementReason)},
}


def quotes(text: str, number: str) -> bool:
    """Whether the text has the number on its own, not as part of a longer one."""
    return re.search(rf"(?<!\d){re.escape(number)}(?!\d)", text) is not None


def expected_numbers(situation: Situation, policy: Policy) -> list[str]:
    """What the guide must quote from the policy for a situation."""
    numbers = [policy.hotline, str(policy.production_working_days), str(policy.pin_max_tries)]
    if situation is Situation.FOUND:
        # 0 and 1 day read "the same day" and "the next day" (test_the_lift_rule_reads_…).
        lift = [str(policy.lift_after_days)] if policy.lift_after_days > 1 else []
        return [*numbers, *lift, str(policy.provisional_valid_days)]
    numbers += [str(policy.temp_certificate_valid_days), str(policy.claim_grace_days), str(policy.ecert_valid_seconds)]
    numbers += [format_yuan(policy.fee(situation.value))] if policy.fee(situation.value) else []
    return numbers + ([str(policy.provisional_valid_days)] if situation in LOSS else [])


@pytest.mark.parametrize("language", Language)
@pytest.mark.parametrize("situation", Situation)
def test_every_number_comes_from_the_policy(situation: Situation, language: Language) -> None:
    policy = policy_of("130702", {"130700": ODD})
    guide = build_guide(situation, Scheme.URBAN_RESIDENT, policy, language)
    text = everything(guide)
    for number in expected_numbers(situation, policy):
        assert quotes(text, number), (number, situation)
    assert (guide.hotline, guide.production_working_days) == ("4001234567", 37)
    assert guide.fee == (None if situation is Situation.FOUND else ODD[f"fees.{situation.value}"])


@pytest.mark.parametrize("language", Language)
@pytest.mark.parametrize("situation", Situation)
@pytest.mark.parametrize("district", ["110105", "130702", "510703"])
def test_the_demo_regions_are_quoted_as_their_policy_says(
    district: str, situation: Situation, language: Language
) -> None:
    policy = policy_of(district, demo.POLICIES)
    guide = build_guide(situation, Scheme.EMPLOYEE, policy, language)
    assert guide.hotline == policy.hotline
    assert quotes(guide.steps[0].where + guide.steps[0].detail, policy.hotline)
    text = everything(guide)
    for number in expected_numbers(situation, policy):
        assert quotes(text, number), (number, district, situation)
    if situation is Situation.FOUND:
        assert lift_phrase(policy.lift_after_days, CATALOGS[language]) in guide.steps[0].detail


def test_templates_type_no_number_and_every_placeholder_is_known() -> None:
    known = {"hotline", "documents", "reason", "fee_text", "lift_when", "ready_when", "yuan"}
    known |= {"provisional_valid_days", "temp_certificate_valid_days", "claim_grace_days", "ecert_valid_seconds"}
    known |= {"pin_max_tries", "lift_after_days", "production_working_days"}
    for catalog in CATALOGS.values():
        for message_id, template in catalog.messages.items():
            assert not re.search(r"\d", template), message_id
            assert placeholders(template) <= known, message_id


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_both_languages_say_the_same_things() -> None:
    assert zh.MESSAGES.keys() == en.MESSAGES.keys()
    for message_id in zh.MESSAGES:
        assert placeholders(zh.MESSAGES[message_id]) == placeholders(en.MESSAGES[message_id]), message_id
    for catalog in CATALOGS.values():
        assert catalog.documents.keys() == loss.DOCUMENTS | claims.DOCUMENTS | {COLLECTION_CERTIFICATE}
        assert catalog.articles.keys() == set(Article)
        assert catalog.situations.keys() == set(Situation)


def test_every_message_is_used_by_some_guide() -> None:
    used = {"phrase.lift_same_day", "phrase.lift_next_day", "phrase.lift_after_days", "fee"}
    used |= {"phrase.ready_on_the_spot", "phrase.ready_after_days", "phrase.fee_yuan", "phrase.fee_free"}
    for plans in PLANS.values():
        for plan in plans:
            used |= {f"{plan.key}.title", f"{plan.key}.where", *plan.details}
    assert {message_id.split(":")[0] for message_id in zh.MESSAGES} == used


def test_situations_other_than_found_are_the_replacement_reasons() -> None:
    assert {s.value for s in REPLACED} == {r.value for r in ReplacementReason}
    assert set(PLANS) == set(Situation)
