"""Region policy: defaults, validation and field-by-field inheritance (DOMAIN "policy")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FEE_REASONS = ("lost", "stolen", "damaged", "demagnetized", "expired")

# Inclusive bounds per field; a value outside is refused, never clamped.
INT_BOUNDS: Mapping[str, tuple[int, int]] = {
    "production_working_days": (0, 365),
    "lift_after_days": (0, 365),
    "provisional_valid_days": (1, 365),
    "pin_max_tries": (1, 10),
    "max_list_lag_minutes": (0, 10_080),
    "offline_floor_limit": (0, 100_000_000),
    "temp_certificate_valid_days": (1, 365),
    "claim_grace_days": (0, 3_650),
    "ecert_valid_seconds": (10, 3_600),
    "card_valid_years": (1, 50),
    "offline_upload_hours": (1, 720),
    "second_review_fen": (0, 10**12),
    "signin_max_failures": (1, 100),
    **{f"fees.{reason}": (0, 1_000_000) for reason in FEE_REASONS},
}
FIELDS = ("hotline", *INT_BOUNDS)

# The national row's defaults (DOMAIN.md): 12333 is the national hotline; R-LOSS-5
# lift_after_days 0 and provisional_valid_days 15; R-CARD-3 three PIN tries; R-REP-2
# no fee for an expired card; R-REP-4 a 60-day certificate; R-CLM 90 days' grace.
# Where DOMAIN.md gives no default, the value is this project's: 15 working days
# (Beijing's figure), a 20-yuan fee for the holder's loss or damage, none for a chip
# that failed by itself, 30 minutes of list lag, a 200-yuan offline limit.
NATIONAL_DEFAULTS: Mapping[str, Any] = {
    "hotline": "12333",
    "production_working_days": 15,
    "lift_after_days": 0,
    "provisional_valid_days": 15,
    "pin_max_tries": 3,
    "max_list_lag_minutes": 30,
    "offline_floor_limit": 20_000,
    "temp_certificate_valid_days": 60,
    "claim_grace_days": 90,
    "ecert_valid_seconds": 60,
    "card_valid_years": 10,  # R-CARD-4
    "offline_upload_hours": 72,  # R-SET-6
    "second_review_fen": 500_000,  # R-SEC-4
    "signin_max_failures": 5,  # R-SEC-3
    "fees.lost": 2_000,
    "fees.stolen": 2_000,
    "fees.damaged": 2_000,
    "fees.demagnetized": 0,
    "fees.expired": 0,
}


# What the seeds say of a region, built into every installation (DOMAIN "Region"):
# Beijing's 96102 hotline and 15 working days [001][003], Zhangjiakou's next-day lift
# [003]. Written once, when the region has no policy row yet; an admin may change them.
BUILTIN_OVERRIDES: Mapping[str, Mapping[str, Any]] = {
    "110000": {"hotline": "96102", "production_working_days": 15},
    "130700": {"lift_after_days": 1},
}


class PolicyError(ValueError):
    """A policy value that cannot be set; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class Policy:
    """The policy in force for one region, with the region each value comes from."""

    region: str
    values: Mapping[str, Any]
    sources: Mapping[str, str]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def fee(self, reason: str) -> int:
        """The replacement fee for a reason, in fen (R-REP-2)."""
        return int(self.values[f"fees.{reason}"])


def resolve(lineage: Sequence[tuple[str, Mapping[str, Any]]]) -> Policy:
    """Fold overrides from the nation down to a region, field by field.

    `lineage` is [(region_code, overrides), …] from "000000" to the region itself;
    a region without overrides of its own still appears, with an empty mapping.
    """
    values = dict(NATIONAL_DEFAULTS)
    sources = dict.fromkeys(NATIONAL_DEFAULTS, "000000")
    for code, overrides in lineage:
        for field, value in overrides.items():
            if field in values and value is not None:
                values[field], sources[field] = value, code
    return Policy(region=lineage[-1][0], values=values, sources=sources)


def apply_patch(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A region's new overrides: given values set, None clears back to inheritance."""
    merged = dict(current)
    for field, value in patch.items():
        if value is None:
            merged.pop(field, None)
        else:
            merged[field] = validate(field, value)
    return merged


def validate(field: str, value: Any) -> Any:
    """The value checked for its field; raises PolicyError."""
    if field == "hotline":
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            raise PolicyError(field, "must be a string of digits")
        if not 3 <= len(value) <= 12:
            raise PolicyError(field, "must have 3 to 12 digits")
        return value
    if field not in INT_BOUNDS:
        raise PolicyError(field, "is not a policy field")
    low, high = INT_BOUNDS[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PolicyError(field, f"must be a whole number from {low} to {high}")
    return value


def flatten(document: Mapping[str, Any]) -> dict[str, Any]:
    """API shape → stored shape: {"fees": {"lost": 1}} becomes {"fees.lost": 1}.

    `"fees": null` clears every fee.
    """
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if key != "fees":
            flat[key] = value
        elif value is None:
            flat.update(dict.fromkeys((f"fees.{r}" for r in FEE_REASONS), None))
        else:
            flat.update({f"fees.{reason}": fee for reason, fee in value.items()})
    return flat


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored shape → API shape: the fees gathered under "fees"."""
    document: dict[str, Any] = {k: v for k, v in values.items() if not k.startswith("fees.")}
    document["fees"] = {r: values[f"fees.{r}"] for r in FEE_REASONS if f"fees.{r}" in values}
    return document
