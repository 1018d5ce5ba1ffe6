"""Certificate services: the seed's `default` providers (which refuse), a local CA that signs
charge-station certificates (checking CN = station id, which the seed skips), and lab helpers to
create a CA and server certificates."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.services.protocols import CertificateValidationError
from core.services.x509_checks import load_csr


class NoContractValidator:
    """Without a configured validator no contract certificate can be trusted."""

    async def validate_pem_chain(self, pem_chain: str, emaid: str) -> str | None:
        raise CertificateValidationError("other", "no contract certificate validator configured")

    async def validate_hashed(self, ocsp_request_data: Sequence[dict[str, Any]]) -> str | None:
        raise CertificateValidationError("other", "no contract certificate validator configured")


class NoOcsp:
    async def certificate_status(self, ocsp_request_data: dict[str, Any]) -> tuple[str, str | None]:
        return "Failed", None


class DefaultContractProvider:
    """The seed's `default` provider: Get15118EVCertificate always Failed."""

    async def provide(self, exi_request: str, schema_version: str, action: str) -> tuple[str, str]:
        return "Failed", ""


class DefaultStationCertProvider:
    """The seed's `default` provider: SignCertificate Rejected."""

    async def sign(
        self, csr_pem: str, certificate_type: str, station_id: str, *, supply_o: str = ""
    ) -> str:
        raise CertificateValidationError(
            "other", "no charge-station certificate provider configured"
        )


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        ]
    )


def create_ca(common_name: str, org: str, days: int = 3650) -> tuple[str, str]:
    """A self-signed P-256 CA for lab use: (certificate PEM, private key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, org))
        .issuer_name(_name(common_name, org))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )


def issue_certificate(
    ca_cert_pem: str,
    ca_key_pem: str,
    common_name: str,
    org: str,
    *,
    server_names: Sequence[str] = (),
    days: int = 365,
) -> tuple[str, str]:
    """A leaf certificate + key signed by the CA (server when ``server_names`` are given)."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(common_name, org))
        .sign(key, hashes.SHA256())
    )
    cert_pem = LocalCa(ca_cert_pem, ca_key_pem).sign_csr(csr, server_names=server_names, days=days)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert_pem, key_pem


class LocalCa:
    """The CSMS acting as CA for charge-station (CSO) certificates."""

    def __init__(self, ca_cert_pem: str, ca_key_pem: str, org_names: Sequence[str] = ()) -> None:
        self.ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
        key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the local CA key must be an EC key")
        self.ca_key = key
        self.org_names = list(org_names)

    def sign_csr(
        self,
        csr: x509.CertificateSigningRequest,
        *,
        server_names: Sequence[str] = (),
        days: int = 365,
        subject: x509.Name | None = None,
    ) -> str:
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject if subject is None else subject)
            .issuer_name(self.ca_cert.subject)
            .public_key(csr.public_key())
            .serial_number(secrets.randbits(159))
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, True, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
                ),
                critical=False,
            )
        )
        if server_names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in server_names]), critical=False
            )
        cert = builder.sign(self.ca_key, hashes.SHA256())
        return (
            cert.public_bytes(serialization.Encoding.PEM)
            + self.ca_cert.public_bytes(serialization.Encoding.PEM)
        ).decode()

    async def sign(
        self, csr_pem: str, certificate_type: str, station_id: str, *, supply_o: str = ""
    ) -> str:
        if certificate_type != "ChargingStationCertificate":
            raise CertificateValidationError("other", "the local CA signs only CSO certificates")
        csr = load_csr(csr_pem)
        cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not cns or cns[0].value != station_id:
            raise CertificateValidationError("chain", "CSR common name must be the station id")
        orgs = csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        if not orgs and supply_o:  # the station is granted csr-without-o
            organisation = x509.NameAttribute(NameOID.ORGANIZATION_NAME, supply_o)
            return self.sign_csr(csr, subject=x509.Name([*csr.subject, organisation]))
        if self.org_names and (not orgs or orgs[0].value not in self.org_names):
            raise CertificateValidationError("chain", "CSR organisation is not allowed")
        return self.sign_csr(csr)
