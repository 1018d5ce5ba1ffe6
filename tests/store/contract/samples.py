"""Sample data for the store contract suite."""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.store.models import (
    MeterValue,
    Reservation,
    ReservationStatus,
    SampledValue,
    SecurityProfile,
    StationAuth,
    UnitOfMeasure,
)

AUTH = StationAuth(SecurityProfile.BASIC, "a" * 43 + "=", False)


def self_signed_pem(common_name: str, now: datetime) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def reading(at: datetime, wh: float, context: str = "Sample.Periodic") -> MeterValue:
    return MeterValue(
        at,
        [
            SampledValue(
                wh,
                context=context,
                measurand="Energy.Active.Import.Register",
                unit_of_measure=UnitOfMeasure("Wh", 0),
            )
        ],
    )


def reservation(
    station_id: str,
    now: datetime,
    hours: float = 1,
    status: ReservationStatus = ReservationStatus.REQUESTED,
    external_id: str | None = None,
) -> Reservation:
    return Reservation(
        station_id=station_id,
        evse_id=1,
        id_token="TOK",
        token_type="ISO14443",
        expires_at=now + timedelta(hours=hours),
        status=status,
        created_at=now,
        updated_at=now,
        group_id="G",
        external_id=external_id,
    )
