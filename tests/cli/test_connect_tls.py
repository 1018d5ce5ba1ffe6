"""``--connect``: a warning before the console starts when the bearer token would cross the
network in plain HTTP, and HTTPS with certificate checking — against the real admin API served
over TLS on loopback by aiohttp, with a CA made here."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from core.api.auth import create_api_token
from core.api.server import ApiServer
from core.application.errors import ServiceError
from core.config import ApiConfig
from core.services.certificates import create_ca, issue_certificate
from csms_tui.cli import app as cli_app
from csms_tui.remote import connect, connect_problems
from tests.api.harness import service_env


@asynccontextmanager
async def https_api(tmp_path: Path) -> AsyncIterator[tuple[str, Path, str]]:
    """The admin API over HTTPS on loopback: (base URL, the CA's PEM file, a bearer token)."""
    ca_cert, ca_key = create_ca("Test Ops CA", "Test")
    cert, key = issue_certificate(ca_cert, ca_key, "localhost", "Test", server_names=["localhost"])
    (tmp_path / "ca.pem").write_text(ca_cert)
    (tmp_path / "server.pem").write_text(cert)
    (tmp_path / "server.key").write_text(key)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    async with service_env() as env:
        await env.service.register_station("CS1", 0)
        token = await create_api_token(env.store, "console", env.clock.now())
        api = ApiServer(env.service, env.store, env.clock, ApiConfig(addr="127.0.0.1:0"))
        runner = web.AppRunner(api.app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        port = runner.addresses[0][1]
        try:
            yield f"https://localhost:{port}", tmp_path / "ca.pem", token
        finally:
            await runner.cleanup()


async def test_https_with_the_private_ca_is_verified(tmp_path: Path) -> None:
    async with (
        https_api(tmp_path) as (url, ca_file, token),
        connect(url, token, str(ca_file)) as remote,
    ):
        page = await remote.service.list_stations()
        assert [s.station_id for s in page.stations] == ["CS1"]


async def test_https_without_the_ca_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    async with https_api(tmp_path) as (url, _ca_file, token):
        with pytest.raises(ServiceError) as refused:
            async with connect(url, token):
                pass
        message = str(refused.value)
        assert message.startswith(f"{url}: the server's TLS certificate cannot be verified")
        assert "pass it with --ca-file" in message


async def test_https_with_another_ca_is_refused(tmp_path: Path) -> None:
    other, _ = create_ca("Someone Else", "Other")
    (tmp_path / "other.pem").write_text(other)
    async with https_api(tmp_path) as (url, _ca_file, token):
        with pytest.raises(ServiceError, match=r"cannot be verified.*is --ca-file the CA"):
            async with connect(url, token, str(tmp_path / "other.pem")):
                pass


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://192.0.2.10:9410", True),
        ("http://csms.example:9410", True),
        ("http://127.0.0.1:9410", False),
        ("http://localhost:9410", False),
        ("http://[::1]:9410", False),
        ("https://csms.example:9410", False),
    ],
)
def test_plain_http_beyond_loopback_is_warned(url: str, warned: bool) -> None:
    warnings, error = connect_problems(url, None)
    assert error is None
    assert bool(warnings) is warned
    if warned:
        assert "unencrypted" in warnings[0]
        assert "https://" in warnings[0]


def test_unusable_urls_and_ca_files_are_errors(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("not a certificate")
    assert connect_problems("ftp://x", None)[1] is not None
    assert connect_problems("http://x:1", str(tmp_path / "junk.pem"))[1] == (
        "--ca-file is for an https:// URL"
    )
    _, error = connect_problems("https://x:1", str(tmp_path / "missing.pem"))
    assert error is not None
    assert "No such file" in error
    _, error = connect_problems("https://x:1", str(tmp_path / "junk.pem"))
    assert error == f"--ca-file {tmp_path / 'junk.pem'}: not a PEM CA certificate"


def test_the_command_warns_on_stderr_before_the_console_starts(tmp_path: Path) -> None:
    # An unreadable config stops the command right after the warning, before any screen.
    result = CliRunner().invoke(
        cli_app,
        ["--connect", "http://192.0.2.10:9410", "--token", "T", "-c", str(tmp_path / "no.toml")],
    )
    assert result.exit_code == 2
    first, *rest = result.stderr.splitlines()
    assert first.startswith("warning: --connect http://192.0.2.10:9410: plain HTTP")
    assert rest
    assert rest[0].startswith("error: ")
    assert result.stdout == ""
