"""What every utility command shares: the ``--config`` option, the exit codes, and turning a
failure into one line on stderr with the right code (see :mod:`csms_tui.cli_tools`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer

from core.application.errors import Invalid, ServiceError
from core.config import Config, ConfigError, load_config
from core.offline import StoreUnavailable

T = TypeVar("T")

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="TOML configuration file (default: ./config.toml if present, else built-in defaults).",
        dir_okay=False,
    ),
]


def fail(message: str, code: int = EXIT_RUNTIME) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def config_from(path: Path | None) -> Config:
    """The configuration ``--config`` names, else ./config.toml if present, else the defaults."""
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    try:
        return load_config(path)
    except ConfigError as exc:
        fail("; ".join(str(exc).splitlines()), EXIT_USAGE)


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    try:
        return asyncio.run(main())
    except (typer.Exit, typer.Abort, typer.TyperException, ServiceError):
        raise  # an intended exit or a service refusal: its caller reports it
    except StoreUnavailable as exc:  # already one line: which store, and why
        fail(str(exc), EXIT_RUNTIME)
    except ConfigError as exc:  # a file the configuration names (the local CA) is unreadable
        fail("; ".join(str(exc).splitlines()), EXIT_USAGE)
    # The command line's last resort: whatever went wrong, the operator gets one clear line
    # and exit code 1, not a traceback.
    except Exception as exc:  # noqa: BLE001
        fail(f"{type(exc).__name__}: {exc}", EXIT_RUNTIME)


def run_service(fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn``; service errors become one line and exit code 2 (bad input) or 1."""
    try:
        return run(fn())
    except Invalid as exc:
        fail(exc.detail, EXIT_USAGE)
    except ServiceError as exc:
        fail(exc.message, EXIT_RUNTIME)


def print_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
