"""Reporting a card lost, lifting the report, and releasing provisional reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select

from sscard.cards.models import Card
from sscard.cards.service import find_card, transition
from sscard.cards.states import CardEvent, CardStatus
from sscard.clock import china_date
from sscard.errors import Conflict, Invalid, Refused
from sscard.loss import rules
from sscard.loss.events import LossLifted, LossReported
from sscard.loss.models import LossReport, Replacement
from sscard.loss.rules import Channel, Relation, ReportKind
from sscard.people.idnumber import InvalidIdNumber, parse_id_number
from sscard.people.models import Person
from sscard.people.schemes import Scheme
from sscard.policy.regions import PROVINCE_CODES
from sscard.roles import Role
from sscard.unit import Unit


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who reports: the holder, or an agent acting for them (R-LOSS-2)."""

    relation: Relation = Relation.SELF
    name: str | None = None
    id_number: str | None = None
    reason: str | None = None
    unit_name: str | None = None


@dataclass(frozen=True, slots=True)
class NewLossReport:
    kind: ReportKind
    channel: Channel
    reporter: Reporter | None = None
    documents: tuple[str, ...] = ()


def report_loss(unit: Unit, card_no: str, new: NewLossReport) -> tuple[LossReport, Card]:
    """Report a card lost; the card stops settling in this same transaction (R-LOSS-1)."""
    card = find_card(unit, card_no, for_update=True)
    person = unit.session.get_one(Person, card.person_id)
    _check_channel(unit, new)
    _check_document_names(new.documents)
    reporter = new.reporter or Reporter()
    if new.kind is ReportKind.PROVISIONAL and new.channel in rules.ON_SOMEONES_WORD:
        _identify_caller(person, reporter)
    if new.kind is ReportKind.FORMAL:
        check_presence(
            unit,
            person,
            reporter,
            rules.formal_report_requirements(reporter.relation, Scheme(person.scheme)),
            new.documents,
        )
    event = CardEvent.REPORT_FORMAL_LOSS if new.kind is ReportKind.FORMAL else CardEvent.REPORT_PROVISIONAL_LOSS
    transition(
        unit, card, event, reason=f"{new.kind}_loss_report", channel=new.channel, refusal_code="card_not_reportable"
    )
    card.lost_since = card.lost_since or unit.now
    report = _record_report(unit, card, new, reporter)
    unit.publish(
        LossReported(
            card.card_no, card.person_id, card.bank, card.region_code, new.kind.value, new.channel.value, report.id
        )
    )
    unit.audit(
        "card.loss_report",
        ("card", card.card_no),
        card.region_code,
        kind=new.kind.value,
        channel=new.channel.value,
        report_id=report.id,
    )
    return report, card


def _check_channel(unit: Unit, new: NewLossReport) -> None:
    allowed = rules.CHANNELS_BY_ROLE.get(unit.actor.role, frozenset())
    if new.channel not in allowed:
        raise Invalid(
            "invalid_channel",
            f"the {unit.actor.role} role reports through "
            f"{', '.join(sorted(allowed)) or 'no channel'}, not {new.channel}",
            field="channel",
        )
    if new.kind is ReportKind.FORMAL and new.channel not in rules.FORMAL_CHANNELS:
        raise Invalid("invalid_channel", "a formal report is made in person at the counter (R-LOSS-2)", field="channel")


def _identify_caller(person: Person, reporter: Reporter) -> None:
    # R-LOSS-7: a report taken on someone's word names the holder, their ID number, and
    # their unit when one is on file; any mismatch is refused without saying which.
    if not reporter.name or not reporter.id_number:
        raise Invalid("invalid_request", "the report needs the holder's name and ID number", field="reporter")
    matches = rules.identity_matches(
        given=(reporter.name, reporter.id_number, reporter.unit_name),
        holder=(person.name, person.id_number, person.unit_name),
    )
    if not matches:
        raise Refused("identity_mismatch", "the name, ID number or unit does not match the card's holder")


def check_presence(
    unit: Unit, person: Person, reporter: Reporter, requirements: list[rules.Requirement], documents: Sequence[str]
) -> None:
    """R-LOSS-2: the holder in person, or an agent for them, with the documents."""
    _check_document_names(documents)
    if reporter.relation is Relation.AGENT:
        _check_agent(unit, person, reporter)
    elif reporter.id_number and not _same_id_number(reporter.id_number, person.id_number):
        raise Refused("identity_mismatch", "the ID number shown is not the card holder's")
    lacking = rules.missing(requirements, documents)
    if lacking:
        raise Invalid("documents_missing", f"missing: {', '.join(lacking)}", missing=lacking)


def _check_document_names(documents: Sequence[str]) -> None:
    unknown = sorted(set(documents) - rules.DOCUMENTS)
    if unknown:
        raise Invalid(
            "invalid_request",
            f"unknown documents: {', '.join(unknown)}",
            field="documents",
            known=sorted(rules.DOCUMENTS),
        )


