"""``csms-tui auth``, ``emaid`` and ``contract``: credentials, certificate hashes and contract
(eMAID) checks. None of them opens the store."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import sys
from pathlib import Path
from typing import Annotated

import typer

from csms_tui.cli_common import EXIT_RUNTIME, EXIT_USAGE, fail, run

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
            fail(f"{file}: {exc.strerror}", EXIT_USAGE)
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError:
            fail(f"{file}: not a PEM certificate", EXIT_USAGE)
        digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()
        typer.echo(f"{file}: {base64.urlsafe_b64encode(digest).decode().rstrip('=')}")


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
    from core.services.protocols import CertificateValidationError

    pairs: list[tuple[str, str]] = []
    for item in contracts:
        emaid, sep, file = item.partition(":")
        if not sep or not emaid or not file:
            fail(f"{item!r} is not EMAID:PEMFILE", EXIT_USAGE)
        try:
            pairs.append((emaid, Path(file).read_text(encoding="utf-8")))
        except OSError as exc:
            fail(f"{file}: {exc.strerror}", EXIT_USAGE)
    roots: list[str] = []
    for root in trust_roots:
        try:
            roots.append(root.read_text(encoding="utf-8"))
        except OSError as exc:
            fail(f"{root}: {exc.strerror}", EXIT_USAGE)

    try:
        validator = validator_for_roots(roots, max_attempts=max_attempts)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)

    async def validate() -> bool:
        ok = True
        for emaid, pem in pairs:
            try:
                await validator.validate_pem_chain(pem, emaid)
                typer.echo(f"{emaid}: VALID")
            except CertificateValidationError as exc:  # expired, revoked, chain or other
                typer.echo(f"{emaid}: {exc}")
                ok = False
        return ok

    if not run(validate()):
        raise typer.Exit(EXIT_RUNTIME)
