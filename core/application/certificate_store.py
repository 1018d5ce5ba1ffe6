"""The client certificate store (a TLS-offloading proxy looks a station's certificate up by
hash) and the overview of every certificate the CSMS knows of."""

from __future__ import annotations

from core.application.base import ServiceBase
from core.application.errors import Invalid, NotFound
from core.application.rules import parse_certificates
from core.application.views import (
    CertificateOverview,
    StationCertificateView,
    certificate_view,
    own_certificate_view,
)


class CertificateStore(ServiceBase):
    """Client certificates by hash, and the certificate overview."""

    async def list_certificates(self) -> CertificateOverview:
        """Every station's installed and pending certificates, and the CSMS's own."""
        stations: list[StationCertificateView] = []
        after = ""
        while True:
            page = await self._store.list_stations(after=after, limit=500)
            for station in page:
                for c in await self._store.lookup_install_certificates(station.station_id):
                    view = certificate_view(c)
                    stations.append(
                        StationCertificateView(station_id=station.station_id, **view.model_dump())
                    )
            if len(page) < 500:
                break
            after = page[-1].station_id
        own = [own_certificate_view(role, path) for role, path in self._own_certificates]
        return CertificateOverview(stations=stations, own=own)

    async def store_certificate(self, pem: str) -> str:
        """Store a client certificate; returns its hash (unpadded base64url SHA-256 of DER)."""
        parse_certificates(pem)
        try:
            return await self._store.set_certificate(pem)
        except ValueError as exc:
            raise Invalid(str(exc), field="certificate") from exc

    async def lookup_certificate(self, certificate_hash: str) -> str:
        pem = await self._store.lookup_certificate(certificate_hash)
        if pem is None:
            raise NotFound(f"no certificate with hash {certificate_hash}")
        return pem

    async def delete_certificate(self, certificate_hash: str) -> None:
        await self._store.delete_certificate(certificate_hash)
