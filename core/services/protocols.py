"""Service interfaces. Implementations live beside this module; handlers see only these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.store.models import MeterValue


class TokenAuthoriser(Protocol):
    async def authorize_201(self, id_token: dict[str, Any]) -> dict[str, Any]:
        """An OCPP 2.0.1 ``IdTokenInfoType`` for an ``IdTokenType``."""
        ...

    async def authorize_16(self, id_tag: str) -> dict[str, Any]:
        """An OCPP 1.6 ``IdTagInfo`` for an idTag (status, expiryDate, parentIdTag)."""
        ...


@dataclass(frozen=True, slots=True)
class Cost:
    amount: float
    currency: str
    energy_wh: float


class TariffService(Protocol):
    def cost(self, meter_values: Sequence[MeterValue]) -> Cost | None:
        """The cost of a transaction from its meter values, or None when no energy is known."""
        ...

    def price(self, energy_wh: float) -> Cost:
        """The cost of ``energy_wh`` delivered (what :meth:`cost` prices, for a caller that
        knows the energy already: core.store.energy.energy_between)."""
        ...


class CertificateValidationError(Exception):
    """Validation failed; ``reason`` is one of expired | revoked | chain | other."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ContractCertificateValidator(Protocol):
    async def validate_pem_chain(self, pem_chain: str, emaid: str) -> str | None:
        """Validate a contract certificate chain for ``emaid``; returns the OCSP response
        (base64) if one was obtained. Raises :class:`CertificateValidationError`."""
        ...

    async def validate_hashed(self, ocsp_request_data: Sequence[dict[str, Any]]) -> str | None:
        """Check ``OCSPRequestDataType`` entries with OCSP. Raises on failure."""
        ...


class OcspStatusService(Protocol):
    async def certificate_status(self, ocsp_request_data: dict[str, Any]) -> tuple[str, str | None]:
        """2.0.1 GetCertificateStatus: (Accepted | Failed, base64 OCSP response)."""
        ...


class ContractCertificateProvider(Protocol):
    async def provide(self, exi_request: str, schema_version: str, action: str) -> tuple[str, str]:
        """Get15118EVCertificate: (Accepted | Failed, exiResponse)."""
        ...


class ChargeStationCertificateProvider(Protocol):
    async def sign(
        self, csr_pem: str, certificate_type: str, station_id: str, *, supply_o: str = ""
    ) -> str:
        """Sign a CSR; returns the PEM chain (leaf first). ``certificate_type`` is
        ChargingStationCertificate or V2GCertificate. Raises :class:`CertificateValidationError`
        on refusal, and when the signer cannot be reached. ``supply_o``: the station is granted
        the csr-without-o leniency, so a CSR without O= is signed with this O= (a signer that
        cannot change the subject, a remote CA, refuses it as before)."""
        ...
