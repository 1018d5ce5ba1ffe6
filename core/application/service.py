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
from datetime import datetime, timedelta
from typing import Any, Literal

from cryptography.hazmat.primitives.serialization import Encoding

from core import limits, message_limits
from core.application.errors import Conflict, Invalid, NotFound, ServiceError, StationOffline
from core.application.ports import ConnectionRegistry, ConnectionUrls, ServiceStore
from core.application.rules import (
    CSMS_ACTIONS,
    MONITOR_KINDS,
    REPORT_BASES,
    RESET_16,
    RESET_201,
    SYNC_TRIGGERS,
    ResetKind,
    already_registered,
    answer_accepted,
    check_aware,
    check_encodable,
    check_int,
    check_int_text,
    check_length,
    check_number,
    check_opt_int,
    check_password_hash,
    check_url,
    generate_password,
    iso,
    new_request_id,
    parse_certificates,
    parse_security_profile,
    parse_variable_key,
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
    ReservationCommand,
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
from core.credentials import hash_password
from core.events import EventBus, Subscription
from core.handlers.call_maker import CallMaker, CallRejectedError
from core.handlers.reservations import answered_status
from core.ocpp.triggers import TRIGGER_MESSAGES_16, TRIGGER_MESSAGES_201
from core.ocpp.types import JsonObject, OcppVersion
from core.services.certificates import LocalCa
from core.services.emaid import normalise_emaid
from core.services.protocols import TariffService
from core.services.token_auth import id_tag_info, id_token_info, ocpp201_token_type
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
    Reservation,
    ReservationStatus,
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
        version = await self._connected_version(station_id)
        ocpp_profile = int(profile) + 1  # OCPP numbers the profiles 1..3
        calls: list[CallView] = []

        async def call(action: str, request: JsonObject) -> CallRecord:
            record = await self._send(station_id, action, request, version=version, origin="api")
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
        version = await self._connected_version(station_id)
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
        record = await self._send(station_id, action, request, version=version, origin="api")
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

    async def _connected_version(self, station_id: str) -> OcppVersion:
        await self._station(station_id)
        if not self._connections.is_connected(station_id):
            raise StationOffline(f"station {station_id} is not connected", field="csId")
        try:
            return await self._calls.station_version(station_id)
        except CallRejectedError as exc:
            raise Conflict(str(exc), field="csId") from exc

    async def _send(
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

    async def _command(
        self,
        station_id: str,
        build: Callable[[OcppVersion], tuple[str, JsonObject]],
        wait: float | None,
        origin: str,
    ) -> CallView:
        version = await self._connected_version(station_id)
        action, request = build(version)
        record = await self._send(station_id, action, request, version=version, origin=origin)
        if wait:
            record = await self._calls.wait(record.call_id, wait)
        return call_view(record)

    async def _command_in_parts(
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
            await self._send(station_id, action, payload, version=OcppVersion.V201, origin=origin)
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

    async def reserve_now(
        self,
        station_id: str,
        id_token: str,
        expires_at: datetime,
        evse_id: int = 0,
        token_type: str = "ISO14443",  # an IdTokenType, not a secret
        group_id: str | None = None,
        wait: float | None = None,
        origin: str = "api",
        external_id: str | None = None,
    ) -> ReservationCommand:
        """1.6 ReserveNow (``evse_id`` = connectorId, 0 = the charge point) / 2.0.1 ReserveNow
        (``evse_id`` 0 = any EVSE). The reservation id is ours; its status follows the answer."""
        check_aware(expires_at, "expiresAt")
        now = self._clock.now()
        if expires_at <= now:
            raise Invalid("must be in the future", field="expiresAt")
        if not id_token:
            raise Invalid("must not be empty", field="idToken")
        check_length(id_token, limits.ID_TOKEN, "idToken")
        if group_id is not None:
            check_length(group_id, limits.ID_TOKEN, "groupId")
        evse_id = check_int(evse_id, limits.EVSE_ID, "evseId")
        version = await self._connected_version(station_id)
        reservation = Reservation(
            station_id=station_id,
            evse_id=evse_id,
            id_token=id_token,
            token_type=token_type,
            expires_at=expires_at,
            status=ReservationStatus.REQUESTED,
            created_at=now,
            updated_at=now,
            group_id=group_id,
            external_id=external_id,
        )
        rid = await self._store.add_reservation(reservation)
        expiry = iso(expires_at)
        if version is OcppVersion.V16:
            request: JsonObject = {
                "connectorId": evse_id,
                "expiryDate": expiry,
                "idTag": id_token,
                "reservationId": rid,
            }
            if group_id:
                request["parentIdTag"] = group_id
        else:
            request = {
                "id": rid,
                "expiryDateTime": expiry,
                "idToken": {"idToken": id_token, "type": token_type},
            }
            if evse_id:
                request["evseId"] = evse_id
            if group_id:
                request["groupIdToken"] = {"idToken": group_id, "type": "Central"}
        try:
            record = await self._send(
                station_id, "ReserveNow", request, version=version, origin=origin
            )
        except ServiceError:
            await self._store.set_reservation_status(rid, ReservationStatus.FAILED, now)
            raise
        if wait:
            record = await self._calls.wait(record.call_id, wait)
        stored = await self._store.lookup_reservation(rid) or reservation
        if stored.status is ReservationStatus.REQUESTED and record.state is CallState.ANSWERED:
            # The answer is in; its result handler may not have stored it yet.
            stored.status = answered_status(record.response or {})
        return ReservationCommand(reservation=reservation_view(stored, now), call=call_view(record))

    async def cancel_reservation(
        self, station_id: str, reservation_id: int, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        reservation_id = check_int(reservation_id, limits.RESERVATION_ID, "reservationId")
        reservation = await self._store.lookup_reservation(reservation_id)
        if reservation is None or reservation.station_id != station_id:
            raise NotFound(
                f"station {station_id} has no reservation {reservation_id}", field="reservationId"
            )
        if not reservation_view(reservation, self._clock.now()).active:
            raise Conflict(
                f"reservation {reservation_id} is {reservation.status.value}, not active",
                field="reservationId",
            )
        return await self._command(
            station_id,
            lambda v: ("CancelReservation", {"reservationId": reservation_id}),
            wait,
            origin,
        )

    async def list_reservations(
        self, station_id: str | None = None, active: bool | None = None, limit: int = 100
    ) -> list[ReservationView]:
        check_int(limit, limits.PAGE_LIMIT, "limit")
        now = self._clock.now()
        return [
            reservation_view(r, now)
            for r in await self._store.list_reservations(station_id, active, limit, now)
        ]

    async def raw_call(
        self,
        station_id: str,
        action: str,
        payload: JsonObject,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """Send any CSMS-initiated action of the station's version, schema-checked first."""
        check_encodable(payload, "payload")
        version = await self._connected_version(station_id)
        if action not in CSMS_ACTIONS[version]:
            raise Invalid(
                f"{action} is not a CSMS-initiated OCPP {version.short} action", field="action"
            )
        record = await self._send(station_id, action, payload, version=version, origin=origin)
        if wait:
            record = await self._calls.wait(record.call_id, wait)
        return call_view(record)

    async def reset(
        self,
        station_id: str,
        kind: ResetKind = "Soft",
        evse_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        if kind not in RESET_16:
            raise Invalid("must be Soft, Hard, OnIdle or Immediate", field="type")
        evse_id = check_opt_int(evse_id, limits.EVSE_ID, "evseId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "Reset", {"type": RESET_16[kind]}
            req: JsonObject = {"type": RESET_201[kind]}
            if evse_id:
                req["evseId"] = evse_id
            return "Reset", req

        return await self._command(station_id, build, wait, origin)

    async def remote_start(
        self,
        station_id: str,
        id_token: str,
        evse_id: int | None = None,
        token_type: str = "Central",  # an IdTokenType, not a secret
        remote_start_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 RemoteStartTransaction (``evse_id`` = connectorId) / 2.0.1
        RequestStartTransaction (``remote_start_id`` generated when not given)."""
        check_length(id_token, limits.ID_TOKEN, "idToken")
        evse_id = check_opt_int(evse_id, limits.EVSE_ID, "evseId")
        remote_start_id = check_opt_int(remote_start_id, limits.REQUEST_ID, "remoteStartId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                req: JsonObject = {"idTag": id_token}
                if evse_id:
                    req["connectorId"] = evse_id
                return "RemoteStartTransaction", req
            req = {
                "idToken": {"idToken": id_token, "type": token_type},
                "remoteStartId": (
                    remote_start_id if remote_start_id is not None else new_request_id()
                ),
            }
            if evse_id:
                req["evseId"] = evse_id
            return "RequestStartTransaction", req

        return await self._command(station_id, build, wait, origin)

    async def remote_stop(
        self,
        station_id: str,
        transaction_id: str,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 RemoteStopTransaction (the id is an integer there) / 2.0.1
        RequestStopTransaction."""
        check_length(transaction_id, limits.TRANSACTION_ID_TEXT, "transactionId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                number = check_int_text(transaction_id, limits.TRANSACTION_ID_16, "transactionId")
                return "RemoteStopTransaction", {"transactionId": number}
            return "RequestStopTransaction", {"transactionId": transaction_id}

        return await self._command(station_id, build, wait, origin)

    async def change_availability(
        self,
        station_id: str,
        operative: bool,
        evse_id: int = 0,
        connector_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """``evse_id`` 0 = the whole station. For 1.6, ``evse_id`` is the connectorId."""
        evse_id = check_int(evse_id, limits.EVSE_ID, "evseId")
        connector_id = check_opt_int(connector_id, limits.EVSE_ID, "connectorId")
        status = "Operative" if operative else "Inoperative"

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "ChangeAvailability", {"connectorId": evse_id, "type": status}
            req: JsonObject = {"operationalStatus": status}
            if evse_id:
                evse: JsonObject = {"id": evse_id}
                if connector_id:
                    evse["connectorId"] = connector_id
                req["evse"] = evse
            return "ChangeAvailability", req

        return await self._command(station_id, build, wait, origin)

    async def unlock_connector(
        self,
        station_id: str,
        evse_id: int,
        connector_id: int = 1,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 takes the connector as ``evse_id``; 2.0.1 takes both."""
        evse_id = check_int(evse_id, limits.CONNECTOR_ID, "evseId")
        connector_id = check_int(connector_id, limits.CONNECTOR_ID, "connectorId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "UnlockConnector", {"connectorId": evse_id}
            return "UnlockConnector", {"evseId": evse_id, "connectorId": connector_id}

        return await self._command(station_id, build, wait, origin)

    async def get_configuration(
        self,
        station_id: str,
        keys: Sequence[str] = (),
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 GetConfiguration (no keys = all); 2.0.1 GetVariables with keys written
        ``Component[.instance]/Variable[.instance]`` or ``Component.Variable``."""
        for i, key in enumerate(keys):
            check_length(key, limits.CONFIGURATION_KEY, f"keys/{i}")

        version = await self._connected_version(station_id)
        if version is OcppVersion.V16:
            request = {"key": list(keys)} if keys else {}
            return await self._command(
                station_id, lambda v: ("GetConfiguration", request), wait, origin
            )
        if not keys:
            raise Invalid(
                "OCPP 2.0.1 needs at least one Component.Variable (or use get_report)",
                field="keys",
            )
        data = [{"component": c, "variable": var} for c, var in map(parse_variable_key, keys)]
        return await self._command_in_parts(
            station_id, "GetVariables", "getVariableData", "getVariableResult", data, wait, origin
        )

    async def set_configuration(
        self,
        station_id: str,
        values: Mapping[str, str],
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 ChangeConfiguration (one key per call, as 1.6 allows); 2.0.1 SetVariables."""
        if not values:
            raise Invalid("give at least one key and value", field="values")
        for key, value in values.items():
            check_length(key, limits.CONFIGURATION_KEY, "values")
            check_length(value, limits.CONFIGURATION_VALUE, f"values/{key}")

        version = await self._connected_version(station_id)
        if version is OcppVersion.V16:
            if len(values) != 1:
                raise Invalid("OCPP 1.6 ChangeConfiguration sets one key per call", field="values")
            ((key, value),) = values.items()
            change = {"key": key, "value": value}
            return await self._command(
                station_id, lambda v: ("ChangeConfiguration", change), wait, origin
            )
        data = []
        for key, value in values.items():
            component, variable = parse_variable_key(key)
            data.append({"component": component, "variable": variable, "attributeValue": value})
        return await self._command_in_parts(
            station_id, "SetVariables", "setVariableData", "setVariableResult", data, wait, origin
        )

    async def update_firmware(
        self,
        station_id: str,
        location: str,
        retrieve_at: datetime | None = None,
        signing_certificate: str | None = None,
        signature: str | None = None,
        retries: int | None = None,
        retry_interval: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """1.6 UpdateFirmware, or SignedUpdateFirmware (security whitepaper) when a signing
        certificate and signature are given; 2.0.1 UpdateFirmware. Progress arrives as
        (Signed)FirmwareStatusNotification station events."""
        check_url(location, "location")
        check_aware(retrieve_at, "retrieveAt")
        if (signing_certificate is None) != (signature is None):
            raise Invalid("give both the signing certificate and the signature, or neither",
                          field="signature")  # fmt: skip
        retries = check_opt_int(retries, limits.FIRMWARE_RETRIES, "retries")
        retry_interval = check_opt_int(
            retry_interval, limits.FIRMWARE_RETRY_INTERVAL, "retryInterval"
        )
        when = iso(retrieve_at or self._clock.now())
        request_id = new_request_id()
        extra: JsonObject = {}
        if retries is not None:
            extra["retries"] = retries
        if retry_interval is not None:
            extra["retryInterval"] = retry_interval

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16 and signature is None:
                return "UpdateFirmware", {"location": location, "retrieveDate": when, **extra}
            firmware: JsonObject = {"location": location, "retrieveDateTime": when}
            if signature is not None:
                firmware["signingCertificate"] = signing_certificate
                firmware["signature"] = signature
            action = "SignedUpdateFirmware" if v is OcppVersion.V16 else "UpdateFirmware"
            return action, {"requestId": request_id, "firmware": firmware, **extra}

        return await self._command(station_id, build, wait, origin)

    async def get_log(
        self,
        station_id: str,
        location: str,
        log_type: str = "DiagnosticsLog",
        oldest: datetime | None = None,
        latest: datetime | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """Ask the station to upload a log to ``location``: 1.6 GetDiagnostics (core profile)
        for the diagnostics log, GetLog (security whitepaper) for the security log; 2.0.1
        GetLog. Progress arrives as Diagnostics/LogStatusNotification station events."""
        check_url(location, "location")
        if log_type not in ("DiagnosticsLog", "SecurityLog"):
            raise Invalid("must be DiagnosticsLog or SecurityLog", field="logType")
        check_aware(oldest, "oldest")
        check_aware(latest, "latest")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16 and log_type == "DiagnosticsLog":
                req: JsonObject = {"location": location}
                if oldest is not None:
                    req["startTime"] = iso(oldest)
                if latest is not None:
                    req["stopTime"] = iso(latest)
                return "GetDiagnostics", req
            log: JsonObject = {"remoteLocation": location}
            if oldest is not None:
                log["oldestTimestamp"] = iso(oldest)
            if latest is not None:
                log["latestTimestamp"] = iso(latest)
            return "GetLog", {
                "logType": log_type,
                "requestId": new_request_id(),
                "log": log,
            }

        return await self._command(station_id, build, wait, origin)

    # -- smart charging ------------------------------------------------------------------------

    async def set_charging_profile(
        self,
        station_id: str,
        evse_id: int,
        profile: JsonObject,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """SetChargingProfile with a profile in the station's version's shape (1.6
        csChargingProfiles / 2.0.1 ChargingProfileType); schema-checked before it is sent."""
        evse_id = check_int(evse_id, limits.EVSE_ID, "evseId")
        check_encodable(profile, "profile")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "SetChargingProfile", {"connectorId": evse_id, "csChargingProfiles": profile}
            return "SetChargingProfile", {"evseId": evse_id, "chargingProfile": profile}

        return await self._command(station_id, build, wait, origin)

    async def set_charging_limit(
        self,
        station_id: str,
        evse_id: int,
        limit: float,
        unit: str = "W",
        duration: int | None = None,
        stack_level: int = 0,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """A one-period Absolute profile from now: TxDefaultProfile on an EVSE/connector, the
        station-wide maximum on 0 (1.6 ChargePointMaxProfile / 2.0.1 ChargingStationMaxProfile)."""
        if unit not in ("W", "A"):
            raise Invalid("must be W or A", field="unit")
        evse_id = check_int(evse_id, limits.EVSE_ID, "evseId")
        limit = check_number(limit, limits.CHARGING_LIMIT, "limit")
        duration = check_opt_int(duration, limits.DURATION_SECONDS, "duration")
        stack_level = check_int(stack_level, limits.STACK_LEVEL, "stackLevel")
        start = iso(self._clock.now())
        profile_id = new_request_id()
        schedule: JsonObject = {
            "startSchedule": start,
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        }
        if duration is not None:
            schedule["duration"] = duration
        version = await self._connected_version(station_id)
        if version is OcppVersion.V16:
            profile: JsonObject = {
                "chargingProfileId": profile_id,
                "stackLevel": stack_level,
                "chargingProfilePurpose": "ChargePointMaxProfile" if evse_id == 0
                else "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": schedule,
            }  # fmt: skip
        else:
            profile = {
                "id": profile_id,
                "stackLevel": stack_level,
                "chargingProfilePurpose": "ChargingStationMaxProfile" if evse_id == 0
                else "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": [{"id": 1, **schedule}],
            }  # fmt: skip
        return await self.set_charging_profile(station_id, evse_id, profile, wait, origin)

    async def clear_charging_profile(
        self,
        station_id: str,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """ClearChargingProfile: by id, or every profile matching the criteria (none: all)."""
        profile_id = check_opt_int(profile_id, limits.PROFILE_ID, "id")
        evse_id = check_opt_int(evse_id, limits.EVSE_ID, "evseId")
        stack_level = check_opt_int(stack_level, limits.STACK_LEVEL, "stackLevel")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            req: JsonObject = {}
            if v is OcppVersion.V16:
                for key, value in (
                    ("id", profile_id),
                    ("connectorId", evse_id),
                    ("chargingProfilePurpose", purpose),
                    ("stackLevel", stack_level),
                ):
                    if value is not None:
                        req[key] = value
                return "ClearChargingProfile", req
            if profile_id is not None:
                req["chargingProfileId"] = profile_id
            criteria: JsonObject = {}
            for key, value in (
                ("evseId", evse_id),
                ("chargingProfilePurpose", purpose),
                ("stackLevel", stack_level),
            ):
                if value is not None:
                    criteria[key] = value
            if criteria:
                req["chargingProfileCriteria"] = criteria
            return "ClearChargingProfile", req

        return await self._command(station_id, build, wait, origin)

    async def get_composite_schedule(
        self,
        station_id: str,
        evse_id: int,
        duration: int,
        unit: str | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        evse_id = check_int(evse_id, limits.EVSE_ID, "evseId")
        duration = check_int(duration, limits.DURATION_SECONDS, "duration")
        if unit is not None and unit not in ("W", "A"):
            raise Invalid("must be W or A", field="unit")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            key = "connectorId" if v is OcppVersion.V16 else "evseId"
            req: JsonObject = {key: evse_id, "duration": duration}
            if unit is not None:
                req["chargingRateUnit"] = unit
            return "GetCompositeSchedule", req

        return await self._command(station_id, build, wait, origin)

    # -- display messages (2.0.1) ---------------------------------------------------------------

    async def _command_201(
        self,
        station_id: str,
        what: str,
        action: str,
        request: JsonObject,
        wait: float | None,
        origin: str,
    ) -> CallView:
        """A 2.0.1-only command: 409 naming ``what`` 1.6 lacks, nothing sent."""

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                raise Conflict(f"OCPP 1.6 has no {what}", field="csId")
            return action, request

        return await self._command(station_id, build, wait, origin)

    async def set_display_message(
        self,
        station_id: str,
        text: str,
        priority: str = "NormalCycle",
        minutes: int | None = None,
        message_id: int | None = None,
        language: str | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 SetDisplayMessage (UTF-8 text, shown from now, for ``minutes`` if given)."""
        check_length(text, limits.DISPLAY_TEXT, "text")
        if priority not in ("AlwaysFront", "InFront", "NormalCycle"):
            raise Invalid("must be AlwaysFront, InFront or NormalCycle", field="priority")
        # Bounded before ``now + timedelta(minutes=…)`` below can overflow.
        minutes = check_opt_int(minutes, limits.MINUTES, "minutes")
        message_id = check_opt_int(message_id, limits.REQUEST_ID, "id")
        if language is not None:
            check_length(language, limits.LANGUAGE, "language")
        content: JsonObject = {"format": "UTF8", "content": text}
        if language:
            content["language"] = language
        now = self._clock.now()
        message: JsonObject = {
            "id": message_id if message_id is not None else new_request_id(),
            "priority": priority,
            "message": content,
            "startDateTime": iso(now),
        }
        if minutes is not None:
            message["endDateTime"] = iso(now + timedelta(minutes=minutes))
        return await self._command_201(
            station_id, "display messages", "SetDisplayMessage", {"message": message}, wait, origin
        )

    async def clear_display_message(
        self, station_id: str, message_id: int, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        message_id = check_int(message_id, limits.REQUEST_ID, "id")
        return await self._command_201(
            station_id, "display messages", "ClearDisplayMessage", {"id": message_id}, wait, origin
        )

    async def get_display_messages(
        self, station_id: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        """2.0.1 GetDisplayMessages; the messages arrive as NotifyDisplayMessages events."""
        request = {"requestId": new_request_id()}
        return await self._command_201(
            station_id, "display messages", "GetDisplayMessages", request, wait, origin
        )

    # -- transaction status, customer information (2.0.1) ---------------------------------------

    async def get_transaction_status(
        self,
        station_id: str,
        transaction_id: str | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 GetTransactionStatus: is the transaction (or any) still queued or ongoing?"""
        if transaction_id is not None:
            check_length(transaction_id, limits.TRANSACTION_ID_TEXT, "transactionId")
        request: JsonObject = {} if transaction_id is None else {"transactionId": transaction_id}
        return await self._command_201(
            station_id, "GetTransactionStatus", "GetTransactionStatus", request, wait, origin
        )

    async def customer_information(
        self,
        station_id: str,
        report: bool,
        clear: bool,
        customer_identifier: str | None = None,
        id_token: str | None = None,
        token_type: str = "ISO14443",  # an IdTokenType, not a secret
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 CustomerInformation about one customer (an identifier or an id token): report
        it (arrives as NotifyCustomerInformation events) and/or clear it on the station."""
        if not (report or clear):
            raise Invalid("ask for a report, a clear or both", field="report")
        if (customer_identifier is None) == (id_token is None):
            raise Invalid("name the customer by customerIdentifier or by idToken", field="idToken")
        if customer_identifier is not None:
            check_length(customer_identifier, limits.CUSTOMER_IDENTIFIER, "customerIdentifier")
        if id_token is not None:
            check_length(id_token, limits.ID_TOKEN, "idToken")
        request: JsonObject = {
            "requestId": new_request_id(),
            "report": report,
            "clear": clear,
        }
        if customer_identifier is not None:
            request["customerIdentifier"] = customer_identifier
        else:
            request["idToken"] = {"idToken": id_token, "type": token_type}
        return await self._command_201(
            station_id, "CustomerInformation", "CustomerInformation", request, wait, origin
        )

    # -- variable monitoring (2.0.1) ------------------------------------------------------------

    async def set_variable_monitor(
        self,
        station_id: str,
        component: str,
        variable: str,
        kind: str,
        value: float,
        severity: int = 8,
        evse_id: int | None = None,
        monitor_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 SetVariableMonitoring of one variable; the station's NotifyEvent reports
        become its events. ``monitor_id`` replaces that monitor."""
        if kind not in MONITOR_KINDS:
            raise Invalid(f"must be one of {', '.join(MONITOR_KINDS)}", field="type")
        check_length(component, limits.COMPONENT_NAME, "component")
        check_length(variable, limits.COMPONENT_NAME, "variable")
        value = check_number(value, limits.MONITOR_VALUE, "value")
        severity = check_int(severity, limits.SEVERITY, "severity")
        evse_id = check_opt_int(evse_id, limits.EVSE_ID, "evseId")
        monitor_id = check_opt_int(monitor_id, limits.REQUEST_ID, "id")
        target: JsonObject = {"name": component}
        if evse_id is not None:
            target["evse"] = {"id": evse_id}
        monitor: JsonObject = {
            "value": value,
            "type": kind,
            "severity": severity,
            "component": target,
            "variable": {"name": variable},
        }
        if monitor_id is not None:
            monitor["id"] = monitor_id
        request = {"setMonitoringData": [monitor]}
        return await self._command_201(
            station_id, "variable monitoring", "SetVariableMonitoring", request, wait, origin
        )

    async def clear_variable_monitors(
        self, station_id: str, ids: Sequence[int], wait: float | None = None, origin: str = "api"
    ) -> CallView:
        if not ids:
            raise Invalid("name at least one monitor id", field="ids")
        if len(ids) > limits.MONITOR_IDS:
            raise Invalid(f"name at most {limits.MONITOR_IDS} monitor ids", field="ids")
        request = {"id": [check_int(i, limits.REQUEST_ID, f"ids/{n}") for n, i in enumerate(ids)]}
        return await self._command_201(
            station_id, "variable monitoring", "ClearVariableMonitoring", request, wait, origin
        )

    async def set_monitoring_base(
        self, station_id: str, base: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        if base not in ("All", "FactoryDefault", "HardWiredOnly"):
            raise Invalid("must be All, FactoryDefault or HardWiredOnly", field="base")
        request = {"monitoringBase": base}
        return await self._command_201(
            station_id, "variable monitoring", "SetMonitoringBase", request, wait, origin
        )

    async def set_monitoring_level(
        self, station_id: str, severity: int, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        """Only events of ``severity`` or more urgent (lower) are reported."""
        severity = check_int(severity, limits.SEVERITY, "severity")
        request = {"severity": severity}
        return await self._command_201(
            station_id, "variable monitoring", "SetMonitoringLevel", request, wait, origin
        )

    async def get_monitoring_report(
        self, station_id: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        """GetMonitoringReport; the monitors arrive as NotifyMonitoringReport events."""
        request = {"requestId": new_request_id()}
        return await self._command_201(
            station_id, "variable monitoring", "GetMonitoringReport", request, wait, origin
        )

    async def get_local_list_version(
        self, station_id: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        return await self._command(station_id, lambda v: ("GetLocalListVersion", {}), wait, origin)

    async def send_local_list(
        self,
        station_id: str,
        update_type: str = "Full",
        uids: Sequence[str] | None = None,
        remove: Sequence[str] = (),
        version: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """SendLocalList built from our tokens (status, expiry, group as authorisation gives
        them). Full: ``uids`` or, when None, every token that may be cached (not whitelist
        NEVER); an empty list empties the station's list. Differential: ``uids`` updated,
        ``remove`` deleted. Without ``version``, the station's version + 1
        (GetLocalListVersion first)."""
        if update_type not in ("Full", "Differential"):
            raise Invalid("must be Full or Differential", field="updateType")
        if update_type == "Full" and remove:
            raise Invalid("a Full list replaces everything: nothing to remove", field="remove")
        version = check_opt_int(version, limits.LIST_VERSION, "version")
        for name, given in (("tokens", uids or ()), ("remove", remove)):
            if len(given) > limits.LOCAL_LIST_TOKENS:
                raise Invalid(f"name at most {limits.LOCAL_LIST_TOKENS} tokens", field=name)
        station_version = await self._connected_version(station_id)
        if update_type == "Differential" and not uids and not remove:
            raise Invalid("name the tokens to update or remove", field="tokens")
        tokens = await self._local_list_tokens(uids if update_type == "Full" else uids or [])
        if version is None:
            version = await self._next_list_version(station_id, origin)
        now = self._clock.now()
        v16 = station_version is OcppVersion.V16
        entries: list[JsonObject] = []
        for token in tokens:
            if v16 and len(token.uid) > 20 and uids is None:
                continue  # a 1.6 idTag holds at most 20 characters: such a token cannot be listed
            if v16:
                entries.append({"idTag": token.uid, "idTagInfo": id_tag_info(token, now)})
            else:
                entries.append(
                    {
                        "idToken": {"idToken": token.uid, "type": ocpp201_token_type(token.type)},
                        "idTokenInfo": id_token_info(token, now),
                    }
                )
        for uid in remove:
            entries.append(
                {"idTag": uid} if v16 else {"idToken": {"idToken": uid, "type": "ISO14443"}}
            )
        request: JsonObject = (
            {"listVersion": version, "updateType": update_type}
            if v16
            else {"versionNumber": version, "updateType": update_type}
        )
        if entries:
            request["localAuthorizationList"] = entries
        return await self._command(station_id, lambda v: ("SendLocalList", request), wait, origin)

    async def _local_list_tokens(self, uids: Sequence[str] | None) -> list[Token]:
        """The named tokens, or (None) every token that may be cached."""
        if uids is None:
            found: list[Token] = []
            offset = 0
            while offset < 100_000:
                page = await self._store.list_tokens(offset, 100)
                found += [t for t in page if t.cache_mode is not CacheMode.NEVER]
                if len(page) < 100:
                    break
                offset += len(page)
            return found
        tokens: list[Token] = []
        for i, uid in enumerate(uids):
            token = await self._store.lookup_token(uid)
            if token is None:
                raise Invalid(f"unknown token {uid}", field=f"tokens/{i}")
            tokens.append(token)
        return tokens

    async def _next_list_version(self, station_id: str, origin: str) -> int:
        """The station's list version + 1; 1 when it has none, does not say, cannot, or is at
        the end of the 32-bit range."""
        record = await self.get_local_list_version(station_id, wait=10, origin=origin)
        response = record.response or {}
        current = response.get("listVersion", response.get("versionNumber"))
        if isinstance(current, int) and 0 <= current < limits.LIST_VERSION.hi:
            return current + 1
        return 1

    async def clear_cache(
        self, station_id: str, wait: float | None = None, origin: str = "api"
    ) -> CallView:
        return await self._command(station_id, lambda v: ("ClearCache", {}), wait, origin)

    async def trigger_message(
        self,
        station_id: str,
        message: str,
        evse_id: int | None = None,
        connector_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """An immediate TriggerMessage (the seed's stored trigger is :meth:`set_trigger`)."""
        evse_id = check_opt_int(evse_id, limits.EVSE_ID, "evseId")
        connector_id = check_opt_int(connector_id, limits.EVSE_ID, "connectorId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            allowed = TRIGGER_MESSAGES_16 if v is OcppVersion.V16 else TRIGGER_MESSAGES_201
            if message not in allowed:
                raise Invalid(
                    f"OCPP {v.short} can trigger {', '.join(sorted(allowed))}",
                    field="requestedMessage",
                )
            req: JsonObject = {"requestedMessage": message}
            if v is OcppVersion.V16:
                if evse_id:
                    req["connectorId"] = evse_id
            elif evse_id:
                evse: JsonObject = {"id": evse_id}
                if connector_id:
                    evse["connectorId"] = connector_id
                req["evse"] = evse
            return "TriggerMessage", req

        return await self._command(station_id, build, wait, origin)

    async def data_transfer(
        self,
        station_id: str,
        vendor_id: str,
        message_id: str | None = None,
        data: Any = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        check_length(vendor_id, limits.VENDOR_ID, "vendorId")
        if message_id is not None:
            check_length(message_id, limits.MESSAGE_ID, "messageId")
        check_encodable(data, "data")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            req: JsonObject = {"vendorId": vendor_id}
            if message_id:
                req["messageId"] = message_id
            if data is not None:
                # 1.6 ``data`` is a string; 2.0.1 takes any JSON.
                if v is OcppVersion.V16 and not isinstance(data, str):
                    raise Invalid("OCPP 1.6 DataTransfer data is a string", field="data")
                req["data"] = data
            return "DataTransfer", req

        return await self._command(station_id, build, wait, origin)

    async def get_report(
        self,
        station_id: str,
        report_base: str = "FullInventory",
        request_id: int | None = None,
        wait: float | None = None,
        origin: str = "api",
    ) -> CallView:
        """2.0.1 GetBaseReport (the station answers with NotifyReport, stored as its device
        model); 1.6 has no reports, so the full GetConfiguration stands in."""
        if report_base not in REPORT_BASES:
            raise Invalid(f"must be one of {', '.join(REPORT_BASES)}", field="reportBase")
        request_id = check_opt_int(request_id, limits.REQUEST_ID, "requestId")

        def build(v: OcppVersion) -> tuple[str, JsonObject]:
            if v is OcppVersion.V16:
                return "GetConfiguration", {}
            rid = request_id if request_id is not None else new_request_id()
            return "GetBaseReport", {"requestId": rid, "reportBase": report_base}

        return await self._command(station_id, build, wait, origin)

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
