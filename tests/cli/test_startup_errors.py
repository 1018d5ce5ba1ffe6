"""What a newcomer meets when the CSMS cannot start: one line naming the part and the reason,
exit code 1, no traceback — from `csms-tui --daemon`, from `csms-tui` (before any screen), and
from the utilities that open the store."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.services import free_port

CSMS_TUI = Path(sys.executable).with_name("csms-tui")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CSMS_TUI), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def write_config(tmp_path: Path, ws_port: int, sqlite: str = "csms.db") -> Path:
    config = tmp_path / "csms.toml"
    config.write_text(
        f"""
[gateway]
ws_addr = "127.0.0.1:{ws_port}"
status_addr = ""

[api]
addr = "127.0.0.1:{free_port()}"

[storage.sqlite]
path = "{sqlite}"

[observability]
log_file = ""
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def one_error_line(stderr: str) -> str:
    """The one line that says what went wrong (the daemon logs its start to stderr too)."""
    assert "Traceback" not in stderr, stderr
    assert "Task was destroyed" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip() and " INFO " not in line]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("mode", [["--daemon"], []], ids=["daemon", "console"])
def test_a_port_in_use_is_one_line_and_exit_1(
    tmp_path: Path, busy_port: int, mode: list[str]
) -> None:
    config = write_config(tmp_path, busy_port)
    result = run([*mode, "--config", str(config)], tmp_path)
    assert result.returncode == 1, result
    line = one_error_line(result.stderr)
    assert f"cannot start the gateway (listening on 127.0.0.1:{busy_port})" in line
    assert "address already in use" in line


@pytest.mark.parametrize("mode", [["--daemon"], []], ids=["daemon", "console"])
def test_an_unopenable_sqlite_path_is_one_line_and_exit_1(tmp_path: Path, mode: list[str]) -> None:
    config = write_config(tmp_path, free_port(), sqlite=str(tmp_path / "missing" / "dir" / "x.db"))
    result = run([*mode, "--config", str(config)], tmp_path)
    assert result.returncode == 1, result
    line = one_error_line(result.stderr)
    assert "cannot start the sqlite store" in line
    assert "missing/dir/x.db" in line


def test_a_store_utility_on_an_unopenable_path_says_why_not_exit(tmp_path: Path) -> None:
    # An intended exit inside the utilities' event loop used to print `error: Exit: 1`.
    config = write_config(tmp_path, free_port(), sqlite=str(tmp_path / "missing" / "x.db"))
    result = run(["token", "list", "--config", str(config)], tmp_path)
    assert result.returncode == 1, result
    line = one_error_line(result.stderr)
    assert "Exit" not in line
    assert "cannot open the sqlite store" in line


def test_a_bad_console_section_stops_the_console_before_it_starts(tmp_path: Path) -> None:
    config = write_config(tmp_path, free_port())
    config.write_text(config.read_text() + '\n[tui]\ntheme = "nosuch"\n', encoding="utf-8")
    result = run(["--config", str(config)], tmp_path)
    assert result.returncode == 2, result
    line = one_error_line(result.stderr)
    assert "tui.theme: unknown theme 'nosuch'" in line
    assert not (tmp_path / "csms.db").exists(), "nothing started"
