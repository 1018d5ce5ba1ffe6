"""How the message log keeps its frames: many to a row ("a pack"), the frames one JSON array.

A row a frame cost some 7 µs of CPU each — its insert, its entry in a per-station index and its
share of the trim — which was half of what logging a Heartbeat's two frames cost, for a log a
person reads now and then. A pack of a batch's frames costs one insert. Reads decode packs
newest first and filter their frames in Python, after a prefilter in SQL on what each pack row
says of its frames: their time span, stations and actions and whether any is a CALLERROR
(core/store/sqlite/message_log.py).

A frame's id is its pack's id × PACK_SLOTS + its place in the pack. Ids grow with time, as row
ids did, so pages go backwards the same way; they are not consecutive. A frame removed from a
pack (its station deleted) leaves ``null`` in its place, so the others keep their ids.

Shared by the store and by the migration that packed the rows of the log's first shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

PACK_SLOTS = 1024  # the most frames in one pack: the factor of a frame's id
_SEP = "\x1f"  # between names in a pack's ``stations`` and ``actions``; no name has it

# A frame as a pack holds it: station_id, at (the store's fixed-width text), direction,
# message_type, message_id, action, payload (JSON text or None), error_code, error_description.
PackedFrame = tuple[str, str, str, int, str, str, str | None, str, str]


# The columns ``pack`` gives values for, in its order (the store's inserts and the migration's).
INSERT_PACK = (
    "INSERT INTO message_packs (frames, first_at, last_at, stations, actions, errors, body)"
)


def pack(frames: Sequence[PackedFrame]) -> tuple[int, str, str, str, str, int, str]:
    """The pack row's values: frames, first_at, last_at, stations, actions, errors, body."""
    body = orjson.dumps(
        [
            # The payload is JSON already (core.store.models.encode_payload): put in as it is.
            f if f[6] is None else (*f[:6], orjson.Fragment(f[6]), f[7], f[8])
            for f in frames
        ]
    ).decode()
    times = [f[1] for f in frames]
    return len(frames), min(times), max(times), *_summary(frames), body


def repack(frames: Sequence[list[Any] | None]) -> tuple[int, str, str, int, str]:
    """frames, stations, actions, errors and body of a pack some of whose frames were removed
    (set to None)."""
    kept = [f for f in frames if f is not None]
    return len(kept), *_summary(kept), orjson.dumps(list(frames)).decode()


def _summary(frames: Sequence[Sequence[Any]]) -> tuple[str, str, int]:
    """What a read's prefilter asks of a pack (core/store/sqlite/message_log.py): its stations,
    its actions, and how many of its frames are CALLERRORs."""
    return (
        listed({f[0] for f in frames}),
        listed({f[5] for f in frames}),
        sum(1 for f in frames if f[3] == 4),
    )


def listed(names: set[str]) -> str:
    """Every name between two separators (``\\x1f``), as ``needle`` finds one."""
    return _SEP + _SEP.join(sorted(names)) + _SEP


def needle(name: str) -> str:
    """What the ``stations`` or ``actions`` of a pack that holds ``name`` contain."""
    return f"{_SEP}{name}{_SEP}"


def unpack(body: str) -> list[list[Any] | None]:
    """A pack's frames in order, each a list in PackedFrame's order (its payload decoded), or
    None where a frame was removed."""
    frames: list[list[Any] | None] = orjson.loads(body)
    return frames
