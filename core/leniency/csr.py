"""The csr-without-o leniency: SignCertificate CSRs without O= from a station granted it are
signed, the organisation supplied by the CSMS. Wraps the configured station certificate
provider, so every handler that signs (1.6 and 2.0.1) gets it, and the strict path is the
provider's own: the grant is asked for only once the provider has refused a CSR without O=."""

from __future__ import annotations

from cryptography.x509.oid import NameOID

from core.leniency import Leniency
from core.leniency.policy import LeniencyPolicy
from core.services.protocols import CertificateValidationError, ChargeStationCertificateProvider
from core.services.x509_checks import load_csr
from core.store.models import LeniencyUse


def _lacks_o(csr_pem: str) -> bool:
    try:
        csr = load_csr(csr_pem)
    except (CertificateValidationError, ValueError):
        return False  # not a CSR at all: refused for that, no leniency covers it
    return not csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)


class LenientStationSigner:
    """A :class:`ChargeStationCertificateProvider` over another one."""

    def __init__(
        self, inner: ChargeStationCertificateProvider, policy: LeniencyPolicy, org_name: str
    ) -> None:
        self.inner, self.policy, self.org_name = inner, policy, org_name

    async def sign(
        self, csr_pem: str, certificate_type: str, station_id: str, *, supply_o: str = ""
    ) -> str:
        try:
            return await self.inner.sign(csr_pem, certificate_type, station_id, supply_o=supply_o)
        except CertificateValidationError:
            if supply_o or not _lacks_o(csr_pem):
                raise
            if Leniency.CSR_WITHOUT_O not in await self.policy.granted(station_id):
                raise
        chain = await self.inner.sign(csr_pem, certificate_type, station_id, supply_o=self.org_name)
        detail = f"SignCertificate {certificate_type}: CSR without O= signed with O={self.org_name}"
        await self.policy.record(station_id, [LeniencyUse(Leniency.CSR_WITHOUT_O.value, detail)])
        return chain
