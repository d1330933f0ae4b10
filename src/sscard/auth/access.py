"""R-SEC-2: a token stands only while its login is the one it was issued for.

Every change to a login (role, region, password, disabled) bumps its generation; a
token carries the generation it was issued with. Each process remembers what it last
read of a login for at most GRANT_TTL_SECONDS, and forgets it at once when it makes
the change itself, so a change is in force on the next request everywhere.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

GRANT_TTL_SECONDS = 1.0


def is_fresh(checked_at: float, now: float, ttl: float = GRANT_TTL_SECONDS) -> bool:
    """Whether a login read at `checked_at` may still be trusted at `now` (monotonic seconds)."""
    return 0 <= now - checked_at < ttl


def trusted_until(checked_at: float, ttl: float = GRANT_TTL_SECONDS) -> float:
    """The instant (monotonic seconds) from which a login read at `checked_at` is read again."""
    return checked_at + ttl


def still_granted(token_generation: int | None, current_generation: int | None) -> bool:
    """Whether a token issued at one generation stands while its login is at another.

    `current_generation` is None when the login is gone or disabled.
    """
    return current_generation is not None and token_generation == current_generation


class Grant:
    """What this process last read of one login; shared by every token of it."""

    __slots__ = ("checked_at", "epoch", "generation", "trusted_until")

    def __init__(self) -> None:
        self.generation: int | None = None
        self.checked_at = -math.inf
        # checked_at + ttl, kept so the request path makes one comparison.
        self.trusted_until = -math.inf
        # Bumped by each invalidation, so a read begun before it cannot be kept after it.
        self.epoch = 0


class Grants:
    """The per-process memory of logins' generations."""

    def __init__(self, ttl: float = GRANT_TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.monotonic = monotonic
        self._by_login: dict[str, Grant] = {}

    def of(self, login: str) -> Grant:
        """The process's grant record of a login (made empty, hence stale, the first time)."""
        grant = self._by_login.get(login)
        if grant is None:
            grant = self._by_login[login] = Grant()
        return grant

    def fresh(self, grant: Grant) -> bool:
        """Whether the grant was read recently enough to be trusted."""
        now = self.monotonic()
        return now < grant.trusted_until and is_fresh(grant.checked_at, now, self.ttl)

    def remember(self, grant: Grant, generation: int | None, epoch: int) -> None:
        """Keep what was read of a login, unless it was invalidated since the read began."""
        if grant.epoch == epoch:
            grant.generation, grant.checked_at = generation, self.monotonic()
            grant.trusted_until = trusted_until(grant.checked_at, self.ttl)

    def invalidate(self, login: str) -> None:
        """Forget what this process knows of a login: its next request reads it again."""
        grant = self._by_login.get(login)
        if grant is not None:
            grant.checked_at, grant.trusted_until, grant.epoch = -math.inf, -math.inf, grant.epoch + 1

    def clear(self) -> None:
        """Forget every login (when the token cache is emptied)."""
        for login in list(self._by_login):
            self.invalidate(login)
        self._by_login.clear()
