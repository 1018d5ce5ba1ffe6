"""What the admin API needs from OCPI (``core.ocpi`` provides it; absent = OCPI is off → 404).

MaEVe's ``POST /register`` and ``POST /location/{id}`` live on the admin API but act on OCPI;
this narrow port keeps ``core.api`` independent of how OCPI is built.
"""

from __future__ import annotations

from typing import Any, Protocol


class OcpiAdminError(Exception):
    """The OCPI side failed (e.g. a push to a party); the API answers 500 with this message."""


class OcpiAdmin(Protocol):
    async def register(self, token: str, url: str | None, status: str | None) -> None:
        """With ``url``: start the credentials handshake with that party using ``token``.
        Without: store ``token`` as a registration (``status`` PENDING by default).
        Raise ``ValueError`` for a bad input (400) or :class:`OcpiAdminError` (500)."""
        ...

    async def put_location(self, location_id: str, location: dict[str, Any]) -> None:
        """Store the location (EVSE status UNKNOWN, last_updated now) and push it to every
        registered eMSP. Same errors as :meth:`register`."""
        ...
