"""A problem's `detail` in the caller's language, where a text exists (issue 11).

English details name the value at fault and stay as they are; a caller whose
Accept-Language prefers Chinese gets the Simplified Chinese text of the code instead.
Without the header the detail stays English, as clients built on it expect.
"""

from __future__ import annotations

from collections.abc import Mapping

from sscard.guide.catalog import Language
from sscard.guide.language import negotiate, parse_accept_language

ZH_CN: Mapping[str, str] = {
    "unauthenticated": "需要有效的登录凭证，请重新登录。",
    "invalid_credentials": "用户名或密码不正确。",
    "signin_throttled": "登录失败次数过多，请稍后再试。",
    "forbidden": "您的角色无权进行此操作。",
    "out_of_region": "该对象不在您的管辖区域内。",
    "not_found": "未找到请求的对象。",
    "method_not_allowed": "该路径不支持此请求方法。",
    "invalid_request": "请求内容不符合要求，请检查所列字段。",
    "payload_too_large": "请求内容过大。",
    "unsupported_media_type": "不支持该请求内容类型。",
    "uri_too_long": "请求地址过长。",
    "request_headers_too_large": "请求头过大。",
    "bad_request": "请求格式不正确。",
    "idempotency_mismatch": "该幂等键已用于另一个请求。",
    "service_unavailable": "数据库暂时无法应答，本次请求未做任何更改，请按 Retry-After 稍后重试。",
    "outcome_unknown": "提交时数据库失去应答，结果未知；请用同一个幂等键重试以得知是否已生效。",
    "internal_error": "服务发生意外错误，请提供请求编号联系客服。",
}


def detail(code: str, english: str, accept_language: str | None) -> str:
    """The detail to send: the Chinese text of the code for a caller who prefers Chinese."""
    if not accept_language or code not in ZH_CN:
        return english
    return ZH_CN[code] if _prefers_chinese(accept_language) else english


def _prefers_chinese(accept_language: str) -> bool:
    # negotiate() falls back to Chinese for the guide; here only a caller who asks for it gets it.
    asked = any(tag.startswith(("zh", "*")) for tag, _ in parse_accept_language(accept_language))
    return asked and negotiate(accept_language) is Language.ZH_CN
