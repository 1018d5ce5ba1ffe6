"""2.0.1 ISO 15118 / security certificate calls: SignCertificate, GetCertificateStatus,
Get15118EVCertificate (also reached from 1.6 stations through the PnC DataTransfer tunnel)."""

from __future__ import annotations

import logging
from typing import Any

from core.services.protocols import (
    CertificateValidationError,
    ChargeStationCertificateProvider,
    ContractCertificateProvider,
    OcspStatusService,
)
from core.services.x509_checks import chain_certificate_id
from core.store.models import CertificateType, InstallCertificate
from core.store.protocols import CertificateStore

log = logging.getLogger(__name__)


class SignCertificate:
    """Sign the CSR through the provider; the chain is pushed later with CertificateSigned.

    An absent certificateType means ChargingStationCertificate (2.0.1 A02: the station signs its
    own CSMS-facing certificate unless it says V2G); the seed defaulted to V2G."""

    def __init__(
        self, provider: ChargeStationCertificateProvider, certificates: CertificateStore
    ) -> None:
        self.provider, self.certificates = provider, certificates

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        cert_type = request.get("certificateType", "ChargingStationCertificate")
        stored_type = (
            CertificateType.EVCC
            if cert_type == "V2GCertificate"
            else CertificateType.CHARGE_STATION
        )
        try:
            chain = await self.provider.sign(request["csr"], cert_type, station_id)
            cert = InstallCertificate(chain_certificate_id(chain), stored_type, chain)
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


class GetCertificateStatus:
    def __init__(self, ocsp: OcspStatusService) -> None:
        self.ocsp = ocsp

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        status, result = await self.ocsp.certificate_status(request["ocspRequestData"])
        response: dict[str, Any] = {"status": status}
        if status == "Accepted" and result:
            response["ocspResult"] = result
        return response


class Get15118EVCertificate:
    def __init__(self, provider: ContractCertificateProvider) -> None:
        self.provider = provider

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            status, exi = await self.provider.provide(
                request["exiRequest"], request["iso15118SchemaVersion"], request["action"]
            )
        # Providers answer Failed themselves for what they expect (an unreachable OPCP, an
        # unreadable EXI request); this is the last resort, so that whatever else goes wrong the
        # EV still gets Failed through the station, and the traceback is logged.
        except Exception:
            log.exception("contract certificate provider failed for %s", station_id)
            status, exi = "Failed", ""
        return {"status": status, "exiResponse": exi}
