"""Builds the services the handlers use from the configuration."""

from __future__ import annotations

import logging
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
from core.services.ev_certificates import Iso15118ExiCodec, LocalContractProvider
from core.services.http_auth import token_source
from core.services.local_pki import IssuingCa, LocalPkiStationProvider, V2gStationSigner
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

log = logging.getLogger(__name__)


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
    try:
        cso = LocalCa(
            _read_secret(local, "cert", f"{where}.local"),
            _read_secret(local, "key", f"{where}.local"),
            org_names=[org_name],
        )
    except ValueError as exc:
        raise ConfigError(f"{where}.local: {exc}") from exc
    v2g = local.get("v2g")
    if not v2g:
        return cso
    signer = V2gStationSigner(
        _issuing_ca(v2g, f"{where}.local.v2g"),
        org_names=[org_name],
        days=int(v2g.get("days", 365)),
        ocsp_url=str(v2g.get("ocsp_url", "")),
    )
    return LocalPkiStationProvider(cso, signer)


def _read_file(path: str, where: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {path}: {exc.strerror}") from exc


def _read_secret(section: dict[str, Any], part: str, where: str) -> str:
    source = section.get(part) or {}
    path = source.get("file") if isinstance(source, dict) else None
    if not path:
        raise ConfigError(f"{where}.{part}.file: required")
    return _read_file(path, f"{where}.{part}.file")


def _issuing_ca(section: dict[str, Any], where: str, *, require_ca: bool = True) -> IssuingCa:
    """Read and check an ``IssuingCaConfig`` at start, so a mismatched file stops the start."""
    issuers = [
        _read_file(path, f"{where}.issuer_files") for path in section.get("issuer_files", [])
    ]
    try:
        return IssuingCa.load(
            _read_secret(section, "cert", where),
            _read_secret(section, "key", where),
            issuers,
            _read_file(str(section.get("root_file", "")), f"{where}.root_file"),
            require_ca=require_ca,
        )
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _contract_validator(config: Config, clock: Clock) -> ContractCertificateValidator:
    section = _section(config.contract_cert_validator)
    if section.get("type", "ocsp") != "ocsp":
        return NoContractValidator()
    ocsp = section.get("ocsp") or {}
    roots = root_provider(ocsp.get("root_certs") or {}, "contract_cert_validator.ocsp.root_certs")
    return OcspContractValidator(roots, max_attempts=int(ocsp.get("max_attempts", 1)), clock=clock)


def _contract_provider(
    config: Config, codec: Iso15118ExiCodec | None
) -> ContractCertificateProvider:
    section = _section(config.contract_cert_provider)
    kind = section.get("type", "default")
    if kind == "local":
        local = section["local"]
        mo = local["mo"]
        if codec is None:
            log.warning(
                "contract_cert_provider.local: no ISO 15118 EXI codec is installed, so "
                "Get15118EVCertificate answers Failed"
            )
        return LocalContractProvider(
            _issuing_ca(mo, "contract_cert_provider.local.mo"),
            _issuing_ca(local["cps"], "contract_cert_provider.local.cps", require_ca=False),
            str(local["emaid_prefix"]),
            codec,
            days=int(mo.get("days", 365)),
            ocsp_url=str(mo.get("ocsp_url", "")),
        )
    if kind != "opcp":
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


def build_services(
    config: Config, store: Store, clock: Clock, exi_codec: Iso15118ExiCodec | None = None
) -> Services:
    """``exi_codec``: the ISO 15118 EXI layer the local contract provider needs (none ships)."""
    tariff = _section(config.tariff_service)
    return Services(
        token_auth=TokenAuthService(store, clock),
        tariff=KwhTariff(
            price_per_kwh=float(tariff.get("price_per_kwh", 0.55)),
            currency=str(tariff.get("currency", "EUR")),
        ),
        contract_validator=_contract_validator(config, clock),
        ocsp=_ocsp(config),
        contract_provider=_contract_provider(config, exi_codec),
        station_cert_provider=_station_cert_provider(config),
    )
