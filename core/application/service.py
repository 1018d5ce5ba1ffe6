"""The application service: what an operator can see and do, for the REST API and the console.

Both clients go through :class:`CsmsService` and nothing else — the console never reaches into
the store, the API never builds OCPP payloads. Every method returns plain pydantic views
(``model_dump(mode="json", by_alias=True)`` gives the API's camelCase JSON; the console reads the
snake_case attributes) and fails with one of the typed :class:`ServiceError` subclasses, which the
API maps to HTTP statuses and the console to notifications.

Station commands are version-neutral here and mapped to the right action per the station's OCPP
version (1.6 ``RemoteStartTransaction`` vs 2.0.1 ``RequestStartTransaction`` …). Every command is
a call record (see ``core.handlers.call_maker``); ``wait`` optionally blocks until the answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from cryptography.hazmat.primitives.serialization import Encoding

from core import limits, message_limits
from core.application.errors import Conflict, Invalid, NotFound, StationOffline
from core.application.ports import ConnectionRegistry, ConnectionUrls, ServiceStore
from core.application.rules import (
    SYNC_TRIGGERS,
    already_registered,
    answer_accepted,
    check_aware,
    check_int,
    check_length,
    check_opt_int,
    check_password_hash,
    generate_password,
    parse_certificates,
    parse_security_profile,
    validate_station_id,
)
from core.application.views import (
    CallView,
    CertificateInput,
    CertificateOverview,
    DeviceVariableView,
    MessageView,
    MeterValueView,
    PasswordRotation,
    ReservationView,
    SampledValueView,
    SecurityProfileUpgrade,
    SettingView,
    StationAuthView,
    StationCertificateView,
    StationDetail,
    StationEventView,
    StationFilter,
    StationPage,
    StationRegistration,
    StationSummary,
    TokenInput,
    TokenView,
    TransactionDetail,
    TransactionSummary,
    TriggerView,
    call_view,
    certificate_view,
    connector_view,
    message_view,
    own_certificate_view,
    reservation_view,
    runtime_fields,
    token_view,
    tx_summary,
)
from core.clock import Clock
from core.commands.base import Command, R
from core.credentials import hash_password
from core.events import EventBus, Subscription
from core.handlers.call_maker import CallMaker, CallRejectedError
from core.ocpp.types import JsonObject, OcppVersion
from core.services.certificates import LocalCa
from core.services.emaid import normalise_emaid
from core.services.protocols import TariffService
from core.services.x509_checks import certificate_id
from core.station_certificates import (
    NO_LOCAL_CA,
    CertificateRequestError,
    IssuedCertificate,
    issue_station_certificate,
)
from core.store.models import (
    CacheMode,
    CallRecord,
    CallState,
    CertificateStatus,
    CertificateType,
    InstallCertificate,
    SecurityProfile,
    Setting,
    SettingStatus,
    Station,
    StationAuth,
    Token,
    TriggerMessage,
    TriggerStatus,
)


class CsmsService:
    """Everything the REST API and the console can do. One instance per process."""

    def __init__(
        self,
        store: ServiceStore,
        call_maker: CallMaker,
        events: EventBus,
        clock: Clock,
        connections: ConnectionRegistry,
        *,
        urls: ConnectionUrls | None = None,
        tariff: TariffService | None = None,
        normalise_emaid: Callable[[str], str] = normalise_emaid,
        recent_limit: int = 20,
        own_certificates: Sequence[tuple[str, str]] = (),
        station_ca: LocalCa | None = None,
        org_name: str = "Thoughtworks",
    ) -> None:
        self._store = store
        self._calls = call_maker
        self._events = events
        self._clock = clock
        self._connections = connections
        self._urls = urls or ConnectionUrls()
        self._tariff = tariff
        self._normalise_emaid = normalise_emaid
        self._recent = recent_limit
        self._own_certificates = list(own_certificates)
        self._station_ca = station_ca
        self._org_name = org_name

    # -- events ---------------------------------------------------------------------------

    def subscribe(self, maxsize: int | None = None) -> Subscription:
        """A live feed of the core's events; call ``close()`` on it when done."""
        return self._events.subscribe(maxsize)

    def connected_stations(self) -> set[str]:
        return set(self._connections.connected())

    # -- stations -------------------------------------------------------------------------

    async def list_stations(
        self, filters: StationFilter | None = None, after: str = "", limit: int = 50
    ) -> StationPage:
        """One page of stations in id order. Filters apply before paging, so a page is full
        unless the list is exhausted."""
        check_int(limit, limits.PAGE_LIMIT, "limit")
        filters = filters or StationFilter()
        connected = self._connections.connected()
        active = await self._active_transactions_by_station()
        result: list[StationSummary] = []
        cursor = after
        batch = max(limit, 100)
        while len(result) < limit:
            stations = await self._store.list_stations(after=cursor, limit=batch)
            for station in stations:
                summary = await self._summary(station, connected, active)
                cursor = station.station_id
                if self._matches(summary, filters):
                    result.append(summary)
                    if len(result) == limit:
                        break
            if len(stations) < batch:
                break
        next_after = result[-1].station_id if len(result) == limit else None
        if next_after is not None and not await self._store.list_stations(after=cursor, limit=1):
            next_after = None
        return StationPage(stations=result, next_after=next_after)

    @staticmethod
    def _matches(summary: StationSummary, f: StationFilter) -> bool:
        if f.connected is not None and summary.connected != f.connected:
            return False
        if f.ocpp_version and summary.ocpp_version != f.ocpp_version:
            return False
        if f.text and f.text.lower() not in summary.station_id.lower():
            return False
        return not (f.status and all(c.status != f.status for c in summary.connectors))

    async def _active_transactions_by_station(self) -> dict[str, list[TransactionSummary]]:
        by_station: dict[str, list[TransactionSummary]] = {}
        for tx in await self._store.list_transactions(active=True, limit=100_000):
            by_station.setdefault(tx.station_id, []).append(tx_summary(tx))
        return by_station

    async def _summary(
        self,
        station: Station,
        connected: set[str],
        active: dict[str, list[TransactionSummary]],
    ) -> StationSummary:
        runtime = await self._store.lookup_runtime_details(station.station_id)
        connectors = await self._store.list_connector_statuses(station.station_id)
        return StationSummary(
            station_id=station.station_id,
            connected=station.station_id in connected,
            security_profile=int(station.auth.security_profile),
            pending_boot=station.pending_boot,
            registered_at=station.registered_at,
            connectors=[connector_view(c) for c in connectors],
            active_transactions=active.get(station.station_id, []),
            **runtime_fields(runtime),
        )

    async def _station(self, station_id: str) -> Station:
        station = await self._store.lookup_station(station_id)
        if station is None:
            raise NotFound(f"station {station_id} is not registered", field="csId")
        return station

    async def station_summary(self, station_id: str) -> StationSummary:
        station = await self._station(station_id)
        active = [
            tx_summary(t)
            for t in await self._store.list_transactions(station_id=station_id, active=True)
        ]
        return await self._summary(
            station, self._connections.connected(), {station_id: active} if active else {}
        )

    async def station_detail(self, station_id: str) -> StationDetail:
        station = await self._station(station_id)
        summary = await self.station_summary(station_id)
        runtime = await self._store.lookup_runtime_details(station_id)
        settings = await self._store.lookup_settings(station_id)
        device_model = await self._store.lookup_device_model(station_id)
        certificates = await self._store.lookup_install_certificates(station_id)
        trigger = await self._store.lookup_trigger(station_id)
        events = await self._store.list_station_events(station_id, limit=self._recent)
        messages = await self._store.list_messages(station_id=station_id, limit=self._recent)
        calls = await self._store.list_calls(station_id=station_id, limit=self._recent)
        now = self._clock.now()
        reservations = [
            reservation_view(r, now)
            for r in await self._store.list_reservations(station_id, limit=self._recent)
        ]
        return StationDetail(
            reservations=reservations,
            **summary.model_dump(),
            invalid_username_allowed=station.auth.invalid_username_allowed,
            has_password=station.auth.password_hash is not None,
            boot_reason=runtime.boot_reason if runtime else "",
            settings=[
                SettingView(
                    name=s.name, value=s.value, status=s.status.value, send_after=s.send_after
                )
                for s in settings
            ],
            device_model=[
                DeviceVariableView(
                    component=v.component,
                    variable=v.variable,
                    component_instance=v.component_instance,
                    evse_id=v.evse_id,
                    connector_id=v.connector_id,
                    variable_instance=v.variable_instance,
                    attribute_type=v.attribute_type,
                    value=v.value,
                    mutability=v.mutability,
                )
                for v in device_model
            ],
            certificates=[certificate_view(c) for c in certificates],
            trigger=(
                TriggerView(
                    message=trigger.message,
                    status=trigger.status.value,
                    attempts=trigger.attempts,
                    send_after=trigger.send_after,
                )
                if trigger
                else None
            ),
            recent_events=[
                StationEventView(
                    id=e.id,
                    station_id=e.station_id,
                    at=e.at,
                    event_type=e.event_type,
                    detail=e.detail,
                )
                for e in events
            ],
            recent_messages=[message_view(m) for m in messages],
            recent_calls=[call_view(c) for c in calls],
        )

    async def station_auth(self, station_id: str) -> StationAuthView:
        """The seed's auth lookup (the gateway's view of a station's credentials)."""
        station = await self._station(station_id)
        return StationAuthView(
            security_profile=int(station.auth.security_profile),
            base64_sha256_password=station.auth.password_hash,
            invalid_username_allowed=station.auth.invalid_username_allowed,
        )

    async def set_station_auth(
        self,
        station_id: str,
        security_profile: int,
        password_hash: str | None = None,
        invalid_username_allowed: bool = False,
    ) -> None:
        """The seed's ``POST /cs/{csId}``: register a station with a given password hash.

        Deliberately not the seed's upsert: there, posting an existing id silently replaced its
        credentials, so a typo or a re-run script locked a working station out. The same body
        again is accepted (scripts that set up stations stay re-runnable); different credentials
        for an existing id are refused (:class:`Conflict`), saying how to change them."""
        validate_station_id(station_id)
        profile = parse_security_profile(security_profile)
        if password_hash is not None:
            check_password_hash(password_hash)
        auth = StationAuth(profile, password_hash, invalid_username_allowed)
        if await self._store.add_station(station_id, auth, self._clock.now()):
            return
        existing = await self._store.lookup_station(station_id)
        if existing is not None and existing.auth == auth:
            return
        raise already_registered(station_id)

    async def register_station(
        self,
        station_id: str,
        security_profile: int = int(SecurityProfile.TLS_BASIC),
        invalid_username_allowed: bool = False,
        password: str | None = None,
        *,
        csr: str | None = None,
        issue_certificate: bool = False,
    ) -> StationRegistration:
        """Register a new station (an existing id is refused: :class:`Conflict`). For
        basic-auth profiles generate a password (unless given), store only its hash and return
        it once with the connection URL. For profile 2, ``csr`` (PEM) or ``issue_certificate``
        (a generated key) gets a client certificate from the local CA, returned once."""
        validate_station_id(station_id)
        profile = parse_security_profile(security_profile)
        if profile in (SecurityProfile.BASIC, SecurityProfile.TLS_BASIC):
            if password is None:
                password = generate_password()
            else:
                check_length(password, limits.PASSWORD, "password")
        elif password is not None:
            raise Invalid("this security profile does not use a password", field="password")
        wants_certificate = csr is not None or issue_certificate
        if wants_certificate and profile is not SecurityProfile.TLS_CLIENT_CERT:
            raise Invalid(
                "a client certificate is for security profile 2 (TLS + client certificate)",
                field="csr" if csr is not None else "issueCertificate",
            )
        if csr is not None and issue_certificate:
            raise Invalid(
                "give a CSR or ask for a generated key, not both", field="issueCertificate"
            )
        # Checked before anything is signed; add_station below settles a concurrent register.
        if await self._store.lookup_station(station_id) is not None:
            raise already_registered(station_id)
        issued = self._issue_certificate(station_id, csr) if wants_certificate else None
        auth = StationAuth(
            profile, hash_password(password) if password else None, invalid_username_allowed
        )
        if not await self._store.add_station(station_id, auth, self._clock.now()):
            raise already_registered(station_id)
        if issued is not None:
            # Kept for gateways behind a TLS-terminating proxy, which look the station's
            # certificate up by its hash (GET /certificate/{hash}).
            await self.store_certificate(
                parse_certificates(issued.chain_pem)[0].public_bytes(Encoding.PEM).decode()
            )
        return StationRegistration(
            station_id=station_id,
            security_profile=int(profile),
            url=self._urls.url_for(station_id, profile),
            password=password,
            invalid_username_allowed=invalid_username_allowed,
            certificate=issued.chain_pem if issued else None,
            private_key=issued.private_key_pem if issued else None,
        )

    def _issue_certificate(self, station_id: str, csr: str | None) -> IssuedCertificate:
        field = "csr" if csr is not None else "issueCertificate"
        if self._station_ca is None:
            raise Conflict(NO_LOCAL_CA, field=field)
        try:
            return issue_station_certificate(self._station_ca, station_id, self._org_name, csr)
        except CertificateRequestError as exc:
            raise Invalid(str(exc), field="csr") from exc

    async def delete_station(self, station_id: str) -> None:
        if not await self._store.delete_station(station_id):
            raise NotFound(f"station {station_id} is not registered", field="csId")

    async def set_pending_boot(self, station_id: str, pending: bool) -> None:
        """Answer the station's next BootNotification with Pending (or stop doing so)."""
        await self._station(station_id)
        await self._store.set_pending_boot(station_id, pending)

    async def set_security_profile(self, station_id: str, security_profile: int) -> None:
        """Change the profile the gateway enforces. Basic-auth profiles need a stored password;
        the station's own network profile is the operator's to change (SetNetworkProfile)."""
        station = await self._station(station_id)
        profile = parse_security_profile(security_profile)
        if (
            profile in (SecurityProfile.BASIC, SecurityProfile.TLS_BASIC)
            and station.auth.password_hash is None
        ):
            raise Invalid(
                "the station has no password yet: give it one first "
                f"(csms-tui station rotate-password {station_id})",
                field="securityProfile",
            )
        station.auth.security_profile = profile
        await self._store.register_station(station_id, station.auth, station.registered_at)

    async def upgrade_security_profile(
        self,
        station_id: str,
        security_profile: int,
        configuration_slot: int = 1,
        timeout: float | None = None,
    ) -> SecurityProfileUpgrade:
        """Move a connected station up to a higher security profile (OCPP forbids going down)
        and switch what the gateway enforces only once the station has accepted:

        - 1.6 (security whitepaper): ChangeConfiguration ``SecurityProfile``; the station
          reconnects with the new profile.
        - 2.0.1 (B09/A05): SetNetworkProfile into ``configuration_slot`` with our URL for that
          profile, NetworkConfigurationPriority with that slot first, then Reset OnIdle.
        """
        check_int(configuration_slot, limits.CONFIGURATION_SLOT, "configurationSlot")
        station = await self._station(station_id)
        profile = parse_security_profile(security_profile)
        current = station.auth.security_profile
        if profile is SecurityProfile.NO_AUTH or profile <= current:
            raise Invalid(
                f"must be higher than the current profile ({int(current)}): OCPP stations "
                "refuse to go down; PUT the profile to change only what the gateway enforces",
                field="securityProfile",
            )
        if profile is not SecurityProfile.TLS_CLIENT_CERT and station.auth.password_hash is None:
            raise Invalid(
                "the station has no password yet: rotate its password first",
                field="securityProfile",
            )
        version = await self.connected_version(station_id)
        ocpp_profile = int(profile) + 1  # OCPP numbers the profiles 1..3
        calls: list[CallView] = []

        async def call(action: str, request: JsonObject) -> CallRecord:
            record = await self.send(station_id, action, request, version=version, origin="api")
            final = await self._calls.wait(record.call_id, timeout)
            calls.append(call_view(final))
            return final

        def done(final: CallRecord) -> bool:
            return final.state is CallState.ANSWERED and answer_accepted(final)

        if version is OcppVersion.V16:
            accepted = done(
                await call(
                    "ChangeConfiguration", {"key": "SecurityProfile", "value": str(ocpp_profile)}
                )
            )
        else:
            accepted = await self._upgrade_201(
                call, done, profile, ocpp_profile, station_id, configuration_slot
            )
        if accepted:
            station.auth.security_profile = profile
            await self._store.register_station(station_id, station.auth, station.registered_at)
        return SecurityProfileUpgrade(
            accepted=accepted, security_profile=int(station.auth.security_profile), calls=calls
        )

    async def _upgrade_201(
        self,
        call: Callable[[str, JsonObject], Awaitable[CallRecord]],
        done: Callable[[CallRecord], bool],
        profile: SecurityProfile,
        ocpp_profile: int,
        station_id: str,
        slot: int,
    ) -> bool:
        # The station appends "/<its id>" to ocppCsmsUrl.
        url = self._urls.url_for(station_id, profile).rsplit("/", 1)[0]
        network = {
            "configurationSlot": slot,
            "connectionData": {
                "ocppVersion": "OCPP20",
                "ocppTransport": "JSON",
                "ocppCsmsUrl": url,
                "messageTimeout": 30,
                "securityProfile": ocpp_profile,
                "ocppInterface": "Wired0",
            },
        }
        if not done(await call("SetNetworkProfile", network)):
            return False
        # Keep the station's other slots as fallbacks, after the new one.
        priority = str(slot)
        read = await call(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "NetworkConfigurationPriority"},
                    }
                ]
            },
        )
        results = (read.response or {}).get("getVariableResult") or []
        if results and results[0].get("attributeStatus") == "Accepted":
            others = [
                p.strip()
                for p in str(results[0].get("attributeValue", "")).split(",")
                if p.strip() and p.strip() != str(slot)
            ]
            priority = ",".join([str(slot), *others])
        priority_set = await call(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "NetworkConfigurationPriority"},
                        "attributeValue": priority,
                    }
                ]
            },
        )
        if not done(priority_set):
            return False
        # RebootRequired is an acceptance here: this Reset is the reboot ("Scheduled": it
        # happens when the running transaction ends).
        reset = await call("Reset", {"type": "OnIdle"})
        return reset.state is CallState.ANSWERED and (reset.response or {}).get("status") in (
            "Accepted",
            "Scheduled",
        )

    async def replace_password(
        self, station_id: str, password: str | None = None
    ) -> StationRegistration:
        """Store a new basic-auth password for the station without sending it (for a station
        that is not connected, or lost its password): the old password stops working at once,
        and the station must be given the new one, shown once here, before it next connects.
        :meth:`rotate_password` is the way for a connected station."""
        station = await self._station(station_id)
        if password is None:
            password = generate_password()
        else:
            check_length(password, limits.PASSWORD, "password")
        station.auth.password_hash = hash_password(password)
        await self._store.register_station(station_id, station.auth, station.registered_at)
        profile = station.auth.security_profile
        return StationRegistration(
            station_id=station_id,
            security_profile=int(profile),
            url=self._urls.url_for(station_id, profile),
            password=password,
            invalid_username_allowed=station.auth.invalid_username_allowed,
        )

    async def rotate_password(
        self, station_id: str, password: str | None = None, timeout: float | None = None
    ) -> PasswordRotation:
        """Send a new basic-auth password to the station and switch the stored hash only when
        the station accepts it, so a refusal or a timeout never locks the station out."""
        station = await self._station(station_id)
        version = await self.connected_version(station_id)
        if password is None:
            # 1.6 AuthorizationKey is specified as up to 40 hex digits; 2.0.1 BasicAuthPassword
            # as 16-40 characters. Hex digits satisfy both readings.
            password = (
                secrets.token_hex(20) if version is OcppVersion.V16 else generate_password(24)
            )
        else:
            check_length(password, limits.PASSWORD, "password")
        if version is OcppVersion.V16:
            action = "ChangeConfiguration"
            request: JsonObject = {"key": "AuthorizationKey", "value": password}
        else:
            action = "SetVariables"
            request = {
                "setVariableData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "attributeValue": password,
                    }
                ]
            }
        record = await self.send(station_id, action, request, version=version, origin="api")
        final = await self._calls.wait(record.call_id, timeout)
        accepted = final.state is CallState.ANSWERED and answer_accepted(final)
        if accepted:
            station.auth.password_hash = hash_password(password)
            await self._store.register_station(station_id, station.auth, station.registered_at)
        return PasswordRotation(
            call=call_view(final), accepted=accepted, password=password if accepted else None
        )

    # -- seed sync inputs: settings, certificates, triggers ---------------------------------

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
            [CertificateInput(type=certificate_type, certificate=pem)],  # type: ignore[arg-type]
        )

    async def set_trigger(self, station_id: str, message: str) -> None:
        """Store a trigger for the sync loop (the seed's ``POST /cs/{csId}/trigger``)."""
        await self._station(station_id)
        if message not in SYNC_TRIGGERS:
            raise Invalid(f"must be one of {', '.join(SYNC_TRIGGERS)}", field="trigger")
        await self._store.set_trigger(station_id, TriggerMessage(message, TriggerStatus.PENDING))

    # -- client certificate store (TLS offload) ---------------------------------------------

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

    # -- station commands -------------------------------------------------------------------

    async def execute(
        self,
        station_id: str,
        command: Command[R],
        wait: float | None = None,
        origin: str = "api",
    ) -> R:
        """Run one of :mod:`core.commands` on a station; ``wait`` blocks up to that many
        seconds for the answer."""
        return await command.run(self, station_id, wait, origin)

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def store(self) -> ServiceStore:
        return self._store

    async def wait_for(self, record: CallRecord, wait: float | None) -> CallRecord:
        return await self._calls.wait(record.call_id, wait) if wait else record

    async def connected_version(self, station_id: str) -> OcppVersion:
        await self._station(station_id)
        if not self._connections.is_connected(station_id):
            raise StationOffline(f"station {station_id} is not connected", field="csId")
        try:
            return await self._calls.station_version(station_id)
        except CallRejectedError as exc:
            raise Conflict(str(exc), field="csId") from exc

    async def send(
        self,
        station_id: str,
        action: str,
        request: JsonObject,
        *,
        version: OcppVersion,
        origin: str,
    ) -> CallRecord:
        try:
            return await self._calls.send(
                station_id, action, request, version=version, origin=origin
            )
        except CallRejectedError as exc:
            raise Invalid(str(exc), field="payload") from exc

    async def command(
        self,
        station_id: str,
        build: Callable[[OcppVersion], tuple[str, JsonObject]],
        wait: float | None,
        origin: str,
    ) -> CallView:
        version = await self.connected_version(station_id)
        action, request = build(version)
        record = await self.send(station_id, action, request, version=version, origin=origin)
        if wait:
            record = await self._calls.wait(record.call_id, wait)
        return call_view(record)

    async def command_in_parts(
        self,
        station_id: str,
        action: str,
        key: str,
        result_key: str,
        items: list[JsonObject],
        wait: float | None,
        origin: str,
    ) -> CallView:
        """A 2.0.1 GetVariables/SetVariables in as many calls as the station's per-message
        limits need (core.message_limits). With ``wait``, the view holds every part's results
        in order, and the first part that failed decides its state."""
        max_items, max_bytes = await message_limits.per_message_limits(
            self._store, station_id, action
        )
        payloads = message_limits.split(key, items, max_items, max_bytes, action)
        records = [
            await self.send(station_id, action, payload, version=OcppVersion.V201, origin=origin)
            for payload in payloads
        ]
        if wait:
            records = [await self._calls.wait(r.call_id, wait) for r in records]
        if len(records) == 1:
            return call_view(records[0])
        first = call_view(records[0])
        failed = next((r for r in records if r.state is not CallState.ANSWERED), None)
        results = [x for r in records for x in (r.response or {}).get(result_key, [])]
        return first.model_copy(
            update={
                "request": {key: items},
                "call_ids": [r.call_id for r in records],
                "state": (failed or records[-1]).state.value,
                "completed_at": None if failed is not None else records[-1].completed_at,
                "response": None if failed is not None else {result_key: results},
                "error_code": failed.error_code if failed is not None else "",
                "error_description": failed.error_description if failed is not None else "",
            }
        )

    # -- reservations --------------------------------------------------------------------------

    async def list_reservations(
        self, station_id: str | None = None, active: bool | None = None, limit: int = 100
    ) -> list[ReservationView]:
        check_int(limit, limits.PAGE_LIMIT, "limit")
        now = self._clock.now()
        return [
            reservation_view(r, now)
            for r in await self._store.list_reservations(station_id, active, limit, now)
        ]

    # -- call records -------------------------------------------------------------------

    async def get_call(self, call_id: str) -> CallView:
        record = await self._store.lookup_call(call_id)
        if record is None:
            raise NotFound(f"no call with id {call_id}", field="callId")
        return call_view(record)

    async def wait_call(self, call_id: str, timeout: float) -> CallView:
        """Wait up to ``timeout`` seconds for a call to reach its final state."""
        try:
            return call_view(await self._calls.wait(call_id, timeout))
        except KeyError as exc:
            raise NotFound(f"no call with id {call_id}", field="callId") from exc

    async def list_calls(self, station_id: str | None = None, limit: int = 100) -> list[CallView]:
        check_int(limit, limits.PAGE_LIMIT, "limit")
        return [call_view(c) for c in await self._store.list_calls(station_id, limit)]

    # -- transactions -----------------------------------------------------------------------

    async def list_transactions(
        self,
        station_id: str | None = None,
        active: bool | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[TransactionSummary]:
        check_int(limit, limits.PAGE_LIMIT, "limit")
        check_int(offset, limits.ROW, "offset")
        check_aware(since, "since")
        txs = await self._store.list_transactions(station_id, active, since, limit, offset)
        return [tx_summary(t) for t in txs]

    async def transaction_detail(
        self, transaction_id: str, station_id: str | None = None
    ) -> TransactionDetail:
        """A transaction with meter values and cost. Transaction ids are unique per station;
        without ``station_id`` the id must identify one transaction."""
        if station_id is None:
            matches = await self._find_transaction_stations(transaction_id)
            if not matches:
                raise NotFound(f"no transaction {transaction_id}", field="transactionId")
            if len(matches) > 1:
                raise Conflict(
                    f"transaction id {transaction_id} exists at {len(matches)} stations; "
                    "give the station",
                    field="station",
                )
            station_id = matches[0]
        tx = await self._store.find_transaction(station_id, transaction_id)
        if tx is None:
            raise NotFound(
                f"no transaction {transaction_id} at station {station_id}", field="transactionId"
            )
        meter_values = tx.meter_values
        if not meter_values:
            stored = await self._store.list_meter_values(station_id, transaction_id)
            meter_values = [s.meter_value for s in stored]
        cost, currency = tx.cost, tx.currency
        if cost is None and self._tariff is not None and meter_values:
            estimate = self._tariff.cost(meter_values)
            if estimate is not None:
                cost, currency = estimate.amount, estimate.currency
        summary = tx_summary(tx).model_dump()
        summary.update(cost=cost, currency=currency)
        return TransactionDetail(
            **summary,
            trigger_reason=tx.trigger_reason,
            offline=tx.offline,
            remote_start_id=tx.remote_start_id,
            stop_id_token=tx.stop_id_token,
            seq_no_gaps=list(tx.seq_no_gaps),
            meter_values=[
                MeterValueView(
                    timestamp=mv.timestamp,
                    sampled_values=[
                        SampledValueView(
                            value=sv.value,
                            measurand=sv.measurand,
                            unit=sv.unit_of_measure.unit if sv.unit_of_measure else None,
                            phase=sv.phase,
                            context=sv.context,
                            location=sv.location,
                        )
                        for sv in mv.sampled_values
                    ],
                )
                for mv in meter_values
            ],
        )

    async def _find_transaction_stations(self, transaction_id: str) -> list[str]:
        found: list[str] = []
        offset, page = 0, 1000
        while True:
            txs = await self._store.list_transactions(limit=page, offset=offset)
            found.extend(t.station_id for t in txs if t.transaction_id == transaction_id)
            if len(txs) < page:
                return found
            offset += page

    # -- message log ------------------------------------------------------------------------

    async def list_messages(
        self,
        station_id: str | None = None,
        action: str | None = None,
        direction: Literal["in", "out"] | None = None,
        since: datetime | None = None,
        before_id: int | None = None,
        errors_only: bool = False,
        limit: int = 100,
    ) -> list[MessageView]:
        """Newest first; page backwards with ``before_id`` = the last id of the page."""
        check_int(limit, limits.PAGE_LIMIT, "limit")
        if direction not in (None, "in", "out"):
            raise Invalid("must be in or out", field="direction")
        check_opt_int(before_id, limits.ROW, "before")
        check_aware(since, "since")
        messages = await self._store.list_messages(
            station_id=station_id,
            action=action,
            direction=direction,
            since=since,
            before_id=before_id,
            errors_only=errors_only,
            limit=limit,
        )
        return [message_view(m) for m in messages]

    # -- tokens -----------------------------------------------------------------------------

    async def set_token(self, token: TokenInput) -> TokenView:
        """Upsert by uid; the contract id is normalised (eMAID) or rejected."""
        try:
            contract_id = self._normalise_emaid(token.contract_id)
        except ValueError as exc:
            raise Invalid(str(exc), field="contractId") from exc
        check_aware(token.expiry_date, "expiryDate")
        stored = Token(
            country_code=token.country_code,
            party_id=token.party_id,
            type=token.type,
            uid=token.uid,
            contract_id=contract_id,
            issuer=token.issuer,
            valid=token.valid,
            cache_mode=CacheMode(token.cache_mode),
            visual_number=token.visual_number,
            group_id=token.group_id,
            language_code=token.language_code,
            status=token.status,
            expiry_date=token.expiry_date,
        )
        await self._store.set_token(stored)
        return await self.get_token(token.uid)

    async def get_token(self, uid: str) -> TokenView:
        token = await self._store.lookup_token(uid)
        if token is None:
            raise NotFound(f"no token {uid}", field="tokenUid")
        return token_view(token)

    async def list_tokens(self, offset: int = 0, limit: int = 20) -> list[TokenView]:
        check_int(offset, limits.ROW, "offset")
        if limit < 1:
            raise Invalid("must be at least 1", field="limit")
        # The seed clamps the page size to 100 rather than refusing larger ones.
        return [token_view(t) for t in await self._store.list_tokens(offset, min(limit, 100))]

    async def delete_token(self, uid: str) -> None:
        if not await self._store.delete_token(uid):
            raise NotFound(f"no token {uid}", field="tokenUid")
