"""The live invalid list: Server-Sent Events, one event a change (R-INV-3)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["invalid list"])
