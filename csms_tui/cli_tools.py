"""The operator's command-line utilities (the seed's ``manager`` sub-commands and ours).

Each group is a typer sub-app added to ``csms-tui`` by :func:`register`. Exit codes: 0 ok,
1 runtime failure (store unreachable, station refused, …), 2 usage or configuration error — with
one clear line on stderr, so scripts can branch on them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import string
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer

from core.clock import SystemClock
from core.config import Config, ConfigError, load_config
from core.offline import StoreUnavailable, offline_service, offline_store
from core.service import ServiceError
from csms_tui.pki_cli import pki_app

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


def _fail(message: str, code: int = EXIT_RUNTIME) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _config(path: Path | None) -> Config:
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    try:
        return load_config(path)
    except ConfigError as exc:
        _fail("; ".join(str(exc).splitlines()), EXIT_USAGE)


def _run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    try:
        return asyncio.run(main())
    except (typer.Exit, typer.Abort, typer.TyperException, ServiceError):
        raise  # an intended exit or a service refusal: its caller reports it
    except StoreUnavailable as exc:  # already one line: which store, and why
        _fail(str(exc), EXIT_RUNTIME)
    except ConfigError as exc:  # a file the configuration names (the local CA) is unreadable
        _fail("; ".join(str(exc).splitlines()), EXIT_USAGE)
    except Exception as exc:  # one clear line, not a traceback, for the operator
        _fail(f"{type(exc).__name__}: {exc}", EXIT_RUNTIME)


# The configured store, for the commands that work on it directly (API tokens, migrations);
# opening it applies pending migrations. Failing to open it is reported by _run.
_store = offline_store


def _print_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


# -------------------------------------------------------------------------------------------
# auth


auth_app = typer.Typer(
    help="Station passwords, OCPI credentials and certificate hashes.", no_args_is_help=True
)

_CREDENTIAL_ALPHABET = string.ascii_letters + string.digits


@auth_app.command("encode-password")
def encode_password(
    passwords: Annotated[list[str], typer.Argument(help="One or more passwords.")],
) -> None:
    """Print base64(SHA-256(password)) — the form a station password is stored in.

    Example: csms-tui auth encode-password s3cretPassw0rd!!
    """
    from core.credentials import hash_password

    for password in passwords:
        typer.echo(f"{password}: {hash_password(password)}")


@auth_app.command("generate-credential")
def generate_credential() -> None:
    """Print a random 64-character token (an OCPI credentials token).

    Example: csms-tui auth generate-credential
    """
    typer.echo("".join(secrets.choice(_CREDENTIAL_ALPHABET) for _ in range(64)))


@auth_app.command("hash-certificate")
def hash_certificate(
    files: Annotated[
        list[Path], typer.Argument(help="PEM files (one certificate each); '-' reads stdin.")
    ],
) -> None:
    """Print the unpadded base64url SHA-256 of each certificate's DER (the key of
    ``GET /api/v0/certificate/{hash}``).

    Example: csms-tui auth hash-certificate station.pem
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    for file in files:
        try:
            data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
        except OSError as exc:
            _fail(f"{file}: {exc.strerror}", EXIT_USAGE)
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError:
            _fail(f"{file}: not a PEM certificate", EXIT_USAGE)
        digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()
        typer.echo(f"{file}: {base64.urlsafe_b64encode(digest).decode().rstrip('=')}")


# -------------------------------------------------------------------------------------------
# emaid / contract


emaid_app = typer.Typer(help="eMAID (contract id) utilities.", no_args_is_help=True)


@emaid_app.command("normalize")
def emaid_normalize(
    emaids: Annotated[list[str], typer.Argument(help="eMAIDs, with or without dashes.")],
) -> None:
    """Print each eMAID normalised: upper case, no dashes, with its check character.

    Example: csms-tui emaid normalize gb-twk-c12345678
    """
    from core.services.emaid import normalise_emaid

    failed = False
    for emaid in emaids:
        try:
            typer.echo(f"{emaid}: {normalise_emaid(emaid)}")
        except ValueError as exc:
            typer.echo(f"error: {emaid}: {exc}", err=True)
            failed = True
    if failed:
        raise typer.Exit(EXIT_USAGE)


