"""Hubject Open Plug&Charge (OPCP) clients: contract certificates for Get15118EVCertificate and
V2G charge-station certificates for SignCertificate, plus the ``delegating`` provider that sends
V2G requests to one provider and CSO requests to another."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from core.services.http_auth import HttpAuthError, TokenSource, auth_headers
from core.services.protocols import CertificateValidationError, ChargeStationCertificateProvider
from core.services.x509_checks import load_csr

log = logging.getLogger(__name__)

ISO15118_2_NAMESPACE = "urn:iso:15118:2:2013:MsgDef"
_TIMEOUT = aiohttp.ClientTimeout(total=30)


class OpcpError(Exception):
    pass


async def _request(
    method: str,
    url: str,
    auth: TokenSource,
    attempts: int,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> bytes:
    """One call with retries; a retry refreshes the token (the usual cause of a 401)."""
    last = "no attempt"
    for attempt in range(attempts):
        try:
            all_headers = {**(headers or {}), **await auth_headers(auth, attempt > 0)}
        except HttpAuthError as exc:
            last = str(exc)
            continue
        try:
            async with (
                aiohttp.ClientSession(timeout=_TIMEOUT) as http,
                http.request(method, url, headers=all_headers, **kwargs) as resp,
            ):
                body = await resp.read()
                if resp.status == 200:
                    return body
                last = f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            last = str(exc) or type(exc).__name__
        log.warning("OPCP %s %s failed (attempt %d): %s", method, url, attempt + 1, last)
    raise OpcpError(f"{method} {url}: {last}")


class OpcpContractProvider:
    """Implements :class:`core.services.protocols.ContractCertificateProvider`."""

    def __init__(self, url: str, auth: TokenSource, attempts: int = 3) -> None:
        self.url, self.auth, self.attempts = url.rstrip("/"), auth, attempts

    async def provide(self, exi_request: str, schema_version: str, action: str) -> tuple[str, str]:
        body = {
            "certificateInstallationReq": exi_request,
            "xsdMsgDefNamespace": schema_version or ISO15118_2_NAMESPACE,
        }
        try:
            raw = await _request(
                "POST",
                f"{self.url}/v1/ccp/signedContractData",
                self.auth,
                self.attempts,
                json=body,
                headers={"Content-Type": "application/json"},
            )
            exi = _exi_response(raw)
        except OpcpError as exc:
            log.warning("no contract certificate from OPCP (%s): %s", action, exc)
            return "Failed", ""
        return "Accepted", exi


def _exi_response(raw: bytes) -> str:
    try:
        data = json.loads(raw)
        message = data["CCPResponse"]["emaidContent"][0]["messageDef"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise OpcpError(f"unreadable signedContractData answer: {exc}") from exc
    if not message.get("emaid"):
        raise OpcpError("signedContractData answer has no eMAID")
    exi = message.get("certificateInstallationRes")
    if not isinstance(exi, str) or not exi:
        raise OpcpError("signedContractData answer has no certificateInstallationRes")
    return exi


def _pkcs7_certificates(raw: bytes) -> list[x509.Certificate]:
    try:
        return pkcs7.load_der_pkcs7_certificates(base64.b64decode(raw))
    except (ValueError, binascii.Error) as exc:
        raise OpcpError(f"not a base64 PKCS#7 certificate set: {exc}") from exc


class OpcpStationCertProvider:
    """V2G only: EST ``simpleenroll`` for the leaf, ``cacerts`` for the issuers; the answer is
    the leaf then its issuers up to, not including, the self-signed root (the station already
    holds the V2G root)."""

    def __init__(self, url: str, auth: TokenSource, attempts: int = 2) -> None:
        self.url, self.auth, self.attempts = url.rstrip("/"), auth, attempts

    async def sign(
        self, csr_pem: str, certificate_type: str, station_id: str, *, supply_o: str = ""
    ) -> str:
        if certificate_type != "V2GCertificate":
            raise CertificateValidationError("other", "OPCP signs only V2G certificates")
        csr = load_csr(csr_pem)  # a forged request is refused here, not sent on
        try:
            leaf_raw = await _request(
                "POST",
                f"{self.url}/cpo/simpleenroll/ISO15118-2",
                self.auth,
                self.attempts,
                data=base64.b64encode(csr.public_bytes(Encoding.DER)),
                headers={"Content-Type": "application/pkcs10"},
            )
            leaf = _pkcs7_certificates(leaf_raw)[0]
            cas = _pkcs7_certificates(
                await _request(
                    "GET", f"{self.url}/cpo/cacerts/ISO15118-2", self.auth, self.attempts
                )
            )
        except (OpcpError, IndexError) as exc:
            raise CertificateValidationError("other", f"OPCP enrolment failed: {exc}") from exc
        return "".join(c.public_bytes(Encoding.PEM).decode() for c in _chain(leaf, cas))


def _chain(leaf: x509.Certificate, cas: list[x509.Certificate]) -> list[x509.Certificate]:
    chain = [leaf]
    by_subject = {c.subject: c for c in cas}
    current = leaf
    while current.issuer in by_subject:
        issuer = by_subject[current.issuer]
        if issuer.issuer == issuer.subject or issuer in chain:  # stop before the root
            break
        chain.append(issuer)
        current = issuer
    return chain


class DelegatingStationCertProvider:
    """V2G requests to one provider, CSO (ChargingStationCertificate) requests to another."""

    def __init__(
        self, v2g: ChargeStationCertificateProvider, cso: ChargeStationCertificateProvider
    ) -> None:
        self.v2g, self.cso = v2g, cso

    async def sign(
        self, csr_pem: str, certificate_type: str, station_id: str, *, supply_o: str = ""
    ) -> str:
        provider = self.v2g if certificate_type == "V2GCertificate" else self.cso
        return await provider.sign(csr_pem, certificate_type, station_id, supply_o=supply_o)
