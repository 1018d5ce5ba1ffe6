"""Result handlers for CSMS-initiated 2.0.1 calls whose answers change stored state. All other
results are recorded on the call record by the router."""

from __future__ import annotations

import logging
from typing import Any

from core.services.x509_checks import chain_certificate_id
from core.store.models import (
    CertificateStatus,
    DeviceModelVariable,
    SettingStatus,
)
from core.store.protocols import CertificateStore, DeviceModelStore, SettingsStore

log = logging.getLogger(__name__)

# After this many Failed answers a certificate is given up (the seed retried forever).
MAX_CERTIFICATE_ATTEMPTS = 5


def setting_key(item: dict[str, Any]) -> str:
    """The reconfigure key syntax: Component[;instance][;evse]/Variable[;instance][;attribute]."""
    component, variable = item["component"], item["variable"]
    left = [component["name"]]
    if "instance" in component:
        left.append(component["instance"])
    if "evse" in component:
        left.append(str(component["evse"]["id"]))
    right = [variable["name"]]
    if "instance" in variable:
        right.append(variable["instance"])
    if item.get("attributeType", "Actual") != "Actual":
        right.append(item["attributeType"])
    return ";".join(left) + "/" + ";".join(right)


class SetVariablesResult:
    """Per-variable results: Accepted settings are done (deleted), RebootRequired kept until the
    next boot, Rejected/UnknownComponent/… marked Rejected and not retried."""

    def __init__(self, settings: SettingsStore) -> None:
        self.settings = settings

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        done = []
        for item in response["setVariableResult"]:
            key, status = setting_key(item), item["attributeStatus"]
            if status == "Accepted":
                done.append(key)
            elif status == "RebootRequired":
                await self.settings.set_setting_status(
                    station_id, key, SettingStatus.REBOOT_REQUIRED
                )
            else:
                await self.settings.set_setting_status(station_id, key, SettingStatus.REJECTED)
        if done:
            await self.settings.delete_settings(station_id, done)


class GetVariablesResult:
    """Returned values go into the device model the console shows."""

    def __init__(self, device_model: DeviceModelStore) -> None:
        self.device_model = device_model

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        variables = [
            DeviceModelVariable(
                component=r["component"]["name"],
                variable=r["variable"]["name"],
                component_instance=r["component"].get("instance", ""),
                evse_id=r["component"].get("evse", {}).get("id"),
                connector_id=r["component"].get("evse", {}).get("connectorId"),
                variable_instance=r["variable"].get("instance", ""),
                attribute_type=r.get("attributeType", "Actual"),
                value=r.get("attributeValue"),
            )
            for r in response["getVariableResult"]
            if r["attributeStatus"] == "Accepted"
        ]
        if variables:
            await self.device_model.upsert_device_model(station_id, variables)


class CertificateResult:
    """CertificateSigned / InstallCertificate: store the station's verdict on the certificate."""

    def __init__(self, certificates: CertificateStore, pem_field: str) -> None:
        self.certificates, self.pem_field = certificates, pem_field

    async def __call__(
        self, station_id: str, request: dict[str, Any], response: dict[str, Any], state: Any
    ) -> None:
        try:
            cert_id = chain_certificate_id(request[self.pem_field])
        except (KeyError, ValueError):
            log.warning(
                "%s result from %s: request holds no certificate", self.pem_field, station_id
            )
            return
        current = {
            c.certificate_id: c
            for c in await self.certificates.lookup_install_certificates(station_id)
        }
        cert = current.get(cert_id)
        if cert is None:
            return
        status = response["status"]
        if status == "Accepted":
            cert.status = CertificateStatus.ACCEPTED
        elif status == "Rejected" or cert.attempts >= MAX_CERTIFICATE_ATTEMPTS:
            cert.status = CertificateStatus.REJECTED
        # Failed below the bound: stays Pending and is retried by sync
        await self.certificates.upsert_install_certificates(station_id, [cert])
