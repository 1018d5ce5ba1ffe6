"""The bounds in core.limits: edges, 20-digit numbers, typed text, and that each bound keeps
the promise its comment makes (int32 on the wire, a datetime that holds now + the bound)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from core import limits
from core.limits import Bound, Length, NumberBound, OutOfRange

TWENTY_DIGITS = 99999999999999999999


def refusal(fn: Callable[..., object], *args: object) -> OutOfRange:
    with pytest.raises(OutOfRange) as info:
        fn(*args)
    return info.value


def test_check_int_edges() -> None:
    assert limits.check_int("n", 0, 0, 10) == 0
    assert limits.check_int("n", 10, 0, 10) == 10
    error = refusal(limits.check_int, "n", 11, 0, 10, "why not")
    assert (error.field, error.reason) == ("n", "must be between 0 and 10 (why not)")
    assert str(error) == "n must be between 0 and 10 (why not)"
    assert refusal(limits.check_int, "n", -1, 0, 10).reason == "must be between 0 and 10"


def test_int32_bounds_at_their_edges() -> None:
    bound = limits.EVSE_ID
    assert bound.check("evseId", 0) == 0
    assert bound.check("evseId", 2**31 - 1) == 2147483647
    error = refusal(bound.check, "evseId", 2**31)
    assert error.field == "evseId"
    assert error.reason == "must be between 0 and 2147483647 (OCPP integers are 32-bit)"
    assert refusal(bound.check, "evseId", TWENTY_DIGITS).field == "evseId"
    assert refusal(bound.check, "evseId", -TWENTY_DIGITS).field == "evseId"
    assert refusal(limits.CONNECTOR_ID.check, "connectorId", 0).reason.startswith(
        "must be between 1 and"
    )


def test_what_counts_as_a_whole_number() -> None:
    bound = Bound(0, 100)
    assert bound.check("n", 5.0) == 5  # JSON 5.0
    assert isinstance(bound.check("n", 5.0), int)
    # orjson reads a 20-digit JSON number as a float: still out of range, not a crash.
    assert refusal(bound.check, "n", orjson.loads(b"99999999999999999999")).reason.startswith(
        "must be between"
    )
    for value in (True, 5.5, math.nan, math.inf, "5", None):
        assert refusal(bound.check, "n", value).reason == "must be a whole number"


def test_parse_takes_ascii_digits_only() -> None:
    bound = limits.EVSE_ID
    assert bound.parse("evseId", " 12 ") == 12
    assert Bound(-5, 5).parse("n", "-5") == -5
    # str.isdigit() says yes to these; int() takes some of them: neither gets through here.
    for text in ("²", "¹²", "١٢", "1_000", "+1", "0x10", "1.0", "", "-"):
        assert refusal(bound.parse, "evseId", text).reason == "must be a whole number"
    error = refusal(bound.parse, "evseId", "99999999999999999999")
    assert error.reason.startswith("must be between 0 and 2147483647")


def test_number_bounds_are_finite() -> None:
    bound = limits.CHARGING_LIMIT
    assert bound.check("limit", 0) == 0
    assert bound.check("limit", 10_000_000) == 10_000_000
    assert bound.check("limit", 7400.5) == 7400.5
    assert refusal(bound.check, "limit", 10_000_000.1).reason == (
        "must be between 0 and 10000000 (far above any station)"
    )
    assert refusal(bound.check, "limit", -0.1).field == "limit"
    assert refusal(bound.check, "limit", math.nan).reason == "must be a finite number"
    assert refusal(bound.check, "limit", math.inf).reason == "must be a finite number"
    assert refusal(bound.check, "limit", True).reason == "must be a number"
    assert bound.parse("limit", "16.5") == 16.5
    for text in ("1e3", "nan", "inf", "16,5", "²"):
        assert refusal(bound.parse, "limit", text).field == "limit"


def test_lengths() -> None:
    assert limits.ID_TOKEN.check("idToken", "x" * 36) == "x" * 36
    error = refusal(limits.ID_TOKEN.check, "idToken", "x" * 37)
    assert error.reason == "must be at most 36 characters (OCPP idToken)"
    assert refusal(limits.DISPLAY_TEXT.check, "text", "").reason.startswith("must be 1 to 512")
    assert refusal(limits.PASSWORD.check, "password", "p" * 15).field == "password"
    assert Length(3).check("s", "abc") == "abc"


def test_json_payloads_must_be_encodable() -> None:
    limits.check_json("payload", {"a": [1, 2.5, "x", None, True, {"b": 2**63 - 1}]})
    error = refusal(limits.check_json, "payload", {"a": [0, {"b": 2**64}]})
    assert error.field == "payload/a/1/b"
    assert refusal(limits.check_json, "data", [math.nan]).field == "data/0"
    deep: object = 1
    for _ in range(limits.JSON_DEPTH + 1):
        deep = [deep]
    assert "nests deeper" in refusal(limits.check_json, "data", deep).reason
    # Everything check_json lets through, the encoder writes.
    orjson.dumps({"a": [2**64 - 1, -(2**63)]})


def test_wire_and_datetime_promises() -> None:
    int32 = 2**31 - 1
    for name in (
        "EVSE_ID",
        "CONNECTOR_ID",
        "RESERVATION_ID",
        "REQUEST_ID",
        "PROFILE_ID",
        "LIST_VERSION",
        "DURATION_SECONDS",
    ):
        bound = getattr(limits, name)
        assert bound.hi == int32, name
        assert bound.lo >= 0, name
    assert (limits.TRANSACTION_ID_16.lo, limits.TRANSACTION_ID_16.hi) == (-(2**31), int32)
    # Minutes times 60 stay int32 seconds, and a datetime holds now + the longest of each.
    assert limits.MINUTES.hi * 60 <= int32
    now = datetime.now(UTC)
    assert now + timedelta(minutes=limits.MINUTES.hi) < datetime.max.replace(tzinfo=UTC)
    assert now + timedelta(seconds=limits.DURATION_SECONDS.hi) < datetime.max.replace(tzinfo=UTC)
    assert limits.STATION_ID.hi == 48
    assert limits.ID_TOKEN.hi == 36


def test_width_is_the_longest_written_value() -> None:
    assert limits.EVSE_ID.width == 10
    assert limits.TRANSACTION_ID_16.width == 11  # -2147483648
    assert limits.MINUTES.width == 6
    assert NumberBound(0, 1).check("x", 1) == 1
