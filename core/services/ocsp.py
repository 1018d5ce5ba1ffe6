"""OCSP for ISO 15118 certificates.

- :class:`OcspClient`: 2.0.1 GetCertificateStatus (also reached through the 1.6 PnC and Has2Be
  tunnels). The station sends hash data (issuer name/key hashes, serial in hex, hash algorithm,
  responder URL); the CSMS asks the responder and relays the DER response, base64.
- :class:`OcspContractValidator`: Authorize with a contract certificate — a PEM chain (leaf CN
  must be the eMAID, chain verified to a trusted root, then OCSP for every certificate that names
  a responder, the response's signature checked against the issuer or its delegated responder)
  or OCSP hash data.

Unlike the seed, a non-Good answer is a definite answer (revoked / Failed), not a transient
error retried until the attempts run out, and a PEM chain's OCSP responses are verified."""

from __future__ import annotations

import base64
import itertools
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from core.clock import Clock, SystemClock
from core.services.protocols import CertificateValidationError
from core.services.root_certs import (
    RootCertificateError,
    RootCertificateProvider,
    StaticRoots,
    load_pem_certificates,
)
from core.services.x509_checks import is_ca, is_issued_by

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
        return await post_ocsp([url], body, self.max_attempts, self.timeout)


async def post_ocsp(
    urls: Sequence[str], body: bytes, max_attempts: int, timeout: float
) -> bytes | None:
    """POST a DER request; non-200 or unreachable → retry, rotating over ``urls``."""
    headers = {
        "Content-Type": "application/ocsp-request",
        "Accept": "application/ocsp-response",
    }
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    for attempt in range(max(1, max_attempts)):
        url = urls[attempt % len(urls)]
        try:
            async with (
                aiohttp.ClientSession(timeout=client_timeout) as http,
                http.post(url, data=body, headers=headers) as resp,
            ):
                if resp.status == 200:
                    return await resp.read()
                log.warning(
                    "OCSP responder %s answered HTTP %d (attempt %d)", url, resp.status, attempt + 1
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("OCSP responder %s unreachable (attempt %d): %s", url, attempt + 1, exc)
    return None


# ---------------------------------------------------------------------------------------------
# Contract certificates (Authorize)


def _fail(reason: str, message: str) -> CertificateValidationError:
    return CertificateValidationError(reason, message)


def _ocsp_urls(cert: x509.Certificate) -> list[str]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        str(d.access_location.value)
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def _verify_signature(signer: x509.Certificate, signature: bytes, data: bytes, algo: Any) -> bool:
    key = signer.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algo))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algo)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


def _is_ocsp_signer(cert: x509.Certificate) -> bool:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.OCSP_SIGNING in eku


