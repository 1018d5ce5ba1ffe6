"""The ``date-time`` format the schemas check: RFC 3339 with an offset, and a real instant. The
last valid text is remembered (the CSMS's own answers repeat it), which must never let an
invalid one through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core import schemas
from core.ocpp.errors import RpcError
from core.schemas import Direction, SchemaSet, validate

ROOT = Path(__file__).resolve().parents[2]
VALID = ["2026-11-29T19:07:59.176Z", "2026-11-29t19:07:59z", "2026-11-29T20:07:59+01:00"]
INVALID = [
    "",
    "2026-11-29",
    "2026-11-29T19:07:59",  # no offset
    "2026-11-29T25:07:59Z",  # no such hour
    "2026-02-30T10:00:00Z",  # no such day
    "29/11/2026 19:07",
]


@pytest.mark.parametrize("text", INVALID)
def test_an_invalid_date_time_is_refused_whatever_was_checked_before(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemas, "_last_date_time", None)  # as a fresh process starts
    assert not schemas._date_time(text)
    for valid in VALID:
        assert schemas._date_time(valid)
        assert not schemas._date_time(text)  # right after a valid one, still refused


@pytest.mark.parametrize("text", VALID)
def test_a_valid_date_time_is_accepted_again_and_again(text: str) -> None:
    assert schemas._date_time(text)
    assert schemas._date_time(text)


def test_a_heartbeat_answer_is_checked_through_the_format() -> None:
    validate(SchemaSet.OCPP16, "Heartbeat", Direction.RESPONSE, {"currentTime": VALID[0]})
    with pytest.raises(RpcError):
        validate(SchemaSet.OCPP16, "Heartbeat", Direction.RESPONSE, {"currentTime": INVALID[3]})


def test_a_fresh_process_refuses_an_empty_date_time_first_thing() -> None:
    """Before any text was found valid, the remembered one matches nothing a station sends."""
    code = "from core.schemas import _date_time; raise SystemExit(_date_time(''))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
    assert done.returncode == 0
