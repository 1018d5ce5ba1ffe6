"""The operator's command-line utilities (the seed's ``manager`` sub-commands and ours).

Each group is a typer sub-app added to ``csms-tui`` by :func:`register`; the groups live by topic
in ``cli_credentials`` (auth, emaid, contract), ``cli_stations`` (station, transaction),
``cli_tokens`` (token, api-token), ``pki_cli`` (pki) and here (db, config). Exit codes: 0 ok,
1 runtime failure (store unreachable, station refused, …), 2 usage or configuration error — with
one clear line on stderr, so scripts can branch on them (:mod:`csms_tui.cli_common`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.config import ConfigError, load_config
from core.offline import offline_store
from csms_tui.cli_common import EXIT_USAGE, ConfigOption, config_from, run
from csms_tui.cli_credentials import auth_app, contract_app, emaid_app
from csms_tui.cli_stations import station_app, transaction_app
from csms_tui.cli_tokens import api_token_app, token_app
from csms_tui.pki_cli import pki_app

# The configured store, opened as the commands open it (a name kept for the tests, which read
# back through it what a command stored).
_store = offline_store


db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@db_app.command("migrate")
def db_migrate(config: ConfigOption = None) -> None:
    """Create or upgrade the configured store's schema.

    Example: csms-tui db migrate --config config.toml
    """
    cfg = config_from(config)

    async def migrate() -> None:
        async with offline_store(cfg):
            pass  # opening the store applies pending migrations

    run(migrate())
    typer.echo(f"{cfg.storage.type} store is up to date")


config_app = typer.Typer(help="Configuration files.", no_args_is_help=True)


@config_app.command("check")
def config_check(
    file: Annotated[
        Path | None,
        typer.Argument(help="The file to check (default: ./config.toml).", dir_okay=False),
    ] = None,
) -> None:
    """Check a configuration file, the console's theme and key map included: prints every
    problem as FILE: KEY: REASON.

    Example: csms-tui config check /etc/csms/config.toml
    """
    from csms_tui.tui_config import tui_config_errors

    path = file or Path("config.toml")
    try:
        problems = tui_config_errors(load_config(path), str(path))
    except ConfigError as exc:
        problems = str(exc).splitlines()
    if problems:
        for line in problems:
            typer.echo(line, err=True)
        raise typer.Exit(EXIT_USAGE)
    typer.echo(f"{path}: ok")


# -------------------------------------------------------------------------------------------

SUB_APPS: tuple[tuple[typer.Typer, str], ...] = (
    (auth_app, "auth"),
    (emaid_app, "emaid"),
    (contract_app, "contract"),
    (transaction_app, "transaction"),
    (station_app, "station"),
    (token_app, "token"),
    (api_token_app, "api-token"),
    (db_app, "db"),
    (config_app, "config"),
    (pki_app, "pki"),
)


def register(app: typer.Typer) -> None:
    """Add every utility group to ``app`` (the ``csms-tui`` command)."""
    for sub_app, name in SUB_APPS:
        app.add_typer(sub_app, name=name)


def standalone_app() -> typer.Typer:
    """The utilities alone (tests, and until the main command adds them)."""
    app = typer.Typer(no_args_is_help=True, help="csms-tui utilities.")
    register(app)
    return app
