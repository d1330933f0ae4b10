"""The rules of losing a card and getting a new one (R-LOSS, R-REP, R-CARD-2): pure."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from enum import StrEnum

from sscard.clock import china_date
from sscard.people.names import name_key
from sscard.people.schemes import Scheme
from sscard.roles import Role


class Channel(StrEnum):
    HOTLINE = "hotline"
    ONLINE = "online"
    KIOSK = "kiosk"
    WRITTEN = "written"
    BANK = "bank"
    COUNTER = "counter"


class ReportKind(StrEnum):
    PROVISIONAL = "provisional"
    FORMAL = "formal"


class Relation(StrEnum):
    SELF = "self"
    AGENT = "agent"


class Risk(StrEnum):
    """R-CARD-2: what makes a lost card dangerous to its holder."""

    UNACTIVATED = "unactivated"
    NO_PIN = "no_pin"
    PIN_CHANGED = "pin_changed"
    NONE = "none"


class ReplacementReason(StrEnum):
    LOST = "lost"
    STOLEN = "stolen"
    DAMAGED = "damaged"
    DEMAGNETIZED = "demagnetized"
    EXPIRED = "expired"


# R-LOSS-1: which channels each role reports through. A cardholder reports online or at
# a kiosk; the hotline's operator answers calls; a clerk takes written reports and the
# counter's formal ones; a bank its own.
CHANNELS_BY_ROLE: dict[Role, frozenset[Channel]] = {
    Role.CARDHOLDER: frozenset({Channel.ONLINE, Channel.KIOSK}),
    Role.OPERATOR: frozenset({Channel.HOTLINE}),
    Role.CLERK: frozenset({Channel.WRITTEN, Channel.COUNTER, Channel.KIOSK}),
    Role.BANK: frozenset({Channel.BANK}),
}
# R-LOSS-7: channels where the report is taken on the caller's word, so the caller's
# knowledge of the holder is checked.
ON_SOMEONES_WORD = frozenset({Channel.HOTLINE, Channel.WRITTEN, Channel.BANK})
# R-LOSS-2: a formal report is made in person (or by an agent) at the counter, or at a
# cooperative bank's outlet for its own cards with the same documents (R-LOSS-8).
FORMAL_CHANNELS = frozenset({Channel.COUNTER, Channel.BANK})

# Documents, named as the clerk ticks them off.
RESIDENT_ID_CARD = "resident_id_card"
HOUSEHOLD_REGISTER = "household_register"
AGENT_ID_CARD = "agent_id_card"
CLIENT_ID_CARD = "client_id_card"
CLIENT_ID_CARD_COPY = "client_id_card_copy"
PHOTO = "photo"
SCHEME_CERTIFICATES: dict[Scheme, str] = {
    Scheme.URBAN_RESIDENT: "neighbourhood_committee_certificate",
    Scheme.RURAL_RESIDENT: "village_committee_certificate",
    Scheme.EMPLOYEE: "employer_certificate",
    Scheme.STUDENT: "school_certificate",
}
DOCUMENTS = frozenset(
    {RESIDENT_ID_CARD, HOUSEHOLD_REGISTER, AGENT_ID_CARD, CLIENT_ID_CARD, CLIENT_ID_CARD_COPY, PHOTO}
    | set(SCHEME_CERTIFICATES.values())
)

# A requirement is met by any one of its documents.
Requirement = tuple[str, ...]


def identity_requirements(relation: Relation) -> list[Requirement]:
    """R-LOSS-2: in person, the resident ID card or the household register; an agent
    shows their own ID card and the client's, original and photocopy."""
    if relation is Relation.SELF:
        return [(RESIDENT_ID_CARD, HOUSEHOLD_REGISTER)]
    return [(AGENT_ID_CARD,), (CLIENT_ID_CARD,), (CLIENT_ID_CARD_COPY,)]


def formal_report_requirements(relation: Relation, scheme: Scheme) -> list[Requirement]:
    """Documents for a formal loss report: identity (R-LOSS-2) and the scheme's
    certificate (R-LOSS-3)."""
    return [*identity_requirements(relation), (SCHEME_CERTIFICATES[scheme],)]


def replacement_requirements(relation: Relation) -> list[Requirement]:
    """R-REP-2: identity as for a formal report, and a photo for the new card."""
    return [*identity_requirements(relation), (PHOTO,)]


def missing(requirements: list[Requirement], given: Collection[str]) -> list[str]:
    """The requirements not met, each named by its first document."""
    return [req[0] for req in requirements if not set(req) & set(given)]


def risk_of(*, activated: bool, has_pin: bool, pin_changed_by_holder: bool) -> Risk:
    """R-CARD-2: the state that makes a lost card a risk, the gravest first."""
    if not activated:
        return Risk.UNACTIVATED
    if not has_pin:
        return Risk.NO_PIN
    if pin_changed_by_holder:
        return Risk.PIN_CHANGED
    return Risk.NONE


def earliest_lift(lost_since: datetime, lift_after_days: int) -> date:
    """R-LOSS-5: the first China Standard Time date on which a loss may be lifted
    (Zhangjiakou's 1 is "the next day")."""
    return china_date(lost_since) + timedelta(days=lift_after_days)


def provisional_expiry(reported_at: datetime, valid_days: int) -> datetime:
    """R-LOSS-5: when an unconfirmed provisional report releases itself."""
    return reported_at + timedelta(days=valid_days)


def certificate_last_valid_day(applied_on: date, valid_days: int) -> date:
    """R-REP-4: the last China Standard Time date on which the collection certificate
    serves as the temporary medical certificate. The days are counted from the day
    after the application, as periods in days are in Chinese law (Civil Code Art. 201)."""
    return applied_on + timedelta(days=valid_days)


def needs_loss_report(reason: ReplacementReason) -> bool:
    """R-REP-1: "report the loss before you reissue" — for a lost or stolen card."""
    return reason in (ReplacementReason.LOST, ReplacementReason.STOLEN)


def replacement_status(*, ready_on: date, today: date, collected: bool) -> str:
    """`in_production` until `ready_on` (R-REP-3), then `ready`, then `collected`."""
    if collected:
        return "collected"
    return "ready" if today >= ready_on else "in_production"


def identity_matches(*, given: tuple[str, str, str | None], holder: tuple[str, str, str | None]) -> bool:
    """R-LOSS-7: the caller's name and ID number are the holder's, and so is the unit
    whenever the holder has one on file (a caller who cannot name it is refused)."""
    name, id_number, unit_name = given
    holder_name, holder_id, holder_unit = holder
    if name_key(name) != name_key(holder_name) or id_number.strip().upper() != holder_id:
        return False
    return holder_unit is None or name_key(unit_name or "") == name_key(holder_unit)
