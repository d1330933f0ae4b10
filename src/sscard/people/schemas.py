"""People API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from sscard.people.schemes import Scheme
from sscard.schemas import Body, FenRead, Out, PositiveFen, RegionCode


class PersonCreate(Body):
    id_number: str = Field(max_length=32, examples=["110101199003074514"])
    name: str = Field(max_length=60, examples=["王小明"])
    region: RegionCode
    scheme: Scheme
    unit_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=24)
    language: Literal["zh-CN", "en"] = Field(default="zh-CN", description="the language of the holder's SMS (R-NOTE-1)")


class DepositCreate(Body):
    amount: PositiveFen
    memo: str | None = Field(default=None, max_length=200)


class BalanceRead(Out):
    balance: FenRead


class PostingRead(Out):
    at: datetime
    amount: int
    kind: str
    ref: str | None
    memo: str | None
    balance_after: FenRead


class PostingPage(Out):
    items: list[PostingRead]
    next: str | None = Field(description="pass as ?cursor= for the next page; null at the end")
