"""Events are built by a generated ``__init__`` (core.events._fast_frozen_init) rather than the
dataclass one: it must keep the dataclass's contract for every event type — keyword-only, the
same required fields and defaults, a fresh default from each factory, and frozen instances."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from core.events import EVENT_TYPES, Event, StationEventRecorded

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _required(cls: type[Event]) -> dict[str, Any]:
    """A value for each field without a default (its name will do: types are not checked)."""
    return {
        f.name: AT if f.name == "at" else f"{f.name}-value"
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_defaults_required_fields_and_frozenness_are_the_dataclass_ones(
    cls: type[Event],
) -> None:
    make: Any = cls  # called with what it must refuse, too
    required = _required(cls)
    event = make(**required)
    for f in dataclasses.fields(cls):
        value = getattr(event, f.name)
        if f.name in required:
            assert value == required[f.name]
        elif f.default is not dataclasses.MISSING:
            assert value == f.default
        else:
            factory: Any = f.default_factory
            assert value == factory()
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.station_id = "changed"
    for name in required:  # each required field is required
        with pytest.raises(TypeError):
            make(**{k: v for k, v in required.items() if k != name})
    with pytest.raises(TypeError):
        make(AT)  # keyword-only
    with pytest.raises(TypeError):
        make(**required, not_a_field=1)
    assert event == make(**required)  # the dataclass __eq__ still holds


def test_a_default_factory_gives_each_event_its_own_value() -> None:
    one = StationEventRecorded(at=AT, event_type="X")
    two = StationEventRecorded(at=AT, event_type="X")
    assert one.detail == {}
    assert one.detail is not two.detail
