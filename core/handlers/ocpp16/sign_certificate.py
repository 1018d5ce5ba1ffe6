"""1.6 security whitepaper SignCertificate: the CSR goes to the charge-station certificate
provider; the signed chain is stored as a Pending install certificate and pushed by sync with
CertificateSigned. Accepted only when it could be signed and stored (A02.FR.11/12)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from core.services.protocols import ChargeStationCertificateProvider
from core.store.models import CertificateType, InstallCertificate
from core.store.protocols import CertificateStore

log = logging.getLogger(__name__)


def certificate_id(pem_chain: str) -> str:
    """Hex SHA-256 of the first certificate's DER (the seed's install-certificate id)."""
    leaf = x509.load_pem_x509_certificate(pem_chain.encode())
    return hashlib.sha256(leaf.public_bytes(Encoding.DER)).hexdigest()


class SignCertificate:
    def __init__(
        self, provider: ChargeStationCertificateProvider, certificates: CertificateStore
    ) -> None:
        self.provider, self.certificates = provider, certificates

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            chain = await self.provider.sign(
                request["csr"], "ChargingStationCertificate", station_id
            )
            cert = InstallCertificate(certificate_id(chain), CertificateType.CHARGE_STATION, chain)
            await self.certificates.upsert_install_certificates(station_id, [cert])
        except Exception as exc:
            log.info("SignCertificate from %s rejected: %s", station_id, exc)
            return {"status": "Rejected"}
        return {"status": "Accepted"}
