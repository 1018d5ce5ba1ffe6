"""``csms-tui token`` and ``api-token``: the authorisation tokens stations present, and the
bearer tokens of the admin REST API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import orjson
import typer

from core.application.views import TokenView
from core.clock import SystemClock
from core.offline import offline_service, offline_store
from csms_tui.cli_common import (
    EXIT_RUNTIME,
    EXIT_USAGE,
    ConfigOption,
    config_from,
    fail,
    run,
    run_service,
)

token_app = typer.Typer(help="Authorisation tokens (RFID cards, eMAIDs).", no_args_is_help=True)


@token_app.command("add")
def token_add(
    uid: Annotated[str, typer.Argument(help="The token uid (e.g. the RFID card id).")],
    contract_id: Annotated[
        str | None,
        typer.Option(help="eMAID; default GBTWK + the uid padded to 9, as MaEVe's admin UI."),
    ] = None,
    country_code: Annotated[str, typer.Option(help="Two letters.")] = "GB",
    party_id: Annotated[str, typer.Option(help="Three characters.")] = "TWK",
    token_type: Annotated[
        str, typer.Option("--type", help="AD_HOC_USER, APP_USER, OTHER or RFID.")
    ] = "RFID",
    issuer: Annotated[str, typer.Option()] = "csms-tui",
    invalid: Annotated[bool, typer.Option("--invalid", help="Store as not valid.")] = False,
    cache_mode: Annotated[str, typer.Option(help="ALWAYS, ALLOWED, …")] = "ALWAYS",
    group_id: Annotated[str | None, typer.Option(help="Group (master pass) id.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Accepted, Blocked, Expired or Invalid.")
    ] = None,
    expiry: Annotated[str | None, typer.Option(help="Expiry, RFC 3339 with time zone.")] = None,
    config: ConfigOption = None,
) -> None:
    """Add or update a token.

    Example: csms-tui token add 04A2B3C4D5 --group-id staff
    """
    from pydantic import ValidationError

    from core.application.views import TokenInput

    contract = contract_id or f"{country_code}{party_id}{uid[:9].rjust(9, '0')}".upper()
    try:
        token = TokenInput(
            country_code=country_code,
            party_id=party_id,
            type=token_type,
            uid=uid,
            contract_id=contract,
            issuer=issuer,
            valid=not invalid,
            cache_mode=cache_mode,
            group_id=group_id,
            status=status,
            expiry_date=expiry,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}", EXIT_USAGE)
    cfg = config_from(config)

    async def add() -> TokenView:
        async with offline_service(cfg) as service:
            return await service.set_token(token)

    stored = run_service(add)
    typer.echo(f"stored {stored.uid} (contract {stored.contract_id})")


@token_app.command("list")
def token_list(
    offset: Annotated[int, typer.Option(min=0)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 100,
    config: ConfigOption = None,
) -> None:
    """List tokens as JSON lines.

    Example: csms-tui token list --limit 20
    """
    cfg = config_from(config)

    async def tokens() -> list[TokenView]:
        async with offline_service(cfg) as service:
            return list(await service.list_tokens(offset, limit))

    for token in run_service(tokens):
        typer.echo(orjson.dumps(token.to_json()).decode())


@token_app.command("remove")
def token_remove(
    uid: Annotated[str, typer.Argument(help="The token uid.")],
    config: ConfigOption = None,
) -> None:
    """Delete a token.

    Example: csms-tui token remove 04A2B3C4D5
    """
    cfg = config_from(config)

    async def remove() -> None:
        async with offline_service(cfg) as service:
            await service.delete_token(uid)

    run_service(remove)
    typer.echo(f"removed {uid}")


api_token_app = typer.Typer(help="Bearer tokens for the admin REST API.", no_args_is_help=True)


@api_token_app.command("create")
def api_token_create(
    name: Annotated[str, typer.Argument(help="A name to recognise the token by.")],
    replace: Annotated[
        bool,
        typer.Option(help="Replace a token of that name (whoever uses the old one is cut off)."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Create an API token and print it (once: only its hash is stored). A name in use is
    refused unless --replace is given.

    Example: csms-tui api-token create ci-pipeline
    """
    from core.api.auth import TokenExists, api_token_name_problem, create_api_token

    problem = api_token_name_problem(name)
    if problem is not None:
        fail(f"name: {problem}", EXIT_USAGE)
    cfg = config_from(config)

    async def create() -> str | TokenExists:
        async with offline_store(cfg) as store:
            try:
                return await create_api_token(store, name, SystemClock().now(), replace=replace)
            except TokenExists as exc:
                return exc

    token = run(create())
    if isinstance(token, TokenExists):
        fail(str(token), EXIT_RUNTIME)
    typer.echo(token)


@api_token_app.command("list")
def api_token_list(config: ConfigOption = None) -> None:
    """List API tokens: name, when created and when last used (recorded at most once a
    minute). The tokens themselves are never shown again.

    Example: csms-tui api-token list
    """
    from core.inert import inert

    cfg = config_from(config)

    async def tokens() -> list[tuple[str, str, str]]:
        async with offline_store(cfg) as store:
            return [
                (
                    inert(t.name),  # names from before names were checked may hold anything
                    _when(t.created_at),
                    _when(t.last_used_at) if t.last_used_at else "never",
                )
                for t in await store.list_api_tokens()
            ]

    rows = run(tokens())
    if not rows:
        typer.echo("no API tokens (create one with: csms-tui api-token create NAME)")
        return
    header = ("NAME", "CREATED", "LAST USED")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(3)]
    for row in (header, *rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@api_token_app.command("revoke")
def api_token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name (see api-token list).")],
    config: ConfigOption = None,
) -> None:
    """Revoke an API token: a running API refuses it from its next request on.

    Example: csms-tui api-token revoke ci-pipeline
    """
    cfg = config_from(config)

    async def revoke() -> bool:
        async with offline_store(cfg) as store:
            return bool(await store.delete_api_token(name))

    if not run(revoke()):
        fail(f"no API token named {name!r} (see: csms-tui api-token list)")
    typer.echo(f"revoked {name}")


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