def _check_agent(unit: Unit, person: Person, reporter: Reporter) -> None:
    if not (reporter.name and reporter.id_number and reporter.reason):
        raise Invalid(
            "invalid_request",
            "an agent gives their name, their ID number and why the holder cannot come",
            field="reporter",
        )
    try:
        agent = parse_id_number(reporter.id_number, today=china_date(unit.now), known_provinces=PROVINCE_CODES)
    except InvalidIdNumber as exc:
        raise Invalid(
            "invalid_id_number",
            f"the agent's ID number is not valid: {exc}",
            field="reporter.id_number",
            reason=exc.reason,
        ) from exc
    if agent.value == person.id_number:
        raise Invalid("invalid_request", "an agent is someone other than the holder", field="reporter")


def _same_id_number(given: str, holder: str) -> bool:
    return given.strip().upper() == holder


def _record_report(unit: Unit, card: Card, new: NewLossReport, reporter: Reporter) -> LossReport:
    provisional = new.kind is ReportKind.PROVISIONAL
    valid_days = unit.policy(card.region_code).provisional_valid_days
    report = LossReport(
        card_id=card.id,
        kind=new.kind.value,
        channel=new.channel.value,
        reported_at=unit.now,
        actor=unit.actor.subject,
        actor_role=unit.actor.role.value,
        reporter_relation=reporter.relation.value,
        reporter_name=reporter.name,
        reporter_id_number=reporter.id_number.strip().upper() if reporter.id_number else None,
        reporter_reason=reporter.reason,
        documents=list(new.documents),
        risk=rules.risk_of(
            activated=card.activated_at is not None,
            has_pin=card.pin_hash is not None,
            pin_changed_by_holder=card.pin_changed_by_holder,
        ).value,
        expires_at=rules.provisional_expiry(unit.now, valid_days) if provisional else None,
    )
    if not provisional:
        _close_open_reports(unit, card, "formalized")
    unit.session.add(report)
    unit.session.flush()
    return report


def _close_open_reports(unit: Unit, card: Card, reason: str) -> None:
    open_reports = select(LossReport).where(LossReport.card_id == card.id, LossReport.closed_at.is_(None))
    for report in unit.session.scalars(open_reports):
        report.closed_at, report.closed_reason = unit.now, reason


def has_replacement(unit: Unit, card: Card) -> bool:
    """Whether a replacement has been applied for this card."""
    return bool(unit.session.scalar(select(exists().where(Replacement.old_card_id == card.id))))


def lift_loss(unit: Unit, card_no: str) -> Card:
    """The card was found: lift the loss (R-LOSS-5), before any replacement."""
    card = find_card(unit, card_no, for_update=True)
    if card.status not in (CardStatus.PROVISIONAL_LOSS, CardStatus.LOST):
        raise Conflict("card_not_lost", f"the card is {card.status}; there is no loss to lift")
    if has_replacement(unit, card):
        raise Conflict("replacement_exists", "a replacement has been applied for; the loss can no longer be lifted")
    assert card.lost_since is not None
    earliest = rules.earliest_lift(card.lost_since, unit.policy(card.region_code).lift_after_days)
    if china_date(unit.now) < earliest:
        raise Conflict(
            "lift_too_early", f"this region lifts a loss from {earliest.isoformat()}", earliest=earliest.isoformat()
        )
    _release(unit, card, reason="found", channel=_channel_of(unit), closed_reason="lifted")
    unit.audit("card.loss_lift", ("card", card.card_no), card.region_code)
    return card


def _release(unit: Unit, card: Card, *, reason: str, channel: str | None, closed_reason: str) -> None:
    transition(unit, card, CardEvent.LIFT_LOSS, reason=reason, channel=channel, refusal_code="card_not_lost")
    card.lost_since = None
    _close_open_reports(unit, card, closed_reason)
    unit.publish(LossLifted(card.card_no, card.person_id, card.bank, card.region_code, reason))


def _channel_of(unit: Unit) -> str:
    return {Role.BANK: "bank", Role.CARDHOLDER: "online"}.get(unit.actor.role, "counter")


def release_expired_provisional(unit: Unit, batch: int = 500) -> int:
    """R-LOSS-5: release provisional reports past their time; returns how many.

    Safe to run in several processes at once: each card row is locked, rows another
    process holds are skipped, and every condition is checked again under the lock.
    """
    due = (
        select(Card)
        .join(LossReport, LossReport.card_id == Card.id)
        .where(
            Card.status == CardStatus.PROVISIONAL_LOSS,
            LossReport.kind == ReportKind.PROVISIONAL,
            LossReport.closed_at.is_(None),
            LossReport.expires_at <= unit.now,
            ~exists().where(Replacement.old_card_id == Card.id),
        )
        .limit(batch)
        .with_for_update(of=Card, skip_locked=True)
    )
    released = 0
    for card in unit.session.scalars(due).unique():
        _release(unit, card, reason="provisional_expired", channel=None, closed_reason="expired")
        unit.audit("card.loss_release", ("card", card.card_no), card.region_code)
        released += 1
    unit.session.flush()
    return released
