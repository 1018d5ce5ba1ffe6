"""A CsmsService on a real SQLite store, real CallMaker and the real router for answers.

The only stand-ins are what the gateway provides: the set of connected stations and the emitter
(here it records the frames a station would receive; a test answers them through the router
exactly as a station's CALLRESULT arrives).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from core.application.ports import ConnectionUrls
from core.application.service import CsmsService
from core.clock import FixedClock
from core.events import EventBus
from core.handlers.call_maker import CallMaker
from core.handlers.router import Router
from core.handlers.types import Routes
from core.ocpp.types import Message, MessageType, OcppVersion
from core.schemas import SchemaSet
from core.store.models import RuntimeDetails
from core.store.sqlite import SqliteStore

VERSIONS = {"1.6": OcppVersion.V16, "2.0.1": OcppVersion.V201}


@dataclass
class Registry:
    ids: set[str] = field(default_factory=set)

    def is_connected(self, station_id: str) -> bool:
        return station_id in self.ids

    def connected(self) -> set[str]:
        return set(self.ids)


class Wire:
    """Records CALLs sent to stations; ``next()`` waits for the next one."""

    def __init__(self) -> None:
        self.sent: asyncio.Queue[tuple[OcppVersion, str, Message]] = asyncio.Queue()

    async def emit(self, version: OcppVersion, station_id: str, message: Message) -> None:
        self.sent.put_nowait((version, station_id, message))

    async def next(self) -> tuple[OcppVersion, str, Message]:
        async with asyncio.timeout(5):
            return await self.sent.get()


@dataclass
class Env:
    store: SqliteStore
    service: CsmsService
    wire: Wire
    registry: Registry
    clock: FixedClock
    events: EventBus
    routers: dict[OcppVersion, Router]

    async def answer(self, station_id: str, message: Message, response: dict[str, Any]) -> None:
        details = await self.store.lookup_runtime_details(station_id)
        assert details is not None
        await self.routers[VERSIONS[details.ocpp_version]].handle_result(
            station_id,
            Message(
                type=MessageType.CALL_RESULT,
                id=message.id,
                action=message.action,
                request=message.request,
                response=response,
            ),
        )

    async def answer_next(self, response: dict[str, Any]) -> Message:
        _, station_id, message = await self.wire.next()
        await self.answer(station_id, message, response)
        return message

    async def boot(self, station_id: str, version: str, connected: bool = True) -> None:
        await self.service.register_station(station_id, 0)
        await self.store.set_runtime_details(
            station_id,
            RuntimeDetails(
                ocpp_version=version, vendor="Acme", model="Volt", last_seen_at=self.clock.now()
            ),
        )
        if connected:
            self.registry.ids.add(station_id)


@asynccontextmanager
async def service_env() -> AsyncIterator[Env]:
    with tempfile.TemporaryDirectory() as tmp:
        async with _service_env(str(Path(tmp) / "csms.db")) as env:
            yield env


@asynccontextmanager
async def _service_env(path: str) -> AsyncIterator[Env]:
    store = SqliteStore(path)
    await store.open()
    clock = FixedClock()
    events = EventBus()
    wire = Wire()
    registry = Registry()
    calls = CallMaker(wire, store, store, events, clock)
    routers = {
        v: Router(v, Routes(s), wire, store, events, clock)
        for v, s in ((OcppVersion.V16, SchemaSet.OCPP16), (OcppVersion.V201, SchemaSet.OCPP201))
    }
    service = CsmsService(
        store,
        calls,
        events,
        clock,
        registry,
        urls=ConnectionUrls("csms.example", 80, 9311),
    )
    try:
        yield Env(store, service, wire, registry, clock, events, routers)
    finally:
        await store.close()


def certificate_pem(cn: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.PEM).decode()
