"""Station registration and the credentials the gateway checks: register (MaEVe's way and
ours, with a password or a client certificate from the local CA), delete, hold boots and
change the enforced security profile. Nothing here talks to the station."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding

from core import limits
from core.application.certificate_store import CertificateStore
from core.application.errors import Conflict, Invalid, NotFound
from core.application.rules import (
    already_registered,
    check_length,
    check_password_hash,
    generate_password,
    parse_certificates,
    parse_security_profile,
    validate_station_id,
)
from core.application.views import StationAuthView, StationRegistration
from core.credentials import hash_password
from core.station_certificates import (
    NO_LOCAL_CA,
    CertificateRequestError,
    IssuedCertificate,
    issue_station_certificate,
)
from core.store.models import SecurityProfile, StationAuth


class StationAdmin(CertificateStore):
    """Registering and configuring stations in the store; a certificate issued at
    registration goes to the client certificate store too, hence the base."""

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
