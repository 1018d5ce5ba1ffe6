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
from core.services.http_auth import token_source
from core.services.ocsp import OcspClient, OcspContractValidator
from core.services.opcp import (
    DelegatingStationCertProvider,
    OpcpContractProvider,
    OpcpStationCertProvider,
)
from core.services.protocols import (
    ChargeStationCertificateProvider,
    ContractCertificateProvider,
    ContractCertificateValidator,
    OcspStatusService,
    TariffService,
    TokenAuthoriser,
)
from core.services.root_certs import root_provider
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
    return _station_provider(section, "charge_station_cert_provider", config.api.org_name)


def _station_provider(
    section: dict[str, Any], where: str, org_name: str
) -> ChargeStationCertificateProvider:
    kind = section.get("type", "default")
    if kind == "opcp":
        opcp = section["opcp"]
        return OpcpStationCertProvider(
            opcp["url"], token_source(opcp["auth"], f"{where}.opcp.auth")
        )
    if kind == "delegating":
        nested = section["delegating"]
        return DelegatingStationCertProvider(
            v2g=_station_provider(nested["v2g"], f"{where}.delegating.v2g", org_name),
            cso=_station_provider(nested["cso"], f"{where}.delegating.cso", org_name),
        )
    if kind != "local":
        return DefaultStationCertProvider()
    local = section.get("local") or {}

    def read(part: str) -> str:
        source = local.get(part) or {}
        path = source.get("file") if isinstance(source, dict) else None
        if not path:
            raise ConfigError(f"{where}.local.{part}.file: required")
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"{where}.local.{part}.file: cannot read {path}: {exc.strerror}"
            ) from exc

    try:
        return LocalCa(read("cert"), read("key"), org_names=[org_name])
    except ValueError as exc:
        raise ConfigError(f"{where}.local: {exc}") from exc


def _contract_validator(config: Config, clock: Clock) -> ContractCertificateValidator:
    section = _section(config.contract_cert_validator)
    if section.get("type", "ocsp") != "ocsp":
        return NoContractValidator()
    ocsp = section.get("ocsp") or {}
    roots = root_provider(ocsp.get("root_certs") or {}, "contract_cert_validator.ocsp.root_certs")
    return OcspContractValidator(roots, max_attempts=int(ocsp.get("max_attempts", 1)), clock=clock)


def _contract_provider(config: Config) -> ContractCertificateProvider:
    section = _section(config.contract_cert_provider)
    if section.get("type", "default") != "opcp":
        return DefaultContractProvider()
    opcp = section["opcp"]
    return OpcpContractProvider(
        opcp["url"], token_source(opcp["auth"], "contract_cert_provider.opcp.auth")
    )


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
        contract_validator=_contract_validator(config, clock),
        ocsp=_ocsp(config),
        contract_provider=_contract_provider(config),
        station_cert_provider=_station_cert_provider(config),
    )
