"""The OCPI response envelope, status codes, errors and paging headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from core.clock import iso, parse_iso


class Status(IntEnum):
    """OCPI 2.2.1 status codes (status_codes.asciidoc)."""

    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    UNABLE_TO_USE_CLIENT_API = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003


class OcpiError(Exception):
    """An OCPI failure with the HTTP status and OCPI status code to answer with."""

    def __init__(self, message: str, code: Status = Status.INVALID_PARAMETERS, http: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http = http


class Unauthorized(OcpiError):
    def __init__(self, message: str) -> None:
        super().__init__(message, Status.CLIENT_ERROR, 401)


class NotFound(OcpiError):
    def __init__(self, message: str, code: Status = Status.CLIENT_ERROR) -> None:
        super().__init__(message, code, 404)


class PeerError(OcpiError):
    """The other party's API failed or answered something we cannot use (3001)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, Status.UNABLE_TO_USE_CLIENT_API, 502)


def envelope(
    now: datetime, data: Any = None, code: Status = Status.SUCCESS, message: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": int(code), "timestamp": iso(now)}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return body


def respond(
    now: datetime,
    data: Any = None,
    *,
    code: Status = Status.SUCCESS,
    message: str | None = None,
    http: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.Response(
        body=orjson.dumps(envelope(now, data, code, message)),
        status=http,
        content_type="application/json",
        headers=headers,
    )


@dataclass(frozen=True, slots=True)
class Page:
    """``offset``/``limit`` of a GET list, with the optional ``date_from``/``date_to`` filter."""

    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None

    def headers(self, total: int, returned: int, url: str, query: dict[str, str]) -> dict[str, str]:
        """X-Total-Count, X-Limit and, when there is more, a Link to the next page."""
        headers = {"X-Total-Count": str(total), "X-Limit": str(self.limit)}
        next_offset = self.offset + returned
        if returned and next_offset < total:
            params = {**query, "offset": str(next_offset), "limit": str(self.limit)}
            headers["Link"] = f'<{url}?{urlencode(params)}>; rel="next"'
        return headers


def parse_page(query: Any, max_limit: int) -> Page:
    """Read the paging parameters; anything malformed is a 2001 with the parameter named."""
    offset = _int_param(query, "offset", 0)
    limit = min(_int_param(query, "limit", max_limit), max_limit)
    if offset < 0:
        raise OcpiError("offset must not be negative")
    if limit < 1:
        raise OcpiError("limit must be at least 1")
    return Page(offset, limit, _date_param(query, "date_from"), _date_param(query, "date_to"))


def _int_param(query: Any, name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise OcpiError(f"{name} must be an integer, got {text!r}") from None


def _date_param(query: Any, name: str) -> datetime | None:
    text = query.get(name)
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        raise OcpiError(f"{name} must be an RFC 3339 date-time, got {text!r}") from None
