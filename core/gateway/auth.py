"""Who may open a websocket: the security profiles' checks.

MaEVe numbering (0 = basic auth on ws, 1 = TLS + basic auth, 2 = TLS + client certificate) plus
the explicit lab-only NO_AUTH profile. Comparisons are constant-time; how many failures are
allowed, and to whom, is core/gateway/guard.py."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from core.credentials import hash_password
from core.station_id import valid_station_id
from core.store.models import SecurityProfile, StationAuth

__all__ = ["valid_station_id"]  # the gateway's check is the one rule in core.station_id


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    ok: bool
    status: int = 200  # HTTP status when refused
    reason: str = ""
    certificate_cn: str | None = None


def check_basic(header: str | None, station_id: str, auth: StationAuth) -> AuthOutcome:
    if not header or not header.lower().startswith("basic "):
        return AuthOutcome(False, 401, "missing basic auth credentials")
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True)
        username, _, password = decoded.partition(b":")
    except ValueError:
        return AuthOutcome(False, 401, "malformed basic auth header")
    if not auth.password_hash:
        return AuthOutcome(False, 401, "station has no password set")
    user_ok = hmac.compare_digest(username, station_id.encode()) or auth.invalid_username_allowed
    pass_ok = hmac.compare_digest(hash_password(password).encode(), auth.password_hash.encode())
    if not (user_ok and pass_ok):
        return AuthOutcome(False, 401, "wrong username or password")
    return AuthOutcome(True)


def check_client_certificate(
    der: bytes | None, station_id: str, org_names: Sequence[str]
) -> AuthOutcome:
    """The TLS handshake already verified the chain against the trust store; here CN must be the
    station id (the seed skips this) and O one of the allowed organisation names."""
    if not der:
        return AuthOutcome(False, 401, "no client certificate")
    cert = x509.load_der_x509_certificate(der)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    cn = str(cns[0].value) if cns else ""
    if cn != station_id:
        return AuthOutcome(False, 401, f"certificate CN {cn!r} is not the station id")
    if not orgs or str(orgs[0].value) not in org_names:
        return AuthOutcome(False, 401, "certificate organisation is not allowed")
    return AuthOutcome(True, certificate_cn=cn)


def authenticate(
    auth: StationAuth,
    station_id: str,
    *,
    tls: bool,
    authorization: str | None,
    client_cert_der: bytes | None,
    org_names: Sequence[str],
) -> AuthOutcome:
    profile = auth.security_profile
    if profile is SecurityProfile.NO_AUTH:
        return AuthOutcome(True)
    if profile is SecurityProfile.BASIC:
        if tls:
            return AuthOutcome(False, 401, "security profile 0 expects plain ws")
        return check_basic(authorization, station_id, auth)
    if not tls:
        return AuthOutcome(False, 401, f"security profile {int(profile)} requires TLS")
    if profile is SecurityProfile.TLS_BASIC:
        return check_basic(authorization, station_id, auth)
    return check_client_certificate(client_cert_der, station_id, org_names)
