"""Everything a routing table may hand to its handlers, built once in ``core.runtime``.

Handlers take only the parts they need in their constructors; this bag exists so that the
routing tables (``ocpp16.routes``, ``ocpp201.routes``) have one argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock, IdFactory, uuid4_str
from core.config import Config
from core.events import EventBus
from core.handlers.call_maker import CallMaker
from core.services.factory import Services
from core.services.protocols import (
    ChargeStationCertificateProvider,
    ContractCertificateProvider,
    ContractCertificateValidator,
    OcspStatusService,
    TariffService,
    TokenAuthoriser,
)
from core.store.protocols import Store


@dataclass(slots=True)
class HandlerSettings:
    heartbeat_interval_s: int = 300
    # Boot rule: answer Pending while the station has settings or certificates waiting to be
    # pushed, or an operator asked for it; Accepted otherwise (see ocpp*/boot_notification.py).
    pending_interval_s: int = 30
    # 2.0.1 running cost: at most one CostUpdated per transaction per this many seconds
    # (tariff_service.running_cost_interval; 0 = after every live meter reading).
    running_cost_interval_s: float = 30.0

    @classmethod
    def from_config(cls, config: Config) -> HandlerSettings:
        return cls(
            heartbeat_interval_s=int(config.ocpp.heartbeat_interval),
            running_cost_interval_s=config.tariff_service.running_cost_interval,
        )


@dataclass(slots=True)
class HandlerDeps:
    store: Store
    clock: Clock
    events: EventBus
    call_maker: CallMaker
    token_auth: TokenAuthoriser
    tariff: TariffService
    contract_validator: ContractCertificateValidator
    ocsp: OcspStatusService
    contract_provider: ContractCertificateProvider
    station_cert_provider: ChargeStationCertificateProvider
    settings: HandlerSettings
    ids: IdFactory = uuid4_str

    @classmethod
    def of(
        cls,
        store: Store,
        clock: Clock,
        events: EventBus,
        call_maker: CallMaker,
        services: Services,
        settings: HandlerSettings,
        *,
        token_auth: TokenAuthoriser | None = None,
        station_cert_provider: ChargeStationCertificateProvider | None = None,
    ) -> HandlerDeps:
        """The bag from the configured services: each service goes to its field here, for the
        composition root, the benchmarks and the tests alike. ``token_auth`` and
        ``station_cert_provider`` stand in for the services' own (the daemon's: OCPI's
        authoriser in front of them, the signer that knows leniency grants)."""
        return cls(
            store=store,
            clock=clock,
            events=events,
            call_maker=call_maker,
            token_auth=token_auth or services.token_auth,
            tariff=services.tariff,
            contract_validator=services.contract_validator,
            ocsp=services.ocsp,
            contract_provider=services.contract_provider,
            station_cert_provider=station_cert_provider or services.station_cert_provider,
            settings=settings,
        )
