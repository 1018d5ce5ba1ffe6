"""Builds the services the handlers use from the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.clock import Clock
from core.config import Config, ConfigError
from core.services.certificates import (
    DefaultContractProvider,
    DefaultStationCertProvider,
    LocalCa,
    NoContractValidator,
    NoOcsp,
)
from core.services.ocsp import OcspClient
from core.services.protocols import (
    ChargeStationCertificateProvider,
    ContractCertificateProvider,
    ContractCertificateValidator,
    OcspStatusService,
    TariffService,
    TokenAuthoriser,
)
from core.services.tariff import KwhTariff
from core.services.token_auth import TokenAuthService
from core.store.protocols import Store


@dataclass(slots=True)
class Services:
    token_auth: TokenAuthoriser
    tariff: TariffService
    contract_validator: ContractCertificateValidator
    ocsp: OcspStatusService
    contract_provider: ContractCertificateProvider
    station_cert_provider: ChargeStationCertificateProvider


def _section(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    dumped = value.model_dump()
    assert isinstance(dumped, dict)
    return dumped


def _station_cert_provider(config: Config) -> ChargeStationCertificateProvider:
    section = _section(config.charge_station_cert_provider)
    if section.get("type", "default") != "local":
        return DefaultStationCertProvider()
    local = section.get("local") or {}

    def read(part: str) -> str:
        source = local.get(part) or {}
        path = source.get("file") if isinstance(source, dict) else None
        if not path:
            raise ConfigError(f"charge_station_cert_provider.local.{part}.file: required")
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"charge_station_cert_provider.local.{part}.file: cannot read {path}: {exc.strerror}"
            ) from exc

    return LocalCa(read("cert"), read("key"), org_names=[config.api.org_name])


def _ocsp(config: Config) -> OcspStatusService:
    section = _section(config.contract_cert_validator)
    if section.get("type", "ocsp") != "ocsp":
        return NoOcsp()
    attempts = int((section.get("ocsp") or {}).get("max_attempts", 1))
    return OcspClient(max_attempts=attempts)


def build_services(config: Config, store: Store, clock: Clock) -> Services:
    tariff = _section(config.tariff_service)
    return Services(
        token_auth=TokenAuthService(store, clock),
        tariff=KwhTariff(
            price_per_kwh=float(tariff.get("price_per_kwh", 0.55)),
            currency=str(tariff.get("currency", "EUR")),
        ),
        contract_validator=NoContractValidator(),
        ocsp=_ocsp(config),
        contract_provider=DefaultContractProvider(),
        station_cert_provider=_station_cert_provider(config),
    )
