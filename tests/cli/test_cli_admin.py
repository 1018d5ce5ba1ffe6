"""Admin commands on the configured store (a real SQLite file per test): API tokens, station
registration that refuses an existing id, and password rotation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from core.config import load_config
from csms_tui.cli_tools import _store, standalone_app

runner = CliRunner()
APP = standalone_app()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    db = (tmp_path / "csms.db").as_posix()
    path.write_text(
        f'[api]\nhost = "csms.example"\nws_port = 9310\n[storage.sqlite]\npath = "{db}"\n',
        encoding="utf-8",
    )
    return path


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(APP, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def in_store(config: Path, job: Any) -> Any:
    async def go() -> Any:
        async with _store(load_config(config)) as store:
            return await job(store)

    return asyncio.run(go())


# -- api-token -------------------------------------------------------------------------------


def test_api_token_list_and_revoke(config: Path) -> None:
    from core.api.auth import hash_api_token

    code, out, _ = run("api-token", "list", "--config", str(config))
    assert code == 0 and out.startswith("no API tokens")
    _, ci, _ = run("api-token", "create", "ci", "--config", str(config))
    run("api-token", "create", "ops", "--config", str(config))
    used = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    in_store(config, lambda s: s.touch_api_token(hash_api_token(ci.strip()), used))

    code, out, err = run("api-token", "list", "--config", str(config))
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "CREATED", "LAST", "USED"]
    assert rows[0].startswith("ci ") and rows[0].endswith("2026-03-04 05:06:07 UTC")
    assert rows[1].startswith("ops ") and rows[1].endswith("never")
    assert ci.strip() not in out and hash_api_token(ci.strip()) not in out

    code, out, _ = run("api-token", "revoke", "ci", "--config", str(config))
    assert code == 0 and out == "revoked ci\n"
    assert in_store(config, lambda s: s.lookup_api_token(hash_api_token(ci.strip()))) is None
    code, out, err = run("api-token", "revoke", "ci", "--config", str(config))
    assert code == 1 and out == ""
    assert err == "error: no API token named 'ci' (see: csms-tui api-token list)\n"


def test_api_token_name_is_checked(config: Path) -> None:
    code, _, err = run("api-token", "create", "two words", "--config", str(config))
    assert code == 2 and err.startswith("error: name: 1-64 characters")


@pytest.mark.parametrize("group", ["api-token", "station"])
def test_every_command_has_help(group: str) -> None:
    code, out, _ = run(group, "--help")
    assert code == 0
    commands = [c for c in ("list", "revoke", "create", "register", "rotate-password") if c in out]
    for command in commands:
        code, text, _ = run(group, command, "--help")
        assert code == 0 and "Example: csms-tui" in text
