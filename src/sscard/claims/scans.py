"""Scanned claim documents: type checked from the bytes, stored by content (R-CLM-1)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from sscard.claims.models import Claim, ClaimScan
from sscard.claims.rules import DOCUMENTS
from sscard.errors import Invalid, NotFound, ServiceError
from sscard.unit import Unit

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


class TooLarge(ServiceError):
    status, code, title = 413, "scan_too_large", "Scan too large"


class UnsupportedType(ServiceError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


def sniff(data: bytes) -> str | None:
    """The media type the bytes themselves show (PDF, JPEG or PNG), whatever the name says."""
    return next((media for magic, media in SIGNATURES if data.startswith(magic)), None)


def store_dir(unit: Unit) -> Path:
    """Where scans live: under the service's var directory, never under a served path."""
    return unit.runtime.settings.var_dir.resolve() / "scans"


def attach(unit: Unit, claim: Claim, document: str, data: bytes) -> ClaimScan:
    """Keep a scan for a claim; the same bytes are stored once, however often sent."""
    if document not in DOCUMENTS:
        raise Invalid("invalid_request", f"{document!r} is not a claim document", field="document")
    if len(data) > MAX_BYTES:
        raise TooLarge(f"a scan is at most {MAX_BYTES // (1024 * 1024)} MB")
    media_type = sniff(data)
    if media_type is None:
        raise UnsupportedType("a scan is a PDF, JPEG or PNG file")
    digest = hashlib.sha256(data).hexdigest()
    _write_once(store_dir(unit), digest, data)
    scan = ClaimScan(
        claim_id=claim.id,
        sha256=digest,
        media_type=media_type,
        size=len(data),
        document=document,
        uploaded_at=unit.now,
        uploaded_by=unit.actor.subject,
    )
    unit.session.add(scan)
    unit.session.flush()
    unit.audit("claim.scan", ("claim", claim.id), claim.region_code, document=document, sha256=digest)
    return scan


def _write_once(root: Path, digest: str, data: bytes) -> None:
    target = root / digest[:2] / digest
    if target.exists():
        return
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Written beside the target and renamed, so a reader never sees half a file; mkstemp
    # makes it 0600, readable by the service alone.
    handle, temporary = tempfile.mkstemp(dir=target.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    Path(temporary).replace(target)


def scans_of(unit: Unit, claim: Claim) -> Sequence[ClaimScan]:
    """A claim's scans, oldest first."""
    return unit.session.scalars(select(ClaimScan).where(ClaimScan.claim_id == claim.id).order_by(ClaimScan.id)).all()


def read(unit: Unit, claim: Claim, digest: str) -> tuple[ClaimScan, bytes]:
    """A scan of this claim (the caller was already allowed to see the claim)."""
    scan = unit.session.scalars(
        select(ClaimScan).where(ClaimScan.claim_id == claim.id, ClaimScan.sha256 == digest)
    ).first()
    if scan is None:
        raise NotFound("no such scan on this claim")
    return scan, (store_dir(unit) / digest[:2] / digest).read_bytes()
