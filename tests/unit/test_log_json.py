"""JSON log lines: whatever text a record carries, csms.log holds one valid JSON object per line.

The records go through the CLI's own logging set-up and a real log file, as the daemon writes it.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.config import Config
from csms_tui.cli import setup_logging

# Quote, backslash, line breaks of every kind a line splitter knows, NUL, ESC sequences (clear
# screen, retitle), C1 CSI, a bidirectional override, a forged record after a newline.
HOSTILE = (
    'a"b\\c\nd\re\r\nf\x00g\x1b[2J\x1b]2;owned\x07h\x9b31mi\x85j\u2028k\u2029l\u202em\x7fn'
    '\x1c\x1d\x1e\n{"t":"forged","level":"CRITICAL"}'
)
# Lone surrogates: text decoded with surrogateescape from non-UTF-8 bytes, a broken pair.
SURROGATES = b"caf\xe9 \xff".decode("utf-8", "surrogateescape") + "\ud800 end"


@pytest.fixture
def json_log(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    path = tmp_path / "csms.log"
    config = Config.model_validate(
        {"observability": {"log_format": "json", "log_file": str(path), "log_level": "DEBUG"}}
    )
    setup_logging(config, to_stderr=False)
    try:
        yield path
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def records(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    text = data.decode("utf-8")  # strict: no lone surrogate or invalid byte reached the file
    lines = text.splitlines()  # splits at U+0085, U+2028, \x1c... too: none may be in a line
    assert lines == text.split("\n")[:-1]
    assert text.endswith("\n")
    out = []
    for line in lines:
        assert not any(unicodedata.category(ch) == "Cc" for ch in line), line
        assert not any(ch in line for ch in "\u202a\u202b\u202c\u202d\u202e"), line
        strict = orjson.loads(line)  # orjson refuses lone surrogates even as \u escapes
        assert strict == json.loads(line)
        assert isinstance(strict, dict)
        out.append(strict)
    return out


def test_hostile_text_stays_inside_one_json_object_per_line(json_log: Path) -> None:
    log = logging.getLogger("csms.test")
    log.info("station %s said %r", HOSTILE, HOSTILE)
    log.warning(HOSTILE)
    log.info("id %s", SURROGATES)
    lines = records(json_log)
    assert len(lines) == 3
    assert lines[0]["msg"] == f"station {HOSTILE} said {HOSTILE!r}"
    assert lines[0]["level"] == "INFO"
    assert lines[0]["logger"] == "csms.test"
    assert lines[0]["t"].endswith("+00:00")
    assert lines[1]["msg"] == HOSTILE
    assert lines[1]["level"] == "WARNING"
    # A lone surrogate cannot be written as UTF-8 at all: it shows as its escape.
    assert lines[2]["msg"] == "id caf\\udce9 \\udcff\\ud800 end"


def test_traceback_stack_and_extra_fields(json_log: Path) -> None:
    log = logging.getLogger("csms.test")
    try:
        raise ValueError(HOSTILE)
    except ValueError:
        log.exception("handling %s failed", "CS1")
    log.info("with a stack", stack_info=True)
    log.info(
        "extras",
        extra={
            "station_id": HOSTILE,
            "count": 3,
            "ratio": 0.5,
            "nested": {"k": [1, "two", None], 5: "int key"},
            "thing": Path("/some/where"),
            "level": "forged",  # one of the formatter's own names: the record's wins
        },
    )
    log.info("odd extras", extra={"huge": 2**70, "nan": float("nan"), "who": SURROGATES})
    lines = records(json_log)
    assert len(lines) == 4
    exc = lines[0]["exc"]
    assert exc.startswith("Traceback (most recent call last):")
    assert exc.endswith(f"ValueError: {HOSTILE}")
    assert lines[0]["msg"] == "handling CS1 failed"
    assert lines[0]["level"] == "ERROR"
    assert "test_traceback_stack_and_extra_fields" in lines[1]["stack"]
    extras = lines[2]
    assert extras["msg"] == "extras"
    assert extras["level"] == "INFO"
    assert extras["station_id"] == HOSTILE
    assert extras["count"] == 3
    assert extras["ratio"] == 0.5
    assert extras["nested"] == {"k": [1, "two", None], "5": "int key"}
    assert extras["thing"] == "/some/where"
    # Fields of every LogRecord are not repeated beside the chosen ones.
    assert not {"args", "levelno", "pathname", "exc_info", "created"} & set(extras)
    odd = lines[3]
    assert odd["huge"] == 2**70
    assert odd["nan"] == "nan"
    assert odd["who"] == "caf\\udce9 \\udcff\\ud800 end"


def test_text_format_is_unchanged(tmp_path: Path) -> None:
    """The default stays the inert text line (the JSON formatter is only for log_format json)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    path = tmp_path / "csms.log"
    config = Config.model_validate({"observability": {"log_file": str(path)}})
    setup_logging(config, to_stderr=False)
    try:
        logging.getLogger("csms.test").info("id %s", "a\nb")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert line.endswith(" INFO csms.test: id a\\x0ab")
