"""R-FIND-1: the ways staff find a person, and what a request must give for one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sscard.people.idnumber import normalise_id_number
from sscard.people.names import name_key


class Way(StrEnum):
    """One way of finding a person, named by the query field that carries it."""

    ID_NUMBER = "id_number"
    CARD_NO = "card_no"
    PHONE = "phone"
    NAME = "name"


# The fields each way needs: a name alone is too common, so it goes with the birth date.
FIELDS: Mapping[Way, tuple[str, ...]] = {
    Way.ID_NUMBER: ("id_number",),
    Way.CARD_NO: ("card_no",),
    Way.PHONE: ("phone",),
    Way.NAME: ("name", "birth_date"),
}


class SearchRefused(ValueError):
    """A request that is not exactly one way of searching; ``fields`` are the ones at fault."""

    def __init__(self, fields: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True, slots=True)
class PersonSearch:
    """One way of searching, with its value in the form stored persons are compared in."""

    way: Way
    value: str
    birth_date: date | None = None


def choose_search(
    *,
    id_number: str | None = None,
    card_no: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    birth_date: date | None = None,
) -> PersonSearch:
    """The one way a request searches by; raises SearchRefused naming the fields at fault."""
    given = {"id_number": id_number, "card_no": card_no, "phone": phone, "name": name, "birth_date": birth_date}
    present = {field for field, value in given.items() if value is not None}
    way = _the_one_way(present)
    missing = tuple(field for field in FIELDS[way] if field not in present)
    if missing:
        raise SearchRefused(missing, f"{' and '.join(FIELDS[way])} are given together")
    value = _key(way, str(given[way.value]))
    if not value:
        raise SearchRefused((way.value,), "is empty")
    return PersonSearch(way=way, value=value, birth_date=birth_date)


def _the_one_way(present: set[str]) -> Way:
    ways = [way for way, fields in FIELDS.items() if present.intersection(fields)]
    if not ways:
        raise SearchRefused(tuple(f for fields in FIELDS.values() for f in fields), _ONE_OF)
    if len(ways) > 1:
        extra = tuple(field for way in ways[1:] for field in FIELDS[way] if field in present)
        raise SearchRefused(extra, "search one way at a time: " + _ONE_OF)
    return ways[0]


_ONE_OF = "give id_number, card_no, phone, or name with birth_date"


def _key(way: Way, raw: str) -> str:
    if way is Way.ID_NUMBER:
        return normalise_id_number(raw)
    if way is Way.NAME:
        return name_key(raw)  # stored names are NFC with U+00B7, which NFKC leaves as they are
    if way is Way.PHONE:
        return "".join(raw.split())  # registration stores it without spaces
    return raw.strip()
