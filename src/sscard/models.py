"""Imports every area's models, so the metadata knows every table."""

from __future__ import annotations


def load_all() -> None:
    """Register all mapped classes with Base.metadata."""
    import sscard.audit.models
    import sscard.auth.models
    import sscard.banks.models
    import sscard.cards.models
    import sscard.claims.models
    import sscard.dashboard.models
    import sscard.institutions.models
    import sscard.invalid_list.models
    import sscard.loss.models
    import sscard.notifications.models
    import sscard.outbox
    import sscard.people.models
    import sscard.policy.models
    import sscard.settlement.models  # noqa: F401
