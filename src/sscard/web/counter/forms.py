"""The counter's forms as Pydantic models (read with `Annotated[Model, Form()]`).

The loss report (at the counter and on the hotline) and the replacement application
share who is acting: the holder, or an agent with their name, ID number and reason.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sscard.loss.rules import Relation
from sscard.loss.service import Reporter

YUAN = re.compile(r"\A[0-9]{1,9}(?:\.[0-9]{1,2})?\Z")


class CounterForm(BaseModel):
    """A form of the pages: fields the page does not know are ignored (the CSRF token)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    def values(self) -> dict[str, Any]:
        """The form as the template fills it in again after a refusal."""
        return self.model_dump()


class ReporterForm(CounterForm):
    """Who acts for the card (R-LOSS-2): the holder, or an agent for them."""

    relation: str = "self"
    documents: list[str] = Field(default_factory=list, max_length=20)
    reporter_name: str = Field("", max_length=40)
    reporter_id_number: str = Field("", max_length=32)
    reporter_unit: str = Field("", max_length=100)
    reporter_reason: str = Field("", max_length=200)

    def reporter(self) -> Reporter | None:
        """The reporter the services take; None when the holder acts and says nothing more."""
        relation = Relation.AGENT if self.relation == "agent" else Relation.SELF
        name = self.reporter_name or None
        id_number = self.reporter_id_number or None
        unit_name = self.reporter_unit or None
        if relation is Relation.SELF and not (name or id_number or unit_name):
            return None
        return Reporter(
            relation=relation, name=name, id_number=id_number, unit_name=unit_name, reason=self.reporter_reason or None
        )


class LossForm(ReporterForm):
    """A loss report at the counter, or a call to the hotline (kind fixed: provisional)."""

    kind: str = ""


class ReplacementForm(ReporterForm):
    """An application for a new card."""

    reason: str = ""
    bank: str = Field("", max_length=16)


def parse_yuan(value: str) -> int | None:
    """An amount typed in yuan ("12.5") as fen (1250); None when it is no amount."""
    value = value.strip().replace(",", "")
    if not YUAN.match(value):
        return None
    whole, _, cents = value.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])
