"""`GET /v1/documents`: what each action needs, with every document's labels."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from sscard.claims.rules import ClaimKind
from sscard.codes.labels import DOCUMENTS
from sscard.codes.requirements import Action, Need, needs
from sscard.loss.cancellation_rules import CancellationReason
from sscard.loss.rules import Relation
from sscard.people.schemes import Scheme
from sscard.schemas import Out

router = APIRouter(prefix="/v1", tags=["codes"])


class DocumentRead(Out):
    code: str
    labels: dict[str, str] = Field(description='{"zh-CN": …, "en": …}')


class RequirementRead(Out):
    any_of: list[DocumentRead] = Field(description="one of these documents meets the requirement")


class NeedRead(Out):
    action: Action
    scheme: Scheme | None = Field(description="null when the scheme does not matter")
    relation: Relation | None = Field(description="who comes: the holder or an agent; null when it does not matter")
    reason: CancellationReason | None = Field(description="a cancellation's reason")
    kind: ClaimKind | None = Field(description="a claim's kind")
    requirements: list[RequirementRead]


class NeedList(Out):
    items: list[NeedRead]


def _document(code: str) -> DocumentRead:
    zh_cn, en = DOCUMENTS[code]
    return DocumentRead(code=code, labels={"zh-CN": zh_cn, "en": en})


def need_read(need: Need) -> NeedRead:
    """The API's shape of one case."""
    return NeedRead(
        action=need.action,
        scheme=need.scheme,
        relation=need.relation,
        reason=need.reason,
        kind=need.kind,
        requirements=[RequirementRead(any_of=[_document(code) for code in req]) for req in need.requirements],
    )


@router.get("/documents")
def list_documents(
    action: Annotated[Action | None, Query(description="one action; all of them when omitted")] = None,
    scheme: Annotated[Scheme | None, Query(description="the person's scheme (for a formal loss report)")] = None,
    relation: Annotated[Relation | None, Query(description="self, or an agent acting for the holder")] = None,
) -> NeedList:
    """What a formal loss report, a replacement, a cancellation and a claim need, for
    anyone: the same rules the counter checks (R-LOSS-2, R-LOSS-3, R-REP-2, R-CARD-5,
    R-CLM-1). A requirement is met by any one of its documents."""
    return NeedList(items=[need_read(need) for need in needs(action, scheme, relation)])
