"""Client certificates for security-profile-2 stations, issued at registration by the local CA
(``[charge_station_cert_provider] type = "local"``).

Two ways in: the operator hands over the station's CSR (its key never leaves the station), or
the CSMS generates a P-256 key and shows it once with the certificate, as MaEVe's admin UI did.
Either way the subject is CN = station id, O = ``api.org_name``: the gateway accepts a client
certificate only with CN = the station id and O among its allowed organisations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.config import Config
from core.services.certificates import LocalCa

# Said whenever a certificate is asked for and there is no CA to sign it.
NO_LOCAL_CA = (
    "no local CA is configured to issue station certificates: set [charge_station_cert_provider] "
    'type = "local" with local.cert.file and local.key.file (the CA\'s PEM certificate and key)'
)


# A CSR is a few hundred bytes to ~2 KiB (RSA 4096); anything far larger is not one.
CSR_MAX_LENGTH = 16_384


class CertificateRequestError(ValueError):
    """The CSR cannot be signed for this station (unreadable, bad signature, wrong subject)."""


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    chain_pem: str  # the station's certificate, then the CA's
    private_key_pem: str | None  # PKCS#8, only when the CSMS generated the key


def local_ca(config: Config) -> LocalCa | None:
    """The CA that signs charge-station (CSO) certificates, when the configuration has one:
    ``type = "local"``, or ``"delegating"`` with a local ``cso`` provider. A file that cannot be
    read raises ValueError naming the key."""
    provider = config.charge_station_cert_provider
    where = "charge_station_cert_provider"
    if provider.type == "delegating" and provider.delegating is not None:
        provider, where = provider.delegating.cso, f"{where}.delegating.cso"
    if provider.type != "local" or provider.local is None:
        return None
    texts: list[str] = []
    for part, source in (("cert", provider.local.cert), ("key", provider.local.key)):
        try:
            texts.append(Path(source.file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(
                f"{where}.local.{part}.file: cannot read {source.file}: {exc.strerror}"
            ) from exc
    return LocalCa(texts[0], texts[1])


def _subject(station_id: str, org_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, station_id),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
        ]
    )


def check_csr(csr_pem: str, station_id: str, org_name: str) -> x509.CertificateSigningRequest:
    """The CSR, when it is signed by its key and names CN = ``station_id``, O = ``org_name``."""
    if len(csr_pem) > CSR_MAX_LENGTH:
        raise CertificateRequestError(f"longer than {CSR_MAX_LENGTH} characters: not a CSR")
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as exc:
        raise CertificateRequestError("not a PEM certificate signing request") from exc
    if not csr.is_signature_valid:
        raise CertificateRequestError("the CSR's signature does not match its key")
    cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not cns or cns[0].value != station_id:
        found = repr(cns[0].value) if cns else "none"
        raise CertificateRequestError(
            f"the CSR's common name (CN) must be the station id {station_id!r} (found {found})"
        )
    orgs = csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    if not orgs or orgs[0].value != org_name:
        found = repr(orgs[0].value) if orgs else "none"
        raise CertificateRequestError(
            f"the CSR's organisation (O) must be {org_name!r}, the configured api.org_name "
            f"(found {found})"
        )
    return csr


def issue_station_certificate(
    ca: LocalCa, station_id: str, org_name: str, csr_pem: str | None = None
) -> IssuedCertificate:
    """Sign the station's CSR, or generate a key and sign a CSR made for it."""
    if csr_pem is not None:
        csr = check_csr(csr_pem, station_id, org_name)
        return IssuedCertificate(ca.sign_csr(csr), None)
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_subject(station_id, org_name))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return IssuedCertificate(ca.sign_csr(csr), key_pem)
