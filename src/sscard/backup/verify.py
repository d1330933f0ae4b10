"""Does a database still add up? The ledgers (R-ACC-1) and the invalid list's version
chain (R-INV-3), checked after a restore or whenever an operator asks.

Each check answers with sentences that say exactly what is wrong and where, so that an
operator can tell a bad copy from a good one without reading SQL.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sscard.invalid_list.models import InvalidCard, ListChange, ListCounter
from sscard.people.models import Account, Posting

# Enough to tell one bad row from a broken copy, without flooding a terminal.
SHOWN_PER_CHECK = 20


def verify(session: Session) -> list[str]:
    """Every problem found, one sentence each; empty when the database adds up."""
    return [
        *_shown("account", _ledger_totals(session)),
        *_shown("posting", _running_balances(session)),
        *_shown("list version", _version_chain(session)),
        *_shown("list entry", _entries_against_log(session)),
    ]


def _shown(kind: str, problems: Iterator[str]) -> list[str]:
    found = list(problems)
    if len(found) <= SHOWN_PER_CHECK:
        return found
    hidden = len(found) - SHOWN_PER_CHECK
    return [*found[:SHOWN_PER_CHECK], f"… and {hidden} more {kind} problems of this kind"]


def _ledger_totals(session: Session) -> Iterator[str]:
    # R-ACC-1: the balance is the sum of the postings, never negative; R-REP-6: what is
    # held at the old bank is part of the balance.
    total = func.coalesce(func.sum(Posting.amount), 0)
    rows = session.execute(
        select(Account.person_id, Account.balance, Account.held, total)
        .outerjoin(Posting, Posting.person_id == Account.person_id)
        .group_by(Account.person_id, Account.balance, Account.held)
        .having(
            (Account.balance != total) | (Account.balance < 0) | (Account.held < 0) | (Account.held > Account.balance)
        )
        .order_by(Account.person_id)
    )
    for person_id, balance, held, summed in rows:
        if balance != summed:
            yield f"account of person {person_id}: balance {balance} fen, but its postings sum to {summed} fen"
        if balance < 0:
            yield f"account of person {person_id}: balance {balance} fen is negative"
        if not 0 <= held <= max(balance, 0):
            yield f"account of person {person_id}: {held} fen held is outside 0…{balance} fen (the balance)"


def _running_balances(session: Session) -> Iterator[str]:
    # Each posting records the balance it left; replaying them in order must agree.
    running = func.sum(Posting.amount).over(partition_by=Posting.person_id, order_by=Posting.id).label("running")
    replay = select(Posting.id, Posting.person_id, Posting.balance_after, running).subquery()
    rows = session.execute(
        select(replay)
        .where((replay.c.balance_after != replay.c.running) | (replay.c.running < 0))
        .order_by(replay.c.id)
    )
    for posting_id, person_id, balance_after, summed in rows:
        if summed < 0:
            yield f"posting {posting_id} (person {person_id}): the postings up to it sum to {summed} fen, below zero"
        else:
            yield (
                f"posting {posting_id} (person {person_id}): records a balance of {balance_after} fen after it, "
                f"but the postings up to it sum to {summed} fen"
            )


def _version_chain(session: Session) -> Iterator[str]:
    # R-INV-3: terminals follow `changes?since=`; a hole or a counter behind the log
    # would make one skip a change without knowing.
    counters = session.execute(select(ListCounter.id, ListCounter.version)).all()
    if len(counters) != 1 or counters[0][0] != 1:
        yield f"the list's version counter should be one row with id 1; found {len(counters)} rows"
        return
    counter = counters[0][1]
    previous = func.lag(ListChange.version).over(order_by=ListChange.version).label("previous")
    steps = select(ListChange.version, previous).subquery()
    for version, before in session.execute(
        select(steps).where(steps.c.previous.is_not(None), steps.c.version != steps.c.previous + 1)
    ):
        missing = f"version {before + 1} is" if version == before + 2 else f"versions {before + 1}…{version - 1} are"
        yield f"the change log jumps from version {before} to {version}: {missing} missing"
    newest = session.scalar(select(func.max(ListChange.version)))
    if newest is not None and newest != counter:
        yield f"the version counter says {counter}, but the newest change in the log is version {newest}"
    listed = session.scalar(select(func.max(InvalidCard.version)))
    if listed is not None and listed > counter:
        yield f"a listed card carries version {listed}, beyond the version counter's {counter}"


def _entries_against_log(session: Session) -> Iterator[str]:
    # The list now must be what the kept log says for every card the log still covers.
    newest = select(ListChange.card_no, func.max(ListChange.version).label("version")).group_by(ListChange.card_no)
    latest = newest.subquery()
    rows = session.execute(
        select(ListChange.card_no, ListChange.version, ListChange.op, InvalidCard.version)
        .join(latest, (latest.c.card_no == ListChange.card_no) & (latest.c.version == ListChange.version))
        .outerjoin(InvalidCard, InvalidCard.card_no == ListChange.card_no)
        .order_by(ListChange.version)
    )
    for card_no, version, op, entry_version in rows:
        if op == "add" and entry_version is None:
            yield f"card {card_no}: the log adds it to the list at version {version}, but it is not on the list"
        elif op == "add" and entry_version != version:
            yield f"card {card_no}: its last change is version {version}, but its list entry says {entry_version}"
        elif op == "remove" and entry_version is not None:
            yield f"card {card_no}: the log removes it at version {version}, but it is still on the list"
    oldest = session.scalar(select(func.min(ListChange.version)))
    if oldest is None:
        return
    unlogged = (
        select(InvalidCard.card_no, InvalidCard.version)
        .where(InvalidCard.version >= oldest)
        .where(~select(ListChange.version).where(ListChange.card_no == InvalidCard.card_no).exists())
        .order_by(InvalidCard.version)
    )
    for card_no, version in session.execute(unlogged):
        yield f"card {card_no}: listed at version {version}, but the log (kept from {oldest}) has no change of it"
