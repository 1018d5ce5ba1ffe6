"""2.0.1 Authorize: token status from the token service; when the token is accepted and the
station sent a contract certificate (PEM chain) or OCSP hash data, it is validated too.

Validation outcome → (idTokenInfo.status, certificateStatus): valid → Accepted/Accepted;
expired → Blocked/CertificateExpired; revoked → Blocked/CertificateRevoked (the seed could never
reach this); other chain problems → Blocked/CertChainError; anything else (responder down, parse
error) → Blocked/SignatureError."""

from __future__ import annotations

from typing import Any

from core.services.protocols import (
    CertificateValidationError,
    ContractCertificateValidator,
    TokenAuthoriser,
)

_CERT_STATUS = {
    "expired": "CertificateExpired",
    "revoked": "CertificateRevoked",
    "chain": "CertChainError",
}


class Authorize:
    def __init__(
        self, token_auth: TokenAuthoriser, validator: ContractCertificateValidator
    ) -> None:
        self.token_auth, self.validator = token_auth, validator

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        info = await self.token_auth.authorize_201(request["idToken"])
        response: dict[str, Any] = {"idTokenInfo": info}
        if info["status"] != "Accepted":
            return response
        try:
            if "certificate" in request:
                await self.validator.validate_pem_chain(
                    request["certificate"], request["idToken"]["idToken"]
                )
            elif "iso15118CertificateHashData" in request:
                await self.validator.validate_hashed(request["iso15118CertificateHashData"])
            else:
                return response
        except CertificateValidationError as exc:
            info["status"] = "Blocked"
            response["certificateStatus"] = _CERT_STATUS.get(exc.reason, "SignatureError")
            return response
        response["certificateStatus"] = "Accepted"
        return response
