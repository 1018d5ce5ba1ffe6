"""A charging station's identity: the one rule the gateway, the service, the REST API, the CLI
and the console all apply.

OCPP 2.0.1 Part 2 (datatypes) defines identifierString as the characters ``a-z A-Z 0-9`` and
``* - _ = : + | @ .``; the identity is at most 48 characters (Part 4 §3.1.1). The identity is
also the HTTP Basic auth user name, and ``:`` separates user name from password there (RFC 7617;
2.0.1 A00.FR.203: the identity must not contain ':'), so a station with ':' in its id could never
log in: the rule here is identifierString without ``:``. Every character is also safe in a URL
path segment, a log line and on a terminal.
"""

from __future__ import annotations

import re

from core import limits

# The characters of an identity, as a regular-expression class (identifierString minus ':').
CHARACTER_CLASS = r"[A-Za-z0-9*_=+|@.-]"
ALLOWED = "A-Z a-z 0-9 * - _ = + | @ ."
# The JSON-schema (ECMA-262) pattern of a whole identity.
PATTERN = rf"^{CHARACTER_CLASS}{{{limits.STATION_ID.lo},{limits.STATION_ID.hi}}}$"
# Compiled for Python: use ``fullmatch`` (``$`` alone would let a trailing newline through).
STATION_ID = re.compile(PATTERN, re.ASCII)
_CHARACTER = re.compile(CHARACTER_CLASS, re.ASCII)


def valid_station_id(station_id: str) -> bool:
    """True when ``station_id`` is a usable charging station identity."""
    return STATION_ID.fullmatch(station_id) is not None


def station_id_problem(station_id: str) -> str | None:
    """Why ``station_id`` is not a usable identity, or None when it is. The reason never quotes
    a character raw (``ascii()``), so it is safe to log and show."""
    if valid_station_id(station_id):
        return None
    if len(station_id) < limits.STATION_ID.lo:
        return "must not be empty"
    if len(station_id) > limits.STATION_ID.hi:
        return f"must be at most {limits.STATION_ID.hi} characters (it has {len(station_id)})"
    bad = next(c for c in station_id if not _CHARACTER.fullmatch(c))  # the first one
    if bad == ":":
        return "must not contain ':' (it separates user name and password in HTTP Basic auth)"
    return f"must not contain {bad!a}: only {ALLOWED}"
