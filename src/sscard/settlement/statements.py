"""The online settlement's statements, built once.

Every settlement runs these, so they are module constants with bound parameters:
building and cache-keying a statement per request cost more CPU than running it; and
the approved path's are HotStatements, sent by psycopg itself on PostgreSQL.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, and_, bindparam, insert, select, update

from sscard.cards.models import Card
from sscard.hot_path import HotStatement
from sscard.institutions.models import Institution, Terminal
from sscard.people.models import Account, Posting
from sscard.settlement.models import Settlement

_ACCOUNTS, _CARDS, _POSTINGS, _SETTLEMENTS = (
    cast("Table", model.__table__) for model in (Account, Card, Posting, Settlement)
)
_TERMINALS, _INSTITUTIONS = (cast("Table", model.__table__) for model in (Terminal, Institution))

# The terminal and its institution, by the terminal's client id (terminal_id).
TERMINAL = HotStatement(
    select(
        _TERMINALS.c.terminal_id,
        _TERMINALS.c.list_version,
        _INSTITUTIONS.c.id,
        _INSTITUTIONS.c.designated,
        _INSTITUTIONS.c.region_code,
    )
    .join(_INSTITUTIONS)
    .where(_TERMINALS.c.terminal_id == bindparam("terminal_id"))
)

# The card, locked (card_no). The list is read by a statement of its own, after the
# lock (invalid_list.service.is_listed): one taken in the same statement would be read
# as of before a change that the lock waited for (a replacement applied for a damaged
# card lists it, and leaves the card row as it was).
CARD = select(Card).where(Card.card_no == bindparam("card_no")).with_for_update()
# The same lock, and only what a plain charge looks at: no ORM object to build. Anything
# but the plain case (not active, locked, a wrong PIN, failures to clear) goes through
# CARD and the ORM, under the lock already held.
CARD_AT_TERMINAL = HotStatement(
    select(_CARDS.c.person_id, _CARDS.c.status, _CARDS.c.pin_hash, _CARDS.c.pin_failures, _CARDS.c.pin_locked_at)
    .where(_CARDS.c.card_no == bindparam("card_no"))
    .with_for_update()
)

# R-ACC-1: take `debit` fen (person_id, debit, now) if the balance stays at or above
# what is held and zero, as apply_posting would; the new balance, or no row.
_after = _ACCOUNTS.c.balance - bindparam("debit")
DEBIT = HotStatement(
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.person_id == bindparam("person"), and_(_after >= _ACCOUNTS.c.held, _after >= 0))
    .values(balance=_after, updated_at=bindparam("now"))
    .returning(_ACCOUNTS.c.balance)
)

# Run with every column's value as parameters.
INSERT_SETTLEMENT = HotStatement(insert(_SETTLEMENTS).returning(_SETTLEMENTS.c.id))
INSERT_POSTING = HotStatement(insert(_POSTINGS))
