"""The seed's sync inputs: settings, certificates to install and triggers, stored Pending
for the sync loop to push to the station."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.application.base import ServiceBase
from core.application.errors import Invalid
from core.application.rules import SYNC_TRIGGERS, parse_certificates
from core.application.views import CertificateInput
from core.services.x509_checks import certificate_id
from core.store.models import (
    CertificateStatus,
    CertificateType,
    InstallCertificate,
    Setting,
    SettingStatus,
    TriggerMessage,
    TriggerStatus,
)


class SyncInputs(ServiceBase):
    """MaEVe's reconfigure, install-certificates and trigger endpoints."""

    async def reconfigure(self, station_id: str, settings: Mapping[str, str]) -> None:
        """Store settings as Pending; the sync loop pushes them to the station."""
        await self._station(station_id)
        runtime = await self._store.lookup_runtime_details(station_id)
        max_len = 500 if runtime and runtime.ocpp_version == "1.6" else 1000
        for name, value in settings.items():
            if not isinstance(value, str):
                raise Invalid("must be a string", field=name)
            if len(value) > max_len:
                raise Invalid(f"longer than {max_len} characters", field=name)
        await self._store.update_settings(
            station_id,
            [Setting(name, value, SettingStatus.PENDING) for name, value in settings.items()],
        )

    async def install_certificates(
        self, station_id: str, certificates: Sequence[CertificateInput]
    ) -> list[str]:
        """Store certificates to install (sync pushes them); returns their ids (hex SHA-256)."""
        await self._station(station_id)
        items: list[InstallCertificate] = []
        for i, cert in enumerate(certificates):
            leaf = parse_certificates(cert.certificate, field=f"certificates/{i}/certificate")[0]
            items.append(
                InstallCertificate(
                    certificate_id=certificate_id(leaf),
                    certificate_type=CertificateType(cert.type),
                    certificate_data=cert.certificate,
                    status=CertificateStatus(cert.status or "Pending"),
                )
            )
        await self._store.upsert_install_certificates(station_id, items)
        return [i.certificate_id for i in items]

    async def install_root_certificate(
        self, station_id: str, pem: str, certificate_type: str = "CSMS"
    ) -> list[str]:
        """Queue a root certificate for installation on the station (Pending, for sync)."""
        if certificate_type not in ("V2G", "MO", "MF", "CSMS"):
            raise Invalid("must be one of V2G, MO, MF, CSMS", field="type")
        return await self.install_certificates(
            station_id,
            [CertificateInput(type=certificate_type, certificate=pem)],
        )

    async def set_trigger(self, station_id: str, message: str) -> None:
        """Store a trigger for the sync loop (the seed's ``POST /cs/{csId}/trigger``)."""
        await self._station(station_id)
        if message not in SYNC_TRIGGERS:
            raise Invalid(f"must be one of {', '.join(SYNC_TRIGGERS)}", field="trigger")
        await self._store.set_trigger(station_id, TriggerMessage(message, TriggerStatus.PENDING))
