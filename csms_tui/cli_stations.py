"""``csms-tui station`` and ``transaction``: register, re-key and remove stations, and look up
stored transactions, through the application service over the configured store (no station is
connected from here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.application.errors import NotFound
from core.application.views import StationRegistration
from core.offline import offline_service
from csms_tui.cli_common import (
    EXIT_RUNTIME,
    EXIT_USAGE,
    ConfigOption,
    config_from,
    fail,
    print_json,
    run,
    run_service,
)

station_app = typer.Typer(help="Register, remove and re-key charge stations.", no_args_is_help=True)


@station_app.command("register")
def station_register(
    station_id: Annotated[str, typer.Argument(help="The station's identity.")],
    security_profile: Annotated[
        int | None,
        typer.Option(
            "--security-profile",
            "-p",
            help="0 basic auth, 1 TLS + basic auth, 2 TLS + client certificate, "
            "-1 no auth (lab only). Default: 1 when a wss listener is configured, else 0; "
            "2 with --csr or --issue-certificate.",
        ),
    ] = None,
    invalid_username_allowed: Annotated[
        bool, typer.Option(help="Accept any basic-auth user name.")
    ] = False,
    csr: Annotated[
        Path | None,
        typer.Option(
            "--csr",
            help="Profile 2: sign this CSR (PEM; CN = station id, O = api.org_name) with the "
            "local CA.",
            dir_okay=False,
        ),
    ] = None,
    issue_certificate: Annotated[
        bool,
        typer.Option(
            "--issue-certificate",
            help="Profile 2: generate a key and a certificate from the local CA (both printed "
            "once).",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Register a new station; prints its connection URL and a generated password, or for
    profile 2 its client certificate (shown once — only a password's hash is stored). An id
    that is already registered is refused: see rotate-password.

    Example: csms-tui station register CS001 --security-profile 0
    Example: csms-tui station register CS002 --issue-certificate
    """
    cfg = config_from(config)
    csr_pem: str | None = None
    if csr is not None:
        try:
            csr_pem = csr.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{csr}: {getattr(exc, 'strerror', None) or exc}", EXIT_USAGE)
    wants_certificate = csr_pem is not None or issue_certificate
    if security_profile is None:
        # The embedded default has no TLS listener: a TLS profile would give a URL nothing
        # serves. A certificate is only for profile 2.
        security_profile = 2 if wants_certificate else (1 if cfg.gateway.wss_addr else 0)

    async def register() -> StationRegistration:
        async with offline_service(cfg, with_ca=wants_certificate) as service:
            return await service.register_station(
                station_id,
                security_profile,
                invalid_username_allowed,
                csr=csr_pem,
                issue_certificate=issue_certificate,
            )

    _print_registration(run_service(register))


def _print_registration(registration: StationRegistration) -> None:
    typer.echo(f"station:  {registration.station_id}")
    typer.echo(f"url:      {registration.url}")
    if registration.password:
        typer.echo(f"password: {registration.password}")
    if registration.certificate:
        typer.echo("certificate (the station's, then the CA's):")
        typer.echo(registration.certificate.rstrip("\n"))
    if registration.private_key:
        typer.echo("private key (shown only now; not stored):")
        typer.echo(registration.private_key.rstrip("\n"))


@station_app.command("rotate-password")
def station_rotate_password(
    station_id: Annotated[str, typer.Argument(help="The station's identity.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    config: ConfigOption = None,
) -> None:
    """Give a station a new basic-auth password: prints it once and stores only its hash.
    The old password stops working at once; the station must be given the new one before it
    next connects. (To send it to a connected station over OCPP instead, use the console's
    "Rotate password" action or POST /api/v0/cs/ID/password on the running CSMS.)

    Example: csms-tui station rotate-password CS001 --yes
    """
    from core.inert import inert

    cfg = config_from(config)
    if not yes:
        question = (
            f"Rotate the password of {inert(station_id)}? Its old password stops working at once: "
            "the station cannot connect until it is given the new one."
        )
        if not typer.confirm(question, default=False, err=True):
            fail("not rotated", EXIT_RUNTIME)

    async def rotate() -> StationRegistration:
        async with offline_service(cfg) as service:
            return await service.replace_password(station_id)

    _print_registration(run_service(rotate))


@station_app.command("remove")
def station_remove(
    station_id: Annotated[str, typer.Argument(help="The station's identity.")],
    config: ConfigOption = None,
) -> None:
    """Forget a station and everything stored about it.

    Example: csms-tui station remove CS001
    """
    cfg = config_from(config)

    async def remove() -> None:
        async with offline_service(cfg) as service:
            await service.delete_station(station_id)

    run_service(remove)
    typer.echo(f"removed {station_id}")


transaction_app = typer.Typer(
    help="Look up stored transactions; close one its station will never end.",
    no_args_is_help=True,
)


@transaction_app.command("get")
def transaction_get(
    pairs: Annotated[
        list[str], typer.Argument(help="STATION_ID TRANSACTION_ID pairs, one after another.")
    ],
    config: ConfigOption = None,
) -> None:
    """Print stored transactions (with meter values and cost) as JSON, from the configured
    store (SQLite or PostgreSQL).

    Example: csms-tui transaction get CS001 42 CS002 7a3c… --config config.toml
    """
    if len(pairs) % 2:
        fail("give STATION_ID TRANSACTION_ID pairs", EXIT_USAGE)
    cfg = config_from(config)

    async def lookup() -> bool:
        found = True
        async with offline_service(cfg) as service:
            for station_id, tx_id in zip(pairs[::2], pairs[1::2], strict=True):
                try:
                    detail = await service.transaction_detail(tx_id, station_id)
                except NotFound as exc:
                    typer.echo(f"error: {exc}", err=True)
                    found = False
                    continue
                print_json(detail.to_json())
        return found

    if not run(lookup()):
        raise typer.Exit(EXIT_RUNTIME)


@transaction_app.command("close")
def transaction_close(
    station_id: Annotated[str, typer.Argument(help="The station's identity.")],
    transaction_id: Annotated[str, typer.Argument(help="The transaction's id at that station.")],
    reason: Annotated[
        str, typer.Option("--reason", "-r", help="Why it is closed (kept with it; required).")
    ],
    config: ConfigOption = None,
) -> None:
    """Close a running transaction its station will never end (a station replaced, a stop
    lost for good): it ends now, stopped reason Other, with the energy known so far, priced
    and recorded with the reason. A stop the station sends later still counts. Prints the
    closed transaction as JSON.

    Example: csms-tui transaction close CS001 42 --reason "station replaced on 3 May"
    """
    cfg = config_from(config)

    async def close() -> None:
        async with offline_service(cfg) as service:
            summary = await service.close_transaction(
                station_id, transaction_id, reason, origin="cli"
            )
        print_json(summary.to_json())

    run_service(close)
