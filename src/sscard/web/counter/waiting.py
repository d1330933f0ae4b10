"""The outlet's queue: replacements in production and ready to collect in the caller's region."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sscard.clock import china_date
from sscard.loss import queue, rules
from sscard.people.idnumber import mask_id_number
from sscard.unit import Unit
from sscard.web.counter.common import Outlet, in_unit
from sscard.web.pages import render

router = APIRouter(prefix="/counter")


@router.get("/queue")
def queue_page(request: Request, caller: Outlet, status: str = "") -> Response:
    """Replacements in production and ready to collect in the caller's region, oldest first."""
    chosen = status if status in ("in_production", "ready", "collected") else None

    def rows(unit: Unit) -> list[dict[str, Any]]:
        page, _ = queue.queue(unit, queue.QueueQuery(status=chosen, region=None, after=None, limit=100))
        today = china_date(unit.now)
        return [
            {
                "id": r.id,
                "person_id": p.id,
                "holder": p.name,
                "id_number": mask_id_number(p.id_number),
                "old_card_no": c.card_no,
                "new_card_no": r.new_card_no,
                "applied_on": china_date(r.applied_at).isoformat(),
                "ready_on": r.ready_on.isoformat(),
                "status": rules.replacement_status(
                    ready_on=r.ready_on, today=today, collected=r.collected_at is not None
                ),
            }
            for r, c, p in page
        ]

    return render(request, "queue.html", {"rows": in_unit(request, caller, rows), "status": chosen or ""})
