"""Domain errors with a stable code, rendered as application/problem+json."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal the caller can act on: an HTTP status, a stable code and a detail."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    # A refusal that must still leave a trace (a wrong PIN counts toward the lock)
    # sets this, and the unit of work commits before the refusal is answered.
    keep_changes: bool = False
    # Response headers that belong to the refusal (Retry-After on a 429).
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        """The application/problem+json body; extra members never replace standard ones."""
        return problem_body(self.status, self.code, self.title, self.detail, self.extra)


def problem_body(
    status: int, code: str, title: str, detail: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with this service's stable `code`."""
    standard = {
        "type": f"https://sscard.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    return {**(extra or {}), **standard}


class Unauthenticated(ServiceError):
    status, code, title = 401, "unauthenticated", "Authentication required"


class Forbidden(ServiceError):
    status, code, title = 403, "forbidden", "Forbidden"


class OutOfRegion(ServiceError):
    status, code, title = 403, "out_of_region", "Outside your region"


class NotFound(ServiceError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(ServiceError):
    """A 409 whose code names the conflict (card_exists, person_exists, …)."""

    status, title = 409, "Conflict"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.code = code


class Invalid(ServiceError):
    """A 422 whose code names what is wrong (invalid_id_number, …)."""

    status, title = 422, "Unprocessable request"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.code = code


class Declined(ServiceError):
    """A 402: the service understood and refused the money movement."""

    status, title = 402, "Declined"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.code = code


class Refused(ServiceError):
    """A 403 with its own code (pin_incorrect, certificate_mismatch, …)."""

    status, title = 403, "Refused"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.code = code