def verify_ocsp_response(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    """Signed by the issuer itself, or by a responder certificate the issuer delegated OCSP
    signing to (RFC 6960 §4.2.2.2)."""
    signers = [issuer] + [
        c for c in response.certificates if is_issued_by(c, issuer) and _is_ocsp_signer(c)
    ]
    return any(
        _verify_signature(
            s, response.signature, response.tbs_response_bytes, response.signature_hash_algorithm
        )
        for s in signers
    )


class OcspContractValidator:
    """Implements :class:`core.services.protocols.ContractCertificateValidator`."""

    def __init__(
        self,
        roots: RootCertificateProvider,
        max_attempts: int = 1,
        timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        self.roots, self.max_attempts, self.timeout = roots, max(1, max_attempts), timeout
        self.clock: Clock = clock or SystemClock()

    async def validate_pem_chain(self, pem_chain: str, emaid: str) -> str | None:
        try:
            chain = load_pem_certificates(pem_chain, "certificate")
        except ValueError as exc:  # the seed's mapping: unreadable → SignatureError, not chain
            raise _fail("other", str(exc)) from exc
        leaf = chain[0]
        cns = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not cns or cns[0].value != emaid:
            raise _fail("chain", f"contract certificate CN is not the eMAID {emaid!r}")
        try:
            trusted = await self.roots.roots()
        except RootCertificateError as exc:
            raise _fail("other", f"trust roots unavailable: {exc}") from exc
        root = self._verify_chain(chain, trusted)
        return await self._check_chain_status(chain, root)

    def _verify_chain(
        self, chain: list[x509.Certificate], trusted: list[x509.Certificate]
    ) -> x509.Certificate:
        now = self.clock.now()
        for cert in chain:
            if cert.not_valid_after_utc < now:
                raise _fail("expired", f"certificate {cert.subject.rfc4514_string()} has expired")
            if cert.not_valid_before_utc > now:
                raise _fail("chain", f"certificate {cert.subject.rfc4514_string()} not yet valid")
        for child, parent in itertools.pairwise(chain):
            if not is_ca(parent) or not is_issued_by(child, parent):
                raise _fail("chain", f"{child.subject.rfc4514_string()} is not issued by the next")
        last = chain[-1]
        for root in trusted:
            if root == last or is_issued_by(last, root):
                if root.not_valid_after_utc < now:
                    raise _fail("expired", "the trusted root has expired")
                return root
        raise _fail("chain", "the chain does not lead to a trusted root")

    async def _check_chain_status(
        self, chain: list[x509.Certificate], root: x509.Certificate
    ) -> str | None:
        issuers = [*chain[1:], root]
        results: list[str] = []
        for cert, issuer in zip(chain, issuers, strict=True):
            if cert == issuer:  # the root itself was sent; nobody vouches for a root by OCSP
                continue
            urls = _ocsp_urls(cert)
            if urls:
                raw = await self._status(cert, issuer, urls)
                if raw is not None:
                    results.append(raw)
        if not results:
            raise _fail("chain", "no OCSP response available")
        return results[0]

    async def _status(
        self, cert: x509.Certificate, issuer: x509.Certificate, urls: list[str]
    ) -> str | None:
        body = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(cert, issuer, hashes.SHA256())
            .build()
            .public_bytes(serialization.Encoding.DER)
        )
        raw = await post_ocsp(urls, body, self.max_attempts, self.timeout)
        if raw is None:
            log.warning("no OCSP answer for %s", cert.subject.rfc4514_string())
            return None
        response = _load_response(raw)
        if not verify_ocsp_response(response, issuer):
            raise _fail("other", "the OCSP response is not signed by the issuer")
        if response.serial_number != cert.serial_number:
            raise _fail("other", "the OCSP response is about another certificate")
        _raise_unless_good(response)
        return base64.b64encode(raw).decode()

    async def validate_hashed(self, ocsp_request_data: Sequence[dict[str, Any]]) -> str | None:
        """Hash data carries no issuer certificate, so the response's signature cannot be
        checked here; the station checks it against the chain it holds."""
        first: str | None = None
        for data in ocsp_request_data:
            url = data.get("responderURL") or ""
            if not url:
                raise _fail("other", "OCSP request data without a responder URL")
            try:
                body = build_request(data)
            except (KeyError, ValueError) as exc:
                raise _fail("other", f"unusable OCSP request data: {exc}") from exc
            raw = await post_ocsp([url], body, self.max_attempts, self.timeout)
            if raw is None:
                raise _fail("other", f"OCSP responder {url} did not answer")
            _raise_unless_good(_load_response(raw))
            first = first or base64.b64encode(raw).decode()
        return first


def _load_response(raw: bytes) -> ocsp.OCSPResponse:
    try:
        response = ocsp.load_der_ocsp_response(raw)
    except ValueError as exc:
        raise _fail("other", "the responder sent something that is not an OCSP response") from exc
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise _fail("other", f"OCSP responder status {response.response_status.name}")
    return response


def _raise_unless_good(response: ocsp.OCSPResponse) -> None:
    if response.certificate_status is ocsp.OCSPCertStatus.REVOKED:
        raise _fail("revoked", "the certificate is revoked")
    if response.certificate_status is not ocsp.OCSPCertStatus.GOOD:
        raise _fail("other", "the responder does not know the certificate")


def validator_for_roots(roots_pem: Sequence[str], max_attempts: int = 1) -> OcspContractValidator:
    """For ``csms-tui contract validate``: trust exactly these PEM texts."""
    certificates: list[x509.Certificate] = []
    for i, text in enumerate(roots_pem):
        certificates.extend(load_pem_certificates(text, f"trust root {i + 1}"))
    return OcspContractValidator(StaticRoots(certificates), max_attempts=max_attempts)
