"""The command line's service comes from core (``core.offline``): the configured store, no
station reachable, and failures worded for the operator."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.application.errors import StationOffline
from core.commands.availability import Reset
from core.config import ConfigError, load_config
from core.offline import StoreUnavailable, offline_service, offline_store
from csms_tui.cli_tools import standalone_app

runner = CliRunner()
APP = standalone_app()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage.sqlite]\npath = "{(tmp_path / "csms.db").as_posix()}"\n', encoding="utf-8"
    )
    return path


async def test_a_registered_station_is_offline_and_no_call_is_made(config: Path) -> None:
    async with offline_service(load_config(config)) as service:
        await service.register_station("CS001", 0)
        with pytest.raises(StationOffline):
            await service.execute("CS001", Reset())
        # Refused before the call maker: no call was recorded for the station.
        assert await service.list_calls("CS001") == []
        assert service.connected_stations() == set()


async def test_an_unopenable_store_names_the_store(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage.sqlite]\npath = "{(tmp_path / "missing" / "x.db").as_posix()}"\n',
        encoding="utf-8",
    )
    with pytest.raises(StoreUnavailable, match=r"^cannot open the sqlite store: "):
        async with offline_store(load_config(path)):
            pass


@pytest.fixture
def unreadable_ca(config: Path, tmp_path: Path) -> Path:
    missing = (tmp_path / "nosuch.pem").as_posix()
    config.write_text(
        config.read_text(encoding="utf-8") + '[charge_station_cert_provider]\ntype = "local"\n'
        f'local.cert.file = "{missing}"\nlocal.key.file = "{missing}"\n',
        encoding="utf-8",
    )
    return config


async def test_an_unreadable_ca_file_is_a_configuration_error_before_the_store_opens(
    unreadable_ca: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"charge_station_cert_provider\.local\.cert\.file"):
        async with offline_service(load_config(unreadable_ca), with_ca=True):
            pass
    assert not (tmp_path / "csms.db").exists()


def test_the_command_line_says_an_unreadable_ca_file_in_one_line_exit_2(
    unreadable_ca: Path,
) -> None:
    result = runner.invoke(
        APP, ["station", "register", "CS001", "--issue-certificate", "--config", str(unreadable_ca)]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: charge_station_cert_provider.local.cert.file: ")
    assert result.stderr.count("\n") == 1


def test_a_store_command_on_an_unopenable_store_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage.sqlite]\npath = "{(tmp_path / "missing" / "x.db").as_posix()}"\n',
        encoding="utf-8",
    )
    result = runner.invoke(APP, ["api-token", "list", "--config", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot open the sqlite store: ")
    assert result.stderr.count("\n") == 1
