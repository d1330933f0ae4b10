"""The online settlement's statements, built once.

Every settlement runs these, so they are module constants with bound parameters:
building and cache-keying a statement per request cost more CPU than running it.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, and_, bindparam, insert, select, update

from sscard.cards.models import Card
from sscard.institutions.models import Institution, Terminal
from sscard.people.models import Account, Posting
from sscard.settlement.models import Settlement

_ACCOUNTS, _POSTINGS, _SETTLEMENTS = (cast("Table", model.__table__) for model in (Account, Posting, Settlement))

# The terminal and its institution, by the terminal's client id (terminal_id).
TERMINAL = (
    select(Terminal.terminal_id, Terminal.list_version, Institution.id, Institution.designated, Institution.region_code)
    .join(Institution)
    .where(Terminal.terminal_id == bindparam("terminal_id"))
)

# The card, locked (card_no). The list is read by a statement of its own, after the
# lock (invalid_list.service.is_listed): one taken in the same statement would be read
# as of before a change that the lock waited for (a replacement applied for a damaged
# card lists it, and leaves the card row as it was).
CARD = select(Card).where(Card.card_no == bindparam("card_no")).with_for_update()

# R-ACC-1: take `debit` fen (person_id, debit, now) if the balance stays at or above
# what is held and zero, as apply_posting would; the new balance, or no row.
_after = _ACCOUNTS.c.balance - bindparam("debit")
DEBIT = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.person_id == bindparam("person"), and_(_after >= _ACCOUNTS.c.held, _after >= 0))
    .values(balance=_after, updated_at=bindparam("now"))
    .returning(_ACCOUNTS.c.balance)
)

# Run with every column's value as parameters.
INSERT_SETTLEMENT = insert(_SETTLEMENTS).returning(_SETTLEMENTS.c.id)
INSERT_POSTING = insert(_POSTINGS)
