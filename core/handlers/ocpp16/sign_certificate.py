"""1.6 security whitepaper SignCertificate: the CSR goes to the charge-station certificate
provider; the signed chain is stored as a Pending install certificate and pushed by sync with
CertificateSigned. Accepted only when it could be signed and stored (A02.FR.11/12)."""

from __future__ import annotations

import logging
from typing import Any

from core.services.protocols import CertificateValidationError, ChargeStationCertificateProvider
from core.services.x509_checks import chain_certificate_id
from core.store.models import CertificateType, InstallCertificate
from core.store.protocols import CertificateStore

log = logging.getLogger(__name__)


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
            cert = InstallCertificate(
                chain_certificate_id(chain), CertificateType.CHARGE_STATION, chain
            )
        # The provider refused (or could not reach its CA), or what it returned holds no
        # certificate: the request is rejected. Anything else is a fault of ours, answered
        # InternalError by the router.
        except (CertificateValidationError, ValueError) as exc:
            log.info("SignCertificate from %s rejected: %s", station_id, exc)
            return {"status": "Rejected"}
        # Our own store failing is not a refusal of the station's CSR: the router answers
        # InternalError and the station asks again, instead of being told Rejected.
        await self.certificates.upsert_install_certificates(station_id, [cert])
        return {"status": "Accepted"}
