"""The messages a holder receives, in zh-CN and en (R-NOTE-1): pure.

Card and ID numbers never appear whole: a card is named by its last four digits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from sscard.guide.catalog import DEFAULT_LANGUAGE, Language


class Kind(StrEnum):
    LOSS_REPORTED = "loss_reported"
    LOSS_LIFTED = "loss_lifted"
    LOSS_RELEASED = "loss_released"
    REPLACEMENT_READY = "replacement_ready"
    CARD_EXPIRING = "card_expiring"
    CARD_CANCELLED = "card_cancelled"
    CLAIM_APPROVED = "claim_approved"
    CLAIM_REJECTED = "claim_rejected"
    COMPENSATED = "compensated"


# A card number (16 digits) or an ID number (15 or 18 characters, the last maybe X) a
# clerk's free text quotes (a claim's reason, a payee): masked to its last four.
WHOLE_NUMBER = re.compile(r"\d{12,}[\dXx]")

SIGNATURE = {Language.ZH_CN: "【社保卡】", Language.EN: "[sscard] "}

TEXTS: Mapping[Language, Mapping[Kind, str]] = {
    Language.ZH_CN: {
        Kind.LOSS_REPORTED: "您尾号{card}的社保卡已于{date}挂失，即时停止结算。找回卡片可办理解挂；补卡请携带身份证到经办网点或合作银行。",
        Kind.LOSS_LIFTED: "您尾号{card}的社保卡已于{date}解除挂失，可以正常使用。",
        Kind.LOSS_RELEASED: "您尾号{card}的社保卡临时挂失已到期，于{date}自动解除，卡片恢复使用。如卡仍未找回，请尽快办理正式挂失。",
        Kind.REPLACEMENT_READY: "您补换的社保卡（尾号{card}）已制作完成，自{date}起可凭身份证和领卡凭证到经办网点领取。",
        Kind.CARD_EXPIRING: "您尾号{card}的社保卡有效期至{date}，请在到期前到经办网点免费换卡。",
        Kind.CARD_CANCELLED: "尾号{card}的社保卡已于{date}注销，个人账户余额{amount}元已支付给{payee}。",
        Kind.CLAIM_APPROVED: "您的报销申请（编号{claim}）已审核通过，{amount}元已计入个人账户。",
        Kind.CLAIM_REJECTED: "您的报销申请（编号{claim}）未获通过：{reason}。",
        Kind.COMPENSATED: "您尾号{card}的社保卡在挂失后发生的{amount}元消费已按原价赔付到个人账户。",
    },
    Language.EN: {
        Kind.LOSS_REPORTED: "Your card ending {card} was reported lost on {date} and settles nothing from now. If you find it you can lift the report; for a new card bring your ID card to an outlet or the card's bank.",
        Kind.LOSS_LIFTED: "The loss report on your card ending {card} was lifted on {date}; the card works again.",
        Kind.LOSS_RELEASED: "The provisional loss report on your card ending {card} ran out on {date} and the card works again. If it is still missing, make a formal report soon.",
        Kind.REPLACEMENT_READY: "Your new card (ending {card}) is ready: collect it from {date} at the outlet with your ID card and the collection certificate.",
        Kind.CARD_EXPIRING: "Your card ending {card} is valid until {date}. Renew it free of charge at an outlet before then.",
        Kind.CARD_CANCELLED: "The card ending {card} was cancelled on {date}; the account's balance of {amount} yuan was paid to {payee}.",
        Kind.CLAIM_APPROVED: "Your reimbursement claim {claim} was approved: {amount} yuan was paid into your account.",
        Kind.CLAIM_REJECTED: "Your reimbursement claim {claim} was not approved: {reason}.",
        Kind.COMPENSATED: "A charge of {amount} yuan made on your card ending {card} after its loss report has been refunded to your account.",
    },
}


def card_tail(card_no: str) -> str:
    """A card named the way a message may name it."""
    return card_no[-4:]


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals: 12345 → 123.45."""
    return f"{fen // 100}.{fen % 100:02d}"


def language_of(tag: str | None) -> Language:
    """The holder's language, zh-CN unless they chose English."""
    return Language.EN if tag == Language.EN else DEFAULT_LANGUAGE


def render(kind: Kind, language: Language, **values: str) -> str:
    """The message text, signed, in the holder's language, no number given whole."""
    masked = {name: mask_numbers(value) for name, value in values.items()}
    return SIGNATURE[language] + TEXTS[language][kind].format(**masked)


def mask_numbers(text: str) -> str:
    """Free text with every card or ID number in it masked but for its last four."""
    return WHOLE_NUMBER.sub(lambda number: "*" * (len(number[0]) - 4) + number[0][-4:], text)
