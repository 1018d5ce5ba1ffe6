"""OCSP for ISO 15118 certificates: 2.0.1 GetCertificateStatus (also reached through the 1.6 PnC
and Has2Be tunnels). The station sends hash data (issuer name/key hashes, serial in hex, hash
algorithm, responder URL); the CSMS asks the responder and relays the DER response, base64.

Unlike the seed, a non-Good answer is a definite answer (Failed with no result), not a
transient error retried until the attempts run out."""

from __future__ import annotations

import base64
import logging
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

log = logging.getLogger(__name__)

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


def build_request(data: dict[str, Any]) -> bytes:
    """The DER OCSP request for one ``OCSPRequestDataType``. Raises ValueError when malformed."""
    algorithm = _HASHES.get(data.get("hashAlgorithm", "SHA256"))
    if algorithm is None:
        raise ValueError(f"unsupported hash algorithm {data.get('hashAlgorithm')!r}")
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            bytes.fromhex(data["issuerNameHash"]),
            bytes.fromhex(data["issuerKeyHash"]),
            int(data["serialNumber"], 16),
            algorithm(),
        )
        .build()
    )
    return request.public_bytes(serialization.Encoding.DER)


class OcspClient:
    """Implements :class:`core.services.protocols.OcspStatusService` over HTTP POST."""

    def __init__(self, max_attempts: int = 1, timeout: float = 10.0) -> None:
        self.max_attempts = max(1, max_attempts)
        self.timeout = timeout

    async def certificate_status(self, ocsp_request_data: dict[str, Any]) -> tuple[str, str | None]:
        url = ocsp_request_data.get("responderURL") or ""
        if not url:
            return "Failed", None
        try:
            body = build_request(ocsp_request_data)
        except (KeyError, ValueError) as exc:
            log.info("GetCertificateStatus with unusable hash data: %s", exc)
            return "Failed", None
        raw = await self._post(url, body)
        if raw is None:
            return "Failed", None
        try:
            response = ocsp.load_der_ocsp_response(raw)
        except ValueError:
            log.warning("OCSP responder %s sent something that is not an OCSP response", url)
            return "Failed", None
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return "Failed", None
        if response.certificate_status is not ocsp.OCSPCertStatus.GOOD:
            return "Failed", None
        return "Accepted", base64.b64encode(raw).decode()

    async def _post(self, url: str, body: bytes) -> bytes | None:
        headers = {
            "Content-Type": "application/ocsp-request",
            "Accept": "application/ocsp-response",
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with (
                    aiohttp.ClientSession(timeout=timeout) as http,
                    http.post(url, data=body, headers=headers) as resp,
                ):
                    if resp.status == 200:
                        return await resp.read()
                    log.warning(
                        "OCSP responder %s answered HTTP %d (attempt %d)", url, resp.status, attempt
                    )
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("OCSP responder %s unreachable (attempt %d): %s", url, attempt, exc)
        return None
