"""Cooperative banks: the card is also a bank card (DOMAIN "Actors")."""

from __future__ import annotations

# Banks that issue social security cards, by the short codes banks use for themselves.
COOPERATIVE_BANKS: dict[str, str] = {
    "ICBC": "中国工商银行",
    "ABC": "中国农业银行",
    "BOC": "中国银行",
    "CCB": "中国建设银行",
    "BOCOM": "交通银行",
    "PSBC": "中国邮政储蓄银行",
    "CMB": "招商银行",
    "CITIC": "中信银行",
    "CEB": "中国光大银行",
    "CMBC": "中国民生银行",
    "BOB": "北京银行",
    "BJRCB": "北京农商银行",
    "HEBRCU": "河北省农村信用社",
    "SCRCU": "四川农信",
    "MYCCB": "绵阳市商业银行",
    "ZJKB": "张家口银行",
}


def is_cooperative_bank(code: str) -> bool:
    """Whether a bank code names a cooperative bank."""
    return code in COOPERATIVE_BANKS
