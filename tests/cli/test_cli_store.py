"""Utility commands that work on the configured store (a real SQLite file per test)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from core.config import load_config
from core.credentials import hash_password
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


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(APP, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_db_migrate(config: Path) -> None:
    code, out, _ = run("db", "migrate", "--config", str(config))
    assert code == 0
    assert out.strip() == "sqlite store is up to date"


def test_station_register_prints_url_and_password(config: Path) -> None:
    code, out, err = run("station", "register", "CS001", "-p", "0", "--config", str(config))
    assert code == 0, err
    lines = dict(line.split(":", 1) for line in out.splitlines())
    assert lines["url"].strip() == "ws://csms.example:9310/ws/CS001"
    password = lines["password"].strip()
    assert len(password) == 16

    async def stored_hash() -> str | None:
        async with _store(load_config(config)) as store:
            auth = await store.lookup_station_auth("CS001")
            return None if auth is None else auth.password_hash

    assert asyncio.run(stored_hash()) == hash_password(password)
    code, out, _ = run("station", "remove", "CS001", "--config", str(config))
    assert code == 0
    code, _, err = run("station", "remove", "CS001", "--config", str(config))
    assert code == 1
    assert err.startswith("error: station CS001 is not registered")


@pytest.mark.parametrize("station_id", ["bad id", "CS:1", "CS\x1b[2J"])
def test_station_register_bad_id_is_a_usage_error(config: Path, station_id: str) -> None:
    code, _, err = run("station", "register", station_id, "--config", str(config))
    assert code == 2
    assert err.startswith("error: csId: must not contain ")
    assert err.count("\n") == 1
    assert "\x1b" not in err


def test_tokens(config: Path) -> None:
    code, out, err = run(
        "token",
        "add",
        "04A2B3C4D5",
        "--contract-id",
        "GB-TWK-C12345678",
        "--group-id",
        "staff",
        "--config",
        str(config),
    )
    assert code == 0, err
    assert out.startswith("stored 04A2B3C4D5 (contract GBTWKC12345678")
    code, out, _ = run("token", "list", "--config", str(config))
    (line,) = out.splitlines()
    token = orjson.loads(line)
    assert token["uid"] == "04A2B3C4D5"
    assert token["groupId"] == "staff"
    assert token["type"] == "RFID"
    assert token["valid"] is True
    code, _, err = run("token", "add", "X", "--type", "CARD", "--config", str(config))
    assert code == 2
    assert err.startswith("error: type: ")
    code, _, _ = run("token", "remove", "04A2B3C4D5", "--config", str(config))
    assert code == 0
    code, out, _ = run("token", "list", "--config", str(config))
    assert out == ""
    code, _, err = run("token", "remove", "04A2B3C4D5", "--config", str(config))
    assert code == 1
    assert err.count("\n") == 1


def test_api_token_create_stores_only_the_hash(config: Path) -> None:
    from core.api.auth import hash_api_token

    code, out, _ = run("api-token", "create", "ci", "--config", str(config))
    token = out.strip()
    assert code == 0
    assert token.startswith("csms_")
    assert len(token) > 40

    async def tokens() -> list[tuple[str, str]]:
        async with _store(load_config(config)) as store:
            return [(t.name, t.token_hash) for t in await store.list_api_tokens()]

    assert asyncio.run(tokens()) == [("ci", hash_api_token(token))]


def test_transaction_get(config: Path) -> None:
    from datetime import UTC, datetime

    async def seed() -> None:
        async with _store(load_config(config)) as store:
            await store.start_transaction_16(
                "CS1", 1, "TAG", 10.0, datetime(2026, 1, 1, tzinfo=UTC), 42
            )

    asyncio.run(seed())
    code, out, err = run("transaction", "get", "CS1", "42", "--config", str(config))
    assert code == 0, err
    data = orjson.loads(out)
    assert data["transactionId"] == "42"
    assert data["stationId"] == "CS1"
    assert data["meterStartWh"] == 10.0
    assert data["active"] is True
    code, _, err = run("transaction", "get", "CS1", "43", "--config", str(config))
    assert code == 1
    assert "no transaction 43" in err
    code, _, err = run("transaction", "get", "CS1", "--config", str(config))
    assert code == 2
    assert err == "error: give STATION_ID TRANSACTION_ID pairs\n"


def test_transaction_close(config: Path) -> None:
    from datetime import UTC, datetime

    async def seed() -> None:
        async with _store(load_config(config)) as store:
            await store.start_transaction_16(
                "CS1", 1, "TAG", 10.0, datetime(2026, 1, 1, tzinfo=UTC), 42
            )

    asyncio.run(seed())
    args = ("transaction", "close", "CS1", "42", "--config", str(config))
    code, _, err = run(*args, "--reason", " ")
    assert code == 2  # no reason is a usage error, and nothing is closed
    assert err.startswith("error: reason: ")
    code, out, err = run(*args, "--reason", "station replaced")
    assert code == 0, err
    data = orjson.loads(out)
    assert (data["active"], data["closeReason"], data["stoppedReason"]) == (
        False,
        "station replaced",
        "Other",
    )
    code, _, err = run(*args, "--reason", "again")
    assert code == 1
    assert "ended already" in err
    code, _, err = run("transaction", "close", "CS1", "43", "-r", "x", "--config", str(config))
    assert code == 1
    assert "no transaction 43" in err
