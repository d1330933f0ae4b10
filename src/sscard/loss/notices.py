"""The fee receipt of a replacement and the clearing notice of a transfer across banks
(R-REP-2, R-REP-6): data in, PDF bytes out, set like the collection certificate."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from sscard.loss.certificate import (
    CJK,
    HEIGHT,
    MARGIN,
    REASONS,
    WIDTH,
    draw_heading,
    draw_particulars,
    mm,
    new_page,
    wrapped,
)

RECEIPT_TITLE, RECEIPT_TITLE_EN = "社会保障卡补换卡工本费收据", "Receipt for the social security card replacement fee"
NOTICE_TITLE = "社会保障卡跨银行补卡余额清算通知单"
NOTICE_TITLE_EN = "Clearing notice: balance transfer to a new card at another bank"
NOTICE_NOTES = (
    "原卡所属银行确认原卡已注销后，个人账户余额转入新卡所属银行；在此之前余额冻结在原卡上，个人账户总额不变。",
    (
        "Once the old card's bank confirms the old card is cancelled, the balance moves to the new card's bank; "
        "until then it is held, and the account's total does not change."
    ),
)


@dataclass(frozen=True, slots=True)
class FeeReceipt:
    """What the fee receipt shows; the ID number already masked."""

    receipt_no: str
    holder_name: str
    masked_id_number: str
    old_card_no: str
    new_card_no: str
    reason: str
    fee_yuan: str
    paid_on: date
    issuing_region: str
    received_by: str


@dataclass(frozen=True, slots=True)
class ClearingNotice:
    """What the clearing notice shows; the ID number already masked."""

    notice_no: str
    holder_name: str
    masked_id_number: str
    old_card_no: str
    old_bank: str
    new_card_no: str
    new_bank: str
    balance_yuan: str
    issued_on: date
    issuing_region: str


def receipt_particulars(receipt: FeeReceipt) -> list[tuple[str, str, str]]:
    """(Chinese label, English label, value), in the order they are printed."""
    reason_zh, reason_en = REASONS.get(receipt.reason, (receipt.reason, receipt.reason))
    return [
        ("收据号码", "Receipt no.", receipt.receipt_no),
        ("持卡人姓名", "Holder", receipt.holder_name),
        ("公民身份号码", "ID number", receipt.masked_id_number),
        ("原卡号", "Old card no.", receipt.old_card_no),
        ("新卡号", "New card no.", receipt.new_card_no),
        ("补换卡原因", "Reason", f"{reason_zh}  {reason_en}"),
        ("工本费", "Fee", f"¥{receipt.fee_yuan}"),
        ("收费日期", "Paid on", receipt.paid_on.isoformat()),
        ("收费地区", "Region", receipt.issuing_region),
        ("经办人", "Received by", receipt.received_by),
    ]


def notice_particulars(notice: ClearingNotice) -> list[tuple[str, str, str]]:
    """(Chinese label, English label, value), in the order they are printed."""
    return [
        ("通知单号", "Notice no.", notice.notice_no),
        ("持卡人姓名", "Holder", notice.holder_name),
        ("公民身份号码", "ID number", notice.masked_id_number),
        ("原卡号", "Old card no.", notice.old_card_no),
        ("原卡银行", "Old card's bank", notice.old_bank),
        ("新卡号", "New card no.", notice.new_card_no),
        ("新卡银行", "New card's bank", notice.new_bank),
        ("待转余额", "Balance to transfer", f"¥{notice.balance_yuan}"),
        ("通知日期", "Issued on", notice.issued_on.isoformat()),
        ("发出机构", "Issued by", f"{notice.issuing_region} 社会保障卡服务分中心"),
    ]


def render_receipt(receipt: FeeReceipt) -> bytes:
    """One A5 page: the receipt's particulars."""
    return _page(RECEIPT_TITLE, RECEIPT_TITLE_EN, receipt.receipt_no, receipt_particulars(receipt), ())


def render_clearing_notice(notice: ClearingNotice) -> bytes:
    """One A5 page: the notice's particulars and what happens next."""
    return _page(NOTICE_TITLE, NOTICE_TITLE_EN, notice.notice_no, notice_particulars(notice), NOTICE_NOTES)


def _page(title: str, title_en: str, number: str, rows: list[tuple[str, str, str]], notes: tuple[str, ...]) -> bytes:
    out = io.BytesIO()
    canvas = new_page(out, title, f"{title_en} {number}")
    draw_heading(canvas, title, title_en, 14)
    y = draw_particulars(canvas, rows, HEIGHT - 40 * mm)
    canvas.setFont(CJK, 8)
    for note in notes:
        for line in wrapped(note, WIDTH - 2 * MARGIN, 8):
            y -= 3.8 * mm
            canvas.drawString(MARGIN, y, line)
        y -= 2 * mm
    canvas.showPage()
    canvas.save()
    return out.getvalue()
