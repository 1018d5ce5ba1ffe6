"""Everything a routing table may hand to its handlers, built once in ``core.runtime``.

Handlers take only the parts they need in their constructors; this bag exists so that the
routing tables (``ocpp16.routes``, ``ocpp201.routes``) have one argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock, IdFactory, uuid4_str
from core.events import EventBus
from core.handlers.call_maker import CallMaker
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
