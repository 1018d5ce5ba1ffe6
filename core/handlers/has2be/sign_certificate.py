"""Has2Be SignCertificate → 2.0.1 SignCertificate. The CSR may come as PEM or as bare base64
DER, which is wrapped into PEM first. (The seed's route named a missing schema file, so this
always failed with InternalError when reached through DataTransfer.)"""

from __future__ import annotations

import textwrap
from typing import Any

from core.handlers.types import CallHandler


def as_pem_csr(csr: str) -> str:
    if "-----BEGIN" in csr:
        return csr
    body = "\n".join(textwrap.wrap("".join(csr.split()), 64))
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}\n-----END CERTIFICATE REQUEST-----\n"


class SignCertificate:
    def __init__(self, inner: CallHandler) -> None:
        self.inner = inner

    async def __call__(self, station_id: str, request: dict[str, Any]) -> dict[str, Any]:
        converted: dict[str, Any] = {"csr": as_pem_csr(request["csr"])}
        if "typeOfCertificate" in request:
            converted["certificateType"] = request["typeOfCertificate"]
        return await self.inner(station_id, converted)
