"""zh-CN and en labels of every code a client sends. Document names come from the
guide's catalogs, so the counter, the guide and the API say the same words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from sscard.claims.rules import DOCUMENTS as CLAIM_DOCUMENTS
from sscard.claims.rules import ClaimKind
from sscard.guide import en, zh
from sscard.loss import cancellation_rules as cancellation
from sscard.loss.cancellation_rules import CancellationReason
from sscard.loss.rules import DOCUMENTS as LOSS_DOCUMENTS
from sscard.loss.rules import Channel, Relation, ReplacementReason
from sscard.people.schemes import Scheme
from sscard.settlement.rules import Category

Labels = Mapping[str, tuple[str, str]]  # code → (zh-CN, en)

# The cancellation's documents (R-CARD-5) are not in the guide, which has no cancellation.
_CANCELLATION_DOCUMENTS: Labels = {
    cancellation.DEATH_CERTIFICATE: ("死亡证明", "death certificate"),
    cancellation.HEIR_ID_CARD: ("继承人身份证", "the heir's ID card"),
    cancellation.INHERITANCE_PROOF: ("继承权证明（如公证书）", "proof of inheritance (a notarised deed, say)"),
    cancellation.EMIGRATION_CERTIFICATE: ("出国（境）定居证明", "proof of settling abroad"),
    cancellation.DUPLICATE_REGISTRATION_RECORD: ("重复参保记录", "record of the duplicate registration"),
}


def _guide_documents(codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    return {code: (zh.DOCUMENTS[code], en.DOCUMENTS[code]) for code in sorted(codes)}


DOCUMENTS: Labels = {
    **_guide_documents(LOSS_DOCUMENTS | CLAIM_DOCUMENTS | (cancellation.DOCUMENTS - _CANCELLATION_DOCUMENTS.keys())),
    **_CANCELLATION_DOCUMENTS,
}

CHANNELS: Labels = {
    Channel.HOTLINE: ("服务热线", "the hotline"),
    Channel.ONLINE: ("网上服务", "the online service"),
    Channel.KIOSK: ("自助服务终端", "a self-service kiosk"),
    Channel.WRITTEN: ("书面挂失", "a written report at an outlet"),
    Channel.BANK: ("合作银行", "the card's cooperative bank"),
    Channel.COUNTER: ("经办窗口", "the outlet's counter, in person"),
}

REPLACEMENT_REASONS: Labels = {
    ReplacementReason.LOST: ("遗失", "lost"),
    ReplacementReason.STOLEN: ("被盗", "stolen"),
    ReplacementReason.DAMAGED: ("损坏", "damaged"),
    ReplacementReason.DEMAGNETIZED: ("消磁", "demagnetized"),
    ReplacementReason.EXPIRED: ("有效期满", "expired"),
}

CANCELLATION_REASONS: Labels = {
    CancellationReason.DEATH: ("持卡人死亡", "the holder died"),
    CancellationReason.EMIGRATION: ("出国（境）定居", "the holder settled abroad"),
    CancellationReason.DUPLICATE: ("重复参保", "a duplicate registration"),
    CancellationReason.REQUEST: ("本人申请", "at the holder's request"),
}

CLAIM_KINDS: Labels = {
    ClaimKind.OUTPATIENT: ("门诊", "outpatient care"),
    ClaimKind.INPATIENT: ("住院", "a hospital stay"),
}

CATEGORIES: Labels = {
    Category.DRUG: ("药品", "drugs"),
    Category.TREATMENT: ("诊疗项目", "treatment"),
    Category.EXAMINATION: ("检查", "examinations"),
    Category.MATERIAL: ("医用材料", "medical materials"),
    Category.HOSPITAL_STAY: ("住院", "a hospital stay"),
}

SCHEMES: Labels = {
    Scheme.EMPLOYEE: ("职工医保", "employee insurance"),
    Scheme.URBAN_RESIDENT: ("城镇居民医保", "urban residents' insurance"),
    Scheme.RURAL_RESIDENT: ("农村居民医保", "rural residents' insurance"),
    Scheme.STUDENT: ("学生医保", "students' insurance"),
}

RELATIONS: Labels = {
    Relation.SELF: ("本人", "the holder in person"),
    Relation.AGENT: ("代办人", "an agent for the holder"),
}

# Each family with the enum it labels (None: a free string whose codes are listed here).
FAMILIES: dict[str, tuple[type[StrEnum] | None, Labels]] = {
    "Document": (None, DOCUMENTS),
    "Channel": (Channel, CHANNELS),
    "ReplacementReason": (ReplacementReason, REPLACEMENT_REASONS),
    "CancellationReason": (CancellationReason, CANCELLATION_REASONS),
    "ClaimKind": (ClaimKind, CLAIM_KINDS),
    "Category": (Category, CATEGORIES),
    "Scheme": (Scheme, SCHEMES),
    "Relation": (Relation, RELATIONS),
}
