"""The outbox's pure parts: the retry backoff, and events written to and read back
from an outbox payload (what a delivery receives is what was published)."""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import sscard.subscriptions  # noqa: F401 (imports every area, so every event class is registered)
from sscard.events import Event, event_from_payload
from sscard.outbox import MAX_DELAY_SECONDS, retry_delay


@dataclass(frozen=True, slots=True)
class StampedForTest(Event):
    """An event with the field types the real ones do not use yet: instants, optionals, tuples."""

    at: datetime
    on: date
    until: date | None
    noticed: datetime | None
    tags: tuple[str, ...]


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_outbox_retry_delay_never_shrinks_as_attempts_grow(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert retry_delay(low) <= retry_delay(high)


@given(st.integers(min_value=-10, max_value=10**6))
def test_outbox_retry_delay_is_between_two_seconds_and_ten_minutes(attempts: int) -> None:
    assert timedelta(seconds=2) <= retry_delay(attempts) <= timedelta(seconds=MAX_DELAY_SECONDS)
    assert MAX_DELAY_SECONDS == 600


def test_outbox_retry_delay_doubles_from_two_seconds_to_the_cap() -> None:
    assert [retry_delay(n).total_seconds() for n in range(1, 12)] == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]


JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))])
STRATEGIES: dict[object, st.SearchStrategy[Any]] = {
    str: st.text(),
    int: st.integers(-(2**63), 2**63 - 1),
    date: st.dates(),
    # Hypothesis takes naive bounds and adds the zone.
    datetime: st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=ZONES),  # noqa: DTZ001
    dict[str, Any]: st.dictionaries(st.text(max_size=8), JSON, max_size=4),
    tuple[str, ...]: st.lists(st.text(max_size=8), max_size=4).map(tuple),
}


def values_for(hint: object) -> st.SearchStrategy[Any]:
    args = typing.get_args(hint)
    if type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        return st.none() | values_for(inner)
    return STRATEGIES[hint]


def events_of(kind: type[Event]) -> st.SearchStrategy[Event]:
    hints = typing.get_type_hints(kind)
    fields = {f.name: values_for(hints[f.name]) for f in dataclasses.fields(kind)}
    return st.fixed_dictionaries(fields).map(lambda values: kind(**values))


EVERY_EVENT = st.sampled_from(sorted(Event.registry.values(), key=lambda k: k.__name__)).flatmap(events_of)


def test_outbox_the_registry_holds_the_events_that_leave_after_commit() -> None:
    assert {"NotificationQueued", "BankEventRecorded", "LossReported", "StampedForTest"} <= set(Event.registry)


@given(EVERY_EVENT)
def test_outbox_every_event_comes_back_from_its_payload_equal_through_json(event: Event) -> None:
    payload = json.loads(json.dumps(event.to_payload()))
    assert payload["event"] == type(event).__name__
    revived = event_from_payload(payload)
    assert type(revived) is type(event)
    assert revived == event
    for f in dataclasses.fields(event):
        assert type(getattr(revived, f.name)) is type(getattr(event, f.name)), f.name
