"""Has2Be's ISO 15118 dialect through the 1.6 DataTransfer tunnel (vendorId ``iso15118``)."""

from __future__ import annotations

import base64

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.handlers.has2be.routes import routes as has2be_routes
from core.handlers.has2be.sign_certificate import as_pem_csr
from core.ocpp.types import JsonObject, OcppVersion
from core.schemas import Direction, SchemaSet, has_schema
from tests.unit.handlers.conftest import Env

V16 = OcppVersion.V16


async def tunnel(env: Env, message_id: str, inner: dict[str, object]) -> dict[str, object]:
    reply = await env.ok(
        V16,
        "DataTransfer",
        {"vendorId": "iso15118", "messageId": message_id, "data": orjson.dumps(inner).decode()},
    )
    assert reply["status"] == "Accepted", reply
    data = orjson.loads(reply["data"])
    assert isinstance(data, dict)
    return data


async def _never_called(station_id: str, payload: JsonObject) -> JsonObject:
    raise AssertionError("the routing table is read here for its names only")


def test_every_has2be_message_has_both_schemas() -> None:
    v201 = ("Authorize", "GetCertificateStatus", "SignCertificate", "Get15118EVCertificate")
    actions = [
        *has2be_routes(dict.fromkeys(v201, _never_called)),
        "CertificateSigned",
        "InstallCertificate",
        "DeleteCertificate",
        "GetInstalledCertificateIds",
        "TriggerMessage",
    ]
    for action in actions:
        for direction in Direction:
            assert has_schema(SchemaSet.HAS2BE, action, direction), (action, direction)


async def test_authorize_accepted_and_unknown_tokens_never_crash(env: Env) -> None:
    await env.token("EMP77TWTW99999")
    assert await tunnel(
        env, "Authorize", {"idToken": {"idToken": "EMP77TWTW99999", "type": "eMAID"}}
    ) == {"idTokenInfo": {"status": "Accepted"}}
    assert await tunnel(env, "Authorize", {"idToken": {"idToken": "NOBODY", "type": "eMAID"}}) == {
        "idTokenInfo": {"status": "Unknown"}
    }


async def test_authorize_with_hash_data_maps_certificate_status(env: Env) -> None:
    await env.token("EMP77TWTW99999")
    hash_data = [
        {
            "hashAlgorithm": "SHA256",
            "issuerNameHash": "aa",
            "issuerKeyHash": "bb",
            "serialNumber": "01",
        }
    ]
    reply = await tunnel(
        env,
        "Authorize",
        {
            "idToken": {"idToken": "EMP77TWTW99999", "type": "eMAID"},
            "15118CertificateHashData": hash_data,
        },
    )
    # no validator configured: the 2.0.1 outcome is SignatureError, which the dialect reports as revoked
    assert reply == {
        "idTokenInfo": {"status": "Blocked"},
        "certificateStatus": "CertificateRevoked",
    }


async def test_sign_certificate_accepts_bare_base64_der(env: Env) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CS1")]))
        .sign(key, hashes.SHA256())
    )
    der = base64.b64encode(csr.public_bytes(serialization.Encoding.DER)).decode()
    pem = as_pem_csr(der)
    assert x509.load_pem_x509_csr(pem.encode()).subject == csr.subject
    # the default provider refuses to sign: a clean Rejected, not an InternalError
    assert await tunnel(
        env, "SignCertificate", {"csr": der, "typeOfCertificate": "V2GCertificate"}
    ) == {"status": "Rejected"}


async def test_get_15118_ev_certificate_and_status(env: Env) -> None:
    assert await tunnel(
        env,
        "Get15118EVCertificate",
        {"15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef", "exiRequest": "AAAA"},
    ) == {"status": "Failed", "exiResponse": ""}
    hash_data = {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": "aa",
        "issuerKeyHash": "bb",
        "serialNumber": "01",
        "responderURL": "http://127.0.0.1:1",
    }
    assert await tunnel(env, "GetCertificateStatus", {"ocspRequestData": hash_data}) == {
        "status": "Failed"
    }
