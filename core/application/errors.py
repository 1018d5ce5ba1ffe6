"""What the application service fails with: typed errors the API maps to HTTP statuses and
the console to messages beside the field they name."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error the service reports to a client. ``field`` names the bad input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def detail(self) -> str:
        """``field: message``, or the message alone: how a client shows the refusal."""
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(ServiceError):
    """The station, call, transaction, token or certificate does not exist."""


class Invalid(ServiceError):
    """An input is wrong; ``field`` names it (``securityProfile``, ``payload/idTag`` …)."""


class StationOffline(ServiceError):
    """The command needs a connected station."""


class Conflict(ServiceError):
    """The request is valid but cannot be done in the station's current state (not booted,
    ambiguous id, …)."""


class Unavailable(ServiceError):
    """An optional part (OCPI, …) is switched off."""
