"""The station-identity rule (OCPP 2.0.1 identifierString without ':', 1 to 48 characters) and
the inert text every log line and console cell goes through."""

from __future__ import annotations

import logging
import re
import string
import sys

import pytest

from core import limits
from core.api import openapi
from core.application.errors import Invalid
from core.gateway import auth
from core.inert import InertFormatter, inert
from core.station_id import PATTERN, STATION_ID, station_id_problem, valid_station_id
from tests.api.harness import service_env

IDENTIFIER_STRING = string.ascii_letters + string.digits + "*-_=:+|@."


def test_accepts_identifier_string_without_colon() -> None:
    allowed = IDENTIFIER_STRING.replace(":", "")
    for c in allowed:
        assert valid_station_id(c), c
        assert station_id_problem(c) is None
    assert valid_station_id("CS-001_a.b*c=d+e|f@g")
    assert valid_station_id("S" * limits.STATION_ID.hi)


@pytest.mark.parametrize(
    ("station_id", "reason"),
    [
        ("", "must not be empty"),
        ("S" * 49, "must be at most 48 characters (it has 49)"),
        ("CS:1", "must not contain ':'"),
        ("CS/1", "must not contain '/'"),
        ("CS 1", "must not contain ' '"),
        ("\x1b]2;PWNED\x07", "must not contain '\\x1b'"),
        ("CS1\n", "must not contain '\\n'"),
        ("CS\x00", "must not contain '\\x00'"),
        ("CS\x9b", "must not contain '\\x9b'"),
        ("CS\u202e1", "must not contain '\\u202e'"),
        ("CS[1]", "must not contain '['"),
        ("CSé", "must not contain '\\xe9'"),
        ("CS\uff11", "must not contain '\\uff11'"),  # a full-width digit is not 0-9
    ],
)
def test_refuses_with_a_reason(station_id: str, reason: str) -> None:
    assert not valid_station_id(station_id)
    problem = station_id_problem(station_id)
    assert problem is not None
    assert problem.startswith(reason)
    assert inert(problem) == problem
    assert problem.isascii()


def test_one_rule_everywhere() -> None:
    assert auth.valid_station_id is valid_station_id
    assert openapi.STATION_ID_PATTERN == PATTERN == STATION_ID.pattern
    # The JSON-schema pattern means the same as the Python check for every character.
    schema = re.compile(PATTERN)
    for code in range(0x2100):
        c = chr(code)
        assert bool(schema.search(c)) == valid_station_id(c), repr(c)


async def test_service_refuses_an_id_that_could_never_log_in() -> None:
    async with service_env() as env:
        with pytest.raises(Invalid) as info:
            await env.service.register_station("CS:1", 0)
        assert info.value.field == "csId"
        assert "':'" in info.value.message
        with pytest.raises(Invalid):
            await env.service.set_station_auth("CS:1", 0)
        assert (await env.service.register_station("CS|1", 0)).station_id == "CS|1"


def test_inert_escapes_controls_and_keeps_the_rest() -> None:
    assert inert("CS001 · Ünïcode [b]") == "CS001 · Ünïcode [b]"
    assert inert("\x1b]2;PWNED\x07") == "\\x1b]2;PWNED\\x07"
    assert inert("a\nb\r\tc\x7f\x85\x9b") == "a\\x0ab\\x0d\\x09c\\x7f\\x85\\x9b"
    assert inert("\u202eevil\u2066") == "\\u202eevil\\u2066"
    for code in [*range(0x20), *range(0x7F, 0xA0)]:
        assert inert(chr(code)) == f"\\x{code:02x}"


def test_formatter_keeps_one_record_on_one_line() -> None:
    formatter = InertFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord(
        "core", logging.INFO, __file__, 1, "refused %s", ("x\nINFO forged\x1b[2J",), None
    )
    assert formatter.format(record) == "INFO refused x\\x0aINFO forged\\x1b[2J"
    try:
        raise ValueError("bad\nINFO forged")
    except ValueError:
        record = logging.LogRecord("core", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    lines = formatter.format(record).split("\n")
    assert lines[0] == "ERROR boom"
    assert all(line.startswith("  ") for line in lines[1:])
    assert "  INFO forged" in lines
