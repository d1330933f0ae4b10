"""Pydantic bases shared by every area's schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

# Money is whole fen; a float or a string is refused, never rounded (R-ACC-1).
Fen = Annotated[StrictInt, Field(ge=0, le=10_000_000_000)]
PositiveFen = Annotated[StrictInt, Field(gt=0, le=10_000_000_000)]
# A balance as read: whatever the ledger holds is answered, never a 500 for its size.
FenRead = Annotated[int, Field(ge=0, le=2**63 - 1)]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["110101"])]


class Body(BaseModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True)
