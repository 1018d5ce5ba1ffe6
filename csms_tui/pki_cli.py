"""``csms-tui pki``: a lab ISO 15118-2 PKI for machines with no external PKI in reach.

``pki create DIR`` writes every certificate and key :func:`core.services.local_pki.create_lab_pki`
makes (``NAME.pem``, ``NAME.key`` owner-only) and prints the configuration that uses them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.services.local_pki import create_lab_pki, write_lab_pki

pki_app = typer.Typer(
    help="A local ISO 15118 PKI (V2G and MO roots, sub-CAs, OCSP responder) for labs.",
    no_args_is_help=True,
)


def _ca_lines(table: str, directory: Path, name: str, issuers: list[str], root: str) -> str:
    files = ", ".join(f'"{directory / i}.pem"' for i in issuers)
    return (
        f"[{table}]\n"
        f'cert = {{ file = "{directory / name}.pem" }}\n'
        f'key = {{ file = "{directory / name}.key" }}\n'
        f"issuer_files = [{files}]\n"
        f'root_file = "{directory / root}.pem"\n'
    )


def config_snippet(directory: Path, ocsp_url: str) -> str:
    """The TOML that points the CSMS at a PKI written to ``directory``."""
    url = f'ocsp_url = "{ocsp_url}"\n' if ocsp_url else ""
    return (
        "[contract_cert_validator.ocsp.root_certs.file]\n"
        f'files = ["{directory / "mo_root"}.pem"]\n\n'
        "[charge_station_cert_provider]\n"
        'type = "local"\n\n'
        "[charge_station_cert_provider.local]\n"
        f'cert = {{ file = "{directory / "cso_ca"}.pem" }}\n'
        f'key = {{ file = "{directory / "cso_ca"}.key" }}\n\n'
        + _ca_lines(
            "charge_station_cert_provider.local.v2g",
            directory,
            "cpo_sub_ca2",
            ["cpo_sub_ca1"],
            "v2g_root",
        )
        + url
    )


@pki_app.command("create")
def create(
    directory: Annotated[Path, typer.Argument(help="Where to write the files (created).")],
    org: Annotated[str, typer.Option(help="Organisation (O) of every certificate.")] = (
        "Thoughtworks"
    ),
    ocsp_url: Annotated[
        str, typer.Option(help="OCSP responder URL written into the sub-CAs; empty: none.")
    ] = "",
    country: Annotated[str, typer.Option(help="Country (C), two letters.")] = "DE",
    days: Annotated[int, typer.Option(min=1, help="Validity of the CAs in days.")] = 3650,
    force: Annotated[bool, typer.Option(help="Overwrite files already there.")] = False,
) -> None:
    """Create a lab PKI and print the configuration that uses it.

    V2G root → CPO Sub-CA 1 → CPO Sub-CA 2 (signs stations' V2G certificates), MO root → MO
    Sub-CAs, a delegated OCSP responder and a CSO CA (stations' client certificates). The
    printed tables replace the sections of the same names in the configuration file.

    Example: csms-tui pki create lab-pki --ocsp-url http://127.0.0.1:9420/ocsp > pki.toml
    """
    if directory.exists() and any(directory.iterdir()) and not force:
        typer.echo(f"{directory}: not empty (use --force to overwrite)", err=True)
        raise typer.Exit(2)
    pki = create_lab_pki(org, ocsp_url=ocsp_url, country=country, days=days)
    written = write_lab_pki(pki, directory)
    typer.echo(f"wrote {len(written)} files to {directory}", err=True)
    typer.echo(config_snippet(directory.resolve(), ocsp_url))
