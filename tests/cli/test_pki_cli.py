"""``csms-tui pki create``: the files it writes load as the configuration it prints."""

from __future__ import annotations

import tomllib
from pathlib import Path

import typer
from typer.testing import CliRunner

from core.clock import SystemClock
from core.config import config_from_dict
from core.services.factory import build_services
from core.services.local_pki import LocalPkiStationProvider
from csms_tui.pki_cli import pki_app


def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(pki_app, name="pki")
    return app


def test_pki_create_writes_a_pki_the_printed_config_loads(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "pki"
    result = runner.invoke(
        _app(), ["pki", "create", str(target), "--ocsp-url", "http://127.0.0.1:9380/ocsp"]
    )
    assert result.exit_code == 0, result.output
    assert (target / "v2g_root.pem").exists()
    assert (target / "mo_sub_ca2.key").exists()
    config = config_from_dict(tomllib.loads(result.stdout))
    services = build_services(config, store=None, clock=SystemClock())  # type: ignore[arg-type]
    assert isinstance(services.station_cert_provider, LocalPkiStationProvider)
    assert services.station_cert_provider.v2g.ocsp_url == "http://127.0.0.1:9380/ocsp"

    again = runner.invoke(_app(), ["pki", "create", str(target)])
    assert again.exit_code == 2
    assert "not empty" in again.output
    assert runner.invoke(_app(), ["pki", "create", str(target), "--force"]).exit_code == 0
