"""The ``csms-tui`` command: the console (default), ``--daemon``, the scale-out halves
(``gateway``, ``manager``) and the utilities from :mod:`csms_tui.cli_tools`.

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from core.config import Config, ConfigError, load_config
from csms_tui import cli_tools
from csms_tui.simulate import cli as simulate_cli

EXIT_USAGE = 2

app = typer.Typer(
    help="csms-tui: an OCPP 1.6J / 2.0.1 charge station management system with a terminal console.",
    invoke_without_command=True,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
)
cli_tools.register(app)
simulate_cli.register(app)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="TOML configuration file (default: ./config.toml if present, else built-in defaults).",
    ),
]


def _config_path(path: Path | None) -> Path | None:
    """The file to read: the one given, else ./config.toml if present, else none (defaults)."""
    if path is None and Path("config.toml").is_file():
        return Path("config.toml")
    return path


def _load(path: Path | None) -> Config:
    try:
        return load_config(_config_path(path))
    except ConfigError as exc:
        typer.echo(f"error: {'; '.join(str(exc).splitlines())}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc


def setup_logging(config: Config, to_stderr: bool) -> None:
    """Log to the configured file, and to stderr when no console owns the terminal."""
    from core.inert import InertFormatter
    from core.log_json import JsonFormatter

    obs = config.observability
    handlers: list[logging.Handler] = []
    if obs.log_file:
        handlers.append(logging.FileHandler(obs.log_file, encoding="utf-8"))
    if to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    if not handlers:  # not Python's last-resort handler, which writes on the console's screen
        handlers.append(logging.NullHandler())
    # Station ids and texts reach log lines: escaped (JSON strings, or visible escapes in text),
    # a line break or ESC cannot forge a line or drive the terminal of whoever reads the log.
    formatter: logging.Formatter = (
        JsonFormatter()
        if obs.log_format == "json"
        else InertFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=obs.log_level.upper(), handlers=handlers, force=True)


async def _serve(config: Config, roles: frozenset[str]) -> None:
    """Run the core until SIGTERM/SIGINT, then shut down cleanly (websockets closed with 1001,
    the store's pending writes committed)."""
    from core.collector import CollectorPolicy
    from core.runtime import Csms

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with Csms(config, roles=roles) as csms:
        logging.getLogger("csms").info(
            "csms-tui running (%s); ports %s", ", ".join(sorted(roles)), csms.ports
        )
        # Modules, schemas and the composed core live as long as the process, and so do most
        # connections' objects: kept out of the collector's full passes, which otherwise stall
        # every station's replies for tens of milliseconds and cost a reconnect storm a third of
        # its CPU (core/collector.py).
        collector = CollectorPolicy()
        collector.start()
        await stop.wait()
        collector.stop()
        logging.getLogger("csms").info("shutting down")


def _run_roles(config: Config, roles: frozenset[str]) -> None:
    from core.runtime import StartupError

    setup_logging(config, to_stderr=True)
    try:
        try:
            import uvloop

            uvloop.run(_serve(config, roles))
        except ImportError:
            asyncio.run(_serve(config, roles))
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    except (StartupError, OSError) as exc:
        logging.getLogger("csms").error("%s", exc)
        raise typer.Exit(1) from exc


@app.callback()
def main(
    ctx: typer.Context,
    daemon: Annotated[
        bool, typer.Option("--daemon", help="Run gateway, manager and API headless.")
    ] = False,
    config: ConfigOption = None,
    connect: Annotated[
        str | None,
        typer.Option(
            "--connect", help="Attach the console to a daemon's REST API, e.g. http://host:9410."
        ),
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="Bearer token for --connect.")
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            "--ca-file",
            help="With an https --connect URL: trust this CA (PEM) for the daemon's "
            "certificate instead of the system's trust store.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Start the console on an embedded CSMS (default), or the CSMS alone with --daemon.

    Examples: `csms-tui`, `csms-tui --daemon --config config.toml`,
    `csms-tui --connect https://csms.example:9410 --token T --ca-file ca.pem`."""
    if ctx.invoked_subcommand is not None:
        return
    if connect is not None:
        from csms_tui.remote import connect_problems

        warnings, error = connect_problems(connect, str(ca_file) if ca_file else None)
        for warning in warnings:  # before the console owns the terminal
            typer.echo(f"warning: {warning}", err=True)
        if error is not None:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(EXIT_USAGE)
    elif ca_file is not None:
        typer.echo("error: --ca-file goes with --connect", err=True)
        raise typer.Exit(EXIT_USAGE)
    cfg = _load(config)
    if daemon:
        _run_roles(cfg, frozenset({"gateway", "manager", "api"}))
        return
    try:
        from csms_tui.app import run_console  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        typer.echo(f"error: the console is not available ({exc}); use --daemon", err=True)
        raise typer.Exit(1) from exc
    from core.runtime import StartupError
    from csms_tui.tui_config import tui_config_errors

    problems = tui_config_errors(cfg, str(_config_path(config) or "(defaults)"))
    if problems:  # as `config check` says them, before the core or any screen starts
        for line in problems:
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(EXIT_USAGE)
    setup_logging(cfg, to_stderr=False)
    try:
        code = run_console(cfg, connect, token, str(ca_file) if ca_file else None)
    except StartupError as exc:  # before any screen: one line, as the daemon says it
        logging.getLogger("csms").error("%s", exc)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    raise typer.Exit(code)


@app.command()
def gateway(config: ConfigOption = None) -> None:
    """Run only the websocket gateway (scale-out: needs transport.type = "mqtt").

    Example: `csms-tui gateway --config gateway.toml`."""
    cfg = _load(config)
    if cfg.transport.type != "mqtt":
        typer.echo('error: transport.type: a separate gateway needs "mqtt"', err=True)
        raise typer.Exit(EXIT_USAGE)
    _run_roles(cfg, frozenset({"gateway"}))


@app.command()
def manager(
    config: ConfigOption = None,
    api: Annotated[
        bool, typer.Option("--api/--no-api", help="Also serve the admin REST API.")
    ] = False,
) -> None:
    """Run only a manager (scale-out: MQTT shared subscription, usually PostgreSQL).

    Example: `csms-tui manager --config manager.toml`."""
    cfg = _load(config)
    if cfg.transport.type != "mqtt":
        typer.echo('error: transport.type: a separate manager needs "mqtt"', err=True)
        raise typer.Exit(EXIT_USAGE)
    _run_roles(cfg, frozenset({"manager", "api"} if api else {"manager"}))
