"""R-NOTE-1 through the API: the holder is told by SMS, in their language, when a loss
report takes effect, is lifted or is released; a holder with no phone gets a record
that nothing could be sent. Both databases, each test rolled back.

GET /v1/persons/{id}/notifications is not in this tree yet (the lead is adding it in
main): the messages are read through notifications.service.notifications_page and the
table instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sscard.clock import FixedClock
from sscard.errors import OutOfRegion
from sscard.jobs import run_due_jobs
from sscard.notifications.models import Notification
from sscard.notifications.service import notifications_page
from sscard.notifications.sms import FileSender
from sscard.outbox import drain
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.unit import Unit
from tests.api import Api
from tests.concurrency import in_unit

PHONE = "13800138000"
CLERK = Principal("clerk.test", Role.CLERK)


def messages_of(rt: Runtime, person: dict[str, Any], actor: Principal = CLERK) -> list[Notification]:
    """The holder's messages, oldest first, as the service pages them."""

    def read(unit: Unit) -> list[Notification]:
        page, _ = notifications_page(unit, person["person_id"], None, 100)
        return list(reversed(page))

    return in_unit(rt, actor, read)


def phone_of(rt: Runtime) -> FileSender:
    assert isinstance(rt.sms, FileSender)
    return rt.sms


def lift(api: Api, card_no: str) -> None:
    response = api.call("POST", f"/v1/cards/{card_no}/loss-reports/lift", api.clerk, json={})
    assert response.status_code == 200, response.text


def test_r_note_1_the_holder_is_told_of_the_loss_report_and_of_its_lift(api: Api, rt: Runtime) -> None:
    person = api.person(phone=PHONE)
    card_no = api.card(person["person_id"])["card_no"]
    api.report_loss(card_no)
    (queued,) = messages_of(rt, person)
    assert (queued.kind, queued.state, queued.phone, queued.language) == ("loss_reported", "queued", PHONE, "zh-CN")
    assert phone_of(rt).messages() == []  # nothing leaves before the outbox is drained

    drain(rt)
    lift(api, card_no)
    drain(rt)
    reported, lifted = messages_of(rt, person)
    assert [(m.kind, m.state) for m in (reported, lifted)] == [("loss_reported", "sent"), ("loss_lifted", "sent")]
    assert reported.sent_at == rt.clock.now()
    assert reported.text == (
        f"【社保卡】您尾号{card_no[-4:]}的社保卡已于2026-03-02挂失，即时停止结算。"
        "找回卡片可办理解挂；补卡请携带身份证到经办网点或合作银行。"
    )
    assert lifted.text == f"【社保卡】您尾号{card_no[-4:]}的社保卡已于2026-03-02解除挂失，可以正常使用。"
    assert [(m["to"], m["text"]) for m in phone_of(rt).messages()] == [(PHONE, reported.text), (PHONE, lifted.text)]
    for text in (reported.text, lifted.text):
        assert card_no not in text
        assert person["id_number"] not in text


def test_r_note_1_a_holder_without_a_phone_gets_a_no_phone_record_and_nothing_is_sent(api: Api, rt: Runtime) -> None:
    person = api.person()
    card_no = api.card(person["person_id"])["card_no"]
    api.report_loss(card_no)
    drain(rt)
    (note,) = messages_of(rt, person)
    assert (note.kind, note.state, note.phone, note.sent_at) == ("loss_reported", "no_phone", None, None)
    assert phone_of(rt).messages() == []


def test_r_note_1_a_holder_who_chose_english_is_told_in_english(api: Api, rt: Runtime) -> None:
    person = api.person(phone=PHONE, language="en")
    card_no = api.card(person["person_id"])["card_no"]
    api.report_loss(card_no)
    lift(api, card_no)
    drain(rt)
    reported, lifted = messages_of(rt, person)
    assert reported.language == "en"
    assert reported.text.startswith(f"[sscard] Your card ending {card_no[-4:]} was reported lost on 2026-03-02")
    assert lifted.text == (
        f"[sscard] The loss report on your card ending {card_no[-4:]} was lifted on 2026-03-02; the card works again."
    )
    assert {m.state for m in (reported, lifted)} == {"sent"}


def test_r_note_1_a_provisional_report_that_runs_out_is_released_and_the_holder_told(
    api: Api, rt: Runtime, clock: FixedClock
) -> None:
    person = api.person(phone=PHONE)
    card_no = api.card(person["person_id"])["card_no"]
    api.report_loss(card_no)
    clock.advance(timedelta(days=16))  # past the default provisional_valid_days (15)
    done = run_due_jobs(rt)
    assert done["release_expired_provisional"] == 1
    _, released = messages_of(rt, person)
    assert (released.kind, released.state) == ("loss_released", "sent")
    assert "临时挂失已到期" in released.text
    assert card_no[-4:] in released.text
    assert card_no not in released.text
    assert phone_of(rt).messages()[-1]["text"] == released.text


def test_r_note_1_the_holder_and_staff_in_scope_read_the_messages_others_do_not(api: Api, rt: Runtime) -> None:
    person = api.person(phone=PHONE)
    api.report_loss(api.card(person["person_id"])["card_no"])
    holder = Principal("holder.test", Role.CARDHOLDER, region=person["region"], person_id=person["person_id"])
    assert [m.kind for m in messages_of(rt, person, holder)] == ["loss_reported"]
    elsewhere = Principal("clerk.sh", Role.CLERK, region="310000")
    with pytest.raises(OutOfRegion):
        messages_of(rt, person, elsewhere)
