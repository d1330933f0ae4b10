"""Domain events and the bus that carries them (STYLE: "a change travels as an event").

A service records what happened on its unit of work (`unit.publish(LossReported(…))`)
and returns. The bus runs the handlers subscribed to that kind of event at once, in the
same transaction (the invalid list, the bank's events, the audit trail), and writes one
outbox message for each after-commit subscriber (SMS, bank push), which the outbox
delivers once the transaction has committed. An area that changes a card never imports
the areas that care: the subscriptions are wired in `sscard.subscriptions`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sscard.runtime import Runtime
    from sscard.unit import Unit


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened; subclasses are small frozen records named in the past tense."""

    registry: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls) -> None:
        # No super() call: a slotted dataclass is built anew, and the newest class wins.
        Event.registry[cls.__name__] = cls

    def to_payload(self) -> dict[str, Any]:
        """The event as JSON-ready data, with its kind, for the outbox."""
        values = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"event": type(self).__name__, "data": values}


def event_from_payload(payload: Mapping[str, Any]) -> Event:
    """The event an outbox payload was made from."""
    kind = Event.registry[payload["event"]]
    hints = typing.get_type_hints(kind)
    values = {name: _revive(hints[name], value) for name, value in payload["data"].items()}
    return kind(**values)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _revive(hint: Any, value: Any) -> Any:
    """The value of a field declared as `hint`, from its JSON form (see `_jsonable`)."""
    if value is None:
        return None
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # `X | None`: the type that is not None
        (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    kind = typing.get_origin(hint) or hint
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is tuple:
        return tuple(value)
    return value


@dataclass(frozen=True, slots=True)
class Audited(Event):
    """A state change to append to the audit trail (every service reports its own)."""

    action: str
    object_type: str
    object_id: str
    region: str | None
    detail: dict[str, Any] = field(default_factory=dict)


Handler = Callable[["Unit", Any], None]
# Writes one outbox message in the session's transaction (sscard.outbox.enqueue).
Enqueue = Callable[["Session", str, dict[str, Any], datetime], None]
# An after-commit delivery: the runtime and the event; raises to be retried later.
Delivery = Callable[["Runtime", Any], None]


class Bus:
    """Who hears which event: handlers in the transaction, deliveries after it."""

    def __init__(self, enqueue: Enqueue) -> None:
        self._enqueue = enqueue
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)
        self._topics: dict[type[Event], list[str]] = defaultdict(list)
        self._deliveries: dict[str, Delivery] = {}

    def subscribe(self, kind: type[Event], handler: Handler) -> None:
        """Run `handler(unit, event)` in the publishing transaction."""
        self._handlers[kind].append(handler)

    def after_commit(self, kind: type[Event], topic: str, delivery: Delivery) -> None:
        """Deliver the event through the outbox under `topic`, once its transaction commits."""
        self._topics[kind].append(topic)
        self._deliveries[topic] = delivery

    def publish(self, unit: Unit, event: Event) -> None:
        """Handle an event now, in order, and queue its after-commit deliveries."""
        for handler in self._handlers[type(event)]:
            handler(unit, event)
        for topic in self._topics[type(event)]:
            self._enqueue(unit.session, topic, event.to_payload(), unit.now)

    def delivery(self, topic: str) -> Delivery:
        """The delivery registered for a topic."""
        return self._deliveries[topic]

    def topics(self) -> frozenset[str]:
        """Every topic some event is delivered under."""
        return frozenset(self._deliveries)