contract_app = typer.Typer(help="Contract certificate checks.", no_args_is_help=True)


@contract_app.command("validate")
def contract_validate(
    contracts: Annotated[
        list[str], typer.Argument(help="EMAID:PEMFILE pairs (the PEM holds the chain).")
    ],
    trust_roots: Annotated[
        list[Path],
        typer.Option("--trust-root", "-r", help="PEM file with trusted roots (repeatable)."),
    ],
    max_attempts: Annotated[int, typer.Option(help="OCSP attempts per certificate.")] = 3,
) -> None:
    """Validate contract certificate chains with OCSP; prints VALID or the reason per pair.

    Example: csms-tui contract validate -r root.pem GBTWKC123456789:contract.pem
    """
    from core.services.ocsp import validator_for_roots

    pairs: list[tuple[str, str]] = []
    for item in contracts:
        emaid, sep, file = item.partition(":")
        if not sep or not emaid or not file:
            _fail(f"{item!r} is not EMAID:PEMFILE", EXIT_USAGE)
        try:
            pairs.append((emaid, Path(file).read_text(encoding="utf-8")))
        except OSError as exc:
            _fail(f"{file}: {exc.strerror}", EXIT_USAGE)
    roots: list[str] = []
    for root in trust_roots:
        try:
            roots.append(root.read_text(encoding="utf-8"))
        except OSError as exc:
            _fail(f"{root}: {exc.strerror}", EXIT_USAGE)

    try:
        validator = validator_for_roots(roots, max_attempts=max_attempts)
    except ValueError as exc:
        _fail(str(exc), EXIT_USAGE)

    async def validate() -> bool:
        ok = True
        for emaid, pem in pairs:
            try:
                await validator.validate_pem_chain(pem, emaid)
                typer.echo(f"{emaid}: VALID")
            except Exception as exc:
                typer.echo(f"{emaid}: {exc}")
                ok = False
        return ok

    if not _run(validate()):
        raise typer.Exit(EXIT_RUNTIME)


# -------------------------------------------------------------------------------------------
# transaction


transaction_app = typer.Typer(help="Look up stored transactions.", no_args_is_help=True)


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
        _fail("give STATION_ID TRANSACTION_ID pairs", EXIT_USAGE)
    cfg = _config(config)

    async def lookup() -> bool:
        from core.service import NotFound

        found = True
        async with _service(cfg) as service:
            for station_id, tx_id in zip(pairs[::2], pairs[1::2], strict=True):
                try:
                    detail = await service.transaction_detail(tx_id, station_id)
                except NotFound as exc:
                    typer.echo(f"error: {exc}", err=True)
                    found = False
                    continue
                _print_json(detail.to_json())
        return found

    if not _run(lookup()):
        raise typer.Exit(EXIT_RUNTIME)


# The application service over the configured store, with no station connected (none can be
# reached from the command line); with_ca=True loads the local CA that issues station
# certificates. Failing to open the store or read the CA is reported by _run.
_service = offline_service


# -------------------------------------------------------------------------------------------
# station


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
    cfg = _config(config)
    csr_pem: str | None = None
    if csr is not None:
        try:
            csr_pem = csr.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"{csr}: {getattr(exc, 'strerror', None) or exc}", EXIT_USAGE)
    wants_certificate = csr_pem is not None or issue_certificate
    if security_profile is None:
        # The embedded default has no TLS listener: a TLS profile would give a URL nothing
        # serves. A certificate is only for profile 2.
        security_profile = 2 if wants_certificate else (1 if cfg.gateway.wss_addr else 0)

    async def register() -> Any:
        async with _service(cfg, with_ca=wants_certificate) as service:
            return await service.register_station(
                station_id,
                security_profile,
                invalid_username_allowed,
                csr=csr_pem,
                issue_certificate=issue_certificate,
            )

    _print_registration(_run_service(register))


def _print_registration(registration: Any) -> None:
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

    cfg = _config(config)
    if not yes:
        question = (
            f"Rotate the password of {inert(station_id)}? Its old password stops working at once: "
            "the station cannot connect until it is given the new one."
        )
        if not typer.confirm(question, default=False, err=True):
            _fail("not rotated", EXIT_RUNTIME)

    async def rotate() -> Any:
        async with _service(cfg) as service:
            return await service.replace_password(station_id)

    _print_registration(_run_service(rotate))


