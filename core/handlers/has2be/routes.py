"""The Has2Be tunnel's routing table: messageId → adapter around the 2.0.1 handler."""

from __future__ import annotations

from core.handlers.has2be.authorize import Authorize
from core.handlers.has2be.get_15118_ev_certificate import Get15118EVCertificate
from core.handlers.has2be.get_certificate_status import GetCertificateStatus
from core.handlers.has2be.sign_certificate import SignCertificate
from core.handlers.types import CallHandler

VENDOR_ID = "iso15118"


def routes(v201: dict[str, CallHandler]) -> dict[str, CallHandler]:
    return {
        "Authorize": Authorize(v201["Authorize"]),
        "Get15118EVCertificate": Get15118EVCertificate(v201["Get15118EVCertificate"]),
        "GetCertificateStatus": GetCertificateStatus(v201["GetCertificateStatus"]),
        "SignCertificate": SignCertificate(v201["SignCertificate"]),
    }
