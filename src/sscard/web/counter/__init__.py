"""The counter's pages: find a person, the person with their cards and actions, the queue.

Each page runs the API's own services inside one unit of work (common.in_unit), so a
page can never allow what the API refuses; a refusal re-renders the form with the rule
in words, next to its field. One module per action.
"""

from __future__ import annotations

from fastapi import APIRouter

from sscard.web.counter import (
    activation,
    cancellation,
    claims,
    collection,
    documents,
    loss,
    person,
    pin,
    replacement,
    search,
    waiting,
)

router = APIRouter()
PAGES = (search, person, loss, replacement, documents, collection, activation, pin, cancellation, claims, waiting)
for page in PAGES:
    router.include_router(page.router, include_in_schema=False)