@station_app.command("remove")
def station_remove(
    station_id: Annotated[str, typer.Argument(help="The station's identity.")],
    config: ConfigOption = None,
) -> None:
    """Forget a station and everything stored about it.

    Example: csms-tui station remove CS001
    """
    cfg = _config(config)

    async def remove() -> None:
        async with _service(cfg) as service:
            await service.delete_station(station_id)

    _run_service(remove)
    typer.echo(f"removed {station_id}")


def _run_service(fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn``; service errors become one line and exit code 2 (bad input) or 1."""
    from core.service import Invalid, ServiceError

    try:
        return _run(fn())
    except Invalid as exc:
        _fail(exc.detail, EXIT_USAGE)
    except ServiceError as exc:
        _fail(exc.message, EXIT_RUNTIME)


# -------------------------------------------------------------------------------------------
# token


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

    from core.service import TokenInput

    contract = contract_id or f"{country_code}{party_id}{uid[:9].rjust(9, '0')}".upper()
    try:
        token = TokenInput(
            country_code=country_code,
            party_id=party_id,
            type=token_type,  # type: ignore[arg-type]
            uid=uid,
            contract_id=contract,
            issuer=issuer,
            valid=not invalid,
            cache_mode=cache_mode,  # type: ignore[arg-type]
            group_id=group_id,
            status=status,  # type: ignore[arg-type]
            expiry_date=expiry,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        _fail(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}", EXIT_USAGE)
    cfg = _config(config)

    async def add() -> Any:
        async with _service(cfg) as service:
            return await service.set_token(token)

    stored = _run_service(add)
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
    cfg = _config(config)

    async def tokens() -> list[Any]:
        async with _service(cfg) as service:
            return list(await service.list_tokens(offset, limit))

    for token in _run_service(tokens):
        typer.echo(orjson.dumps(token.to_json()).decode())


@token_app.command("remove")
def token_remove(
    uid: Annotated[str, typer.Argument(help="The token uid.")],
    config: ConfigOption = None,
) -> None:
    """Delete a token.

    Example: csms-tui token remove 04A2B3C4D5
    """
    cfg = _config(config)

    async def remove() -> None:
        async with _service(cfg) as service:
            await service.delete_token(uid)

    _run_service(remove)
    typer.echo(f"removed {uid}")


# -------------------------------------------------------------------------------------------
# api-token, db, config


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
        _fail(f"name: {problem}", EXIT_USAGE)
    cfg = _config(config)

    async def create() -> str | TokenExists:
        async with _store(cfg) as store:
            try:
                return await create_api_token(store, name, SystemClock().now(), replace=replace)
            except TokenExists as exc:
                return exc

    token = _run(create())
    if isinstance(token, TokenExists):
        _fail(str(token), EXIT_RUNTIME)
    typer.echo(token)


@api_token_app.command("list")
def api_token_list(config: ConfigOption = None) -> None:
    """List API tokens: name, when created and when last used (recorded at most once a
    minute). The tokens themselves are never shown again.

    Example: csms-tui api-token list
    """
    from core.inert import inert

    cfg = _config(config)

    async def tokens() -> list[Any]:
        async with _store(cfg) as store:
            return list(await store.list_api_tokens())

    rows = [
        (
            inert(t.name),  # names from before names were checked may hold anything
            _when(t.created_at),
            _when(t.last_used_at) if t.last_used_at else "never",
        )
        for t in _run(tokens())
    ]
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
    cfg = _config(config)

    async def revoke() -> bool:
        async with _store(cfg) as store:
            return bool(await store.delete_api_token(name))

    if not _run(revoke()):
        _fail(f"no API token named {name!r} (see: csms-tui api-token list)")
    typer.echo(f"revoked {name}")


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@db_app.command("migrate")
def db_migrate(config: ConfigOption = None) -> None:
    """Create or upgrade the configured store's schema.

    Example: csms-tui db migrate --config config.toml
    """
    cfg = _config(config)

    async def migrate() -> None:
        async with _store(cfg):
            pass  # opening the store applies pending migrations

    _run(migrate())
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
