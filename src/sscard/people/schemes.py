"""Insurance schemes (DOMAIN "Actors")."""

from __future__ import annotations

from enum import StrEnum


class Scheme(StrEnum):
    """The scheme a person is insured under, and so who acts for them."""

    EMPLOYEE = "employee"
    URBAN_RESIDENT = "urban_resident"
    RURAL_RESIDENT = "rural_resident"
    STUDENT = "student"
