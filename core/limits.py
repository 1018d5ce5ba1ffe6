"""The bounds of the numbers and texts operators and clients give for station commands.

One rule, one place: :class:`core.application.service.CsmsService` checks them for every client (console,
REST, OCPI, CLI), the REST API's OpenAPI document states the same numbers, and the console's
forms cut their input at them. Each bound says why it is what it is — mostly the OCPP JSON
schemas, whose ``integer`` is a 32-bit signed integer (OCPP 2.0.1 Part 2 §2.1 "integer: 32 bit";
1.6 stations read it the same way). A Python int is unbounded: without these checks a 20-digit
number reaches the JSON encoder (orjson stops at 64 bits) and a minute count reaches
``datetime + timedelta`` (which stops at the year 9999).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)
# SQLite (and PostgreSQL bigint) integers are 64-bit signed.
INT64_MAX = 2**63 - 1

_WHOLE = re.compile(r"-?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


class OutOfRange(ValueError):
    """A value outside its bound: ``field`` names it, ``reason`` says what is allowed and why.
    (A ValueError, so a form that shows ValueErrors inline shows this one too.)"""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


def check_int(field: str, value: object, lo: int, hi: int, why: str = "") -> int:
    """``value`` as an int when it is a whole number from ``lo`` to ``hi``, else
    :class:`OutOfRange`. An integral float (JSON ``1.0``, ``1e20``) counts as a whole number;
    a bool does not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OutOfRange(field, "must be a whole number")
    if isinstance(value, float) and not value.is_integer():  # also NaN and the infinities
        raise OutOfRange(field, "must be a whole number")
    number = int(value)
    if not lo <= number <= hi:
        raise OutOfRange(field, f"must be between {lo} and {hi}{_because(why)}")
    return number


def check_number(field: str, value: object, lo: float, hi: float, why: str = "") -> float:
    """``value`` unchanged when it is a finite number from ``lo`` to ``hi``, else
    :class:`OutOfRange`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OutOfRange(field, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise OutOfRange(field, "must be a finite number")
    if not lo <= value <= hi:
        raise OutOfRange(field, f"must be between {_plain(lo)} and {_plain(hi)}{_because(why)}")
    return value


def check_length(field: str, text: str, lo: int, hi: int, why: str = "") -> str:
    """``text`` when it has ``lo`` to ``hi`` characters, else :class:`OutOfRange`."""
    if not lo <= len(text) <= hi:
        span = f"at most {hi}" if lo == 0 else f"{lo} to {hi}"
        raise OutOfRange(field, f"must be {span} characters{_because(why)}")
    return text


def check_json(field: str, value: object, depth: int = 0) -> None:
    """A JSON value the encoder can write as it is: integers in :data:`JSON_INTEGER`, other
    numbers finite (NaN would go out as ``null``), nested at most :data:`JSON_DEPTH` deep.
    ``field`` grows into the path of the bad part (``payload/chargingSchedule/duration``)."""
    if depth > JSON_DEPTH:
        raise OutOfRange(field, f"nests deeper than {JSON_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            check_json(f"{field}/{key}", item, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json(f"{field}/{i}", item, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool):
        JSON_INTEGER.check(field, value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise OutOfRange(field, "must be a finite number")


def _plain(number: float) -> str:
    """10000000 rather than 1e+07."""
    return str(int(number)) if float(number).is_integer() else str(number)


def _because(why: str) -> str:
    return f" ({why})" if why else ""


@dataclass(frozen=True, slots=True)
class Bound:
    """Whole numbers from ``lo`` to ``hi``, inclusive; ``why`` goes with a refusal."""

    lo: int
    hi: int
    why: str = ""

    def check(self, field: str, value: object) -> int:
        return check_int(field, value, self.lo, self.hi, self.why)

    def parse(self, field: str, text: str) -> int:
        """Typed text (ASCII digits, an optional minus) as a checked int. ``str.isdigit`` and
        ``int()`` also take other scripts' digits and ``²``, ``_`` and spaces: not here."""
        text = text.strip()
        if not _WHOLE.fullmatch(text):
            raise OutOfRange(field, "must be a whole number")
        return self.check(field, int(text))

    @property
    def width(self) -> int:
        """Characters the longest allowed value takes when written out."""
        return max(len(str(self.lo)), len(str(self.hi)))


@dataclass(frozen=True, slots=True)
class NumberBound:
    """Finite numbers from ``lo`` to ``hi``, inclusive (OCPP ``number``: a decimal)."""

    lo: float
    hi: float
    why: str = ""

    def check(self, field: str, value: object) -> float:
        return check_number(field, value, self.lo, self.hi, self.why)

    def parse(self, field: str, text: str) -> float:
        """Typed text (ASCII digits, an optional minus and decimals) as a checked float."""
        text = text.strip()
        if not _DECIMAL.fullmatch(text):
            raise OutOfRange(field, "must be a number (digits, a . for decimals)")
        return self.check(field, float(text))


@dataclass(frozen=True, slots=True)
class Length:
    """Texts of ``lo`` to ``hi`` characters."""

    hi: int
    why: str = ""
    lo: int = 0

    def check(self, field: str, text: str) -> str:
        return check_length(field, text, self.lo, self.hi, self.why)


# ---------------------------------------------------------------------------------------------
# Whole numbers

_INT32 = "OCPP integers are 32-bit"

# 2.0.1 evseId / EVSEType.id, 1.6 connectorId: integer. 0 is the station itself (1.6: the
# charge point; 2.0.1 ReserveNow: any EVSE, ChangeAvailability: the whole station).
EVSE_ID = Bound(0, INT32_MAX, _INT32)
# Connectors (and EVSEs where 0 means nothing) count from 1; same integer on the wire.
CONNECTOR_ID = Bound(1, INT32_MAX, _INT32)
# ReserveNow reservationId / 2.0.1 id, CancelReservation reservationId: integer. Ours come from
# the store's row ids, which start at 1.
RESERVATION_ID = Bound(1, INT32_MAX, _INT32)
# Ids the CSMS chooses for the station to echo: remoteStartId, requestId (GetLog, GetBaseReport,
# UpdateFirmware, CustomerInformation …), display message ids, monitor ids: integer, >= 0.
REQUEST_ID = Bound(0, INT32_MAX, _INT32)
# ChargingProfile id (1.6 chargingProfileId, 2.0.1 id), ClearChargingProfile id: integer.
PROFILE_ID = Bound(0, INT32_MAX, _INT32)
# 1.6 transactionId is an integer the CSMS gave in StartTransaction.conf (signed; ours are
# positive). 2.0.1 transaction ids are strings: see TRANSACTION_ID_TEXT.
TRANSACTION_ID_16 = Bound(INT32_MIN, INT32_MAX, "OCPP 1.6 transaction ids are 32-bit integers")
# 1.6 SendLocalList listVersion / 2.0.1 versionNumber: integer; 0 (and -1 in 1.6) mean "no list"
# and are the station's to report, not ours to send.
LIST_VERSION = Bound(1, INT32_MAX, _INT32)
# 2.0.1 severity (SetMonitoringLevel, VariableMonitoringType): 0 (Danger) .. 9 (Debug).
SEVERITY = Bound(0, 9, "OCPP severity levels are 0 to 9")
# ChargingProfile stackLevel: integer >= 0. Stations support a handful of levels; 1000 is far
# above any of them and keeps the number readable.
STACK_LEVEL = Bound(0, 1000, "far above the levels a station supports")
# Seconds on the wire as integers: ChargingSchedule duration, GetCompositeSchedule duration.
# Now + 2**31-1 seconds is about 68 years ahead, which a datetime holds.
DURATION_SECONDS = Bound(1, INT32_MAX, "OCPP durations are 32-bit seconds")
# Minutes an operator gives: how long to hold a reservation, show a display message or apply a
# charging limit. A year: times 60 it is far inside int32 seconds, and now + a year is far
# inside what a datetime holds (the year 9999).
MINUTES = Bound(1, 525_600, "a year")
# UpdateFirmware retries / retryInterval (seconds): integer. Policy: 100 tries a day apart is
# more than any firmware download needs.
FIRMWARE_RETRIES = Bound(0, 100, "more is never needed")
FIRMWARE_RETRY_INTERVAL = Bound(0, 86_400, "a day")
# 2.0.1 SetNetworkProfile configurationSlot: integer. Stations offer a few slots (their
# NetworkConfigurationPriority lists them).
CONFIGURATION_SLOT = Bound(0, 100, "stations offer a few network slots")
# A page of a list (stations, transactions, messages, reservations, calls).
PAGE_LIMIT = Bound(1, 1000, "one page holds at most 1000")
# Offsets and row ids go to the store as 64-bit signed integers.
ROW = Bound(0, INT64_MAX, "store rows are counted in 64 bits")
# Integers anywhere in a raw OCPP payload (raw calls, charging profiles, 2.0.1 DataTransfer
# data): the JSON encoder's range. The station's schema narrows the typed fields further.
JSON_INTEGER = Bound(-(2**63), 2**64 - 1, "the JSON encoder's 64-bit range")
# A list's size: 1.6 and 2.0.1 SendLocalList take the whole list in one message; a monitor
# clear names ids. Policy, so one request stays a reasonable frame.
# Nesting of such a payload: OCPP messages nest a few levels; the encoder gives up at 255.
JSON_DEPTH = 64
LOCAL_LIST_TOKENS = 10_000
MONITOR_IDS = 1_000

# ---------------------------------------------------------------------------------------------
# Decimal numbers

# ChargingSchedulePeriod limit: decimal, in W or A. 10 MW (or 10 MA) is far above any station
# and keeps the number finite and printable.
CHARGING_LIMIT = NumberBound(0, 10_000_000, "far above any station")
# 2.0.1 VariableMonitoringType value: decimal. Finite and beyond any reading a station makes.
MONITOR_VALUE = NumberBound(-1e12, 1e12, "beyond any reading")

# ---------------------------------------------------------------------------------------------
# Texts

# 2.0.1 IdTokenType.idToken: identifierString[36] (1.6 idTag is CiString20, which the 1.6
# schema checks when the call is sent). OCPI Token uid / contract_id / group_id: CiString(36).
ID_TOKEN = Length(36, "OCPP idToken")
# 2.0.1 transactionId: identifierString[36] (a 1.6 id, an int32, is at most 11 characters).
TRANSACTION_ID_TEXT = Length(36, "OCPP transactionId")
# 2.0.1 charging station identity: string[48]; it is also a URL path segment.
STATION_ID = Length(48, "OCPP station identity", lo=1)
# 2.0.1 BasicAuthPassword: 16 to 40 characters (1.6 AuthorizationKey: up to 40 hex digits).
PASSWORD = Length(40, "OCPP BasicAuthPassword", lo=16)
# 2.0.1 firmware location / log remoteLocation: string[512] (1.6 anyURI).
URL = Length(512, "OCPP location")
# 2.0.1 MessageContentType content: string[512].
DISPLAY_TEXT = Length(512, "OCPP message content", lo=1)
# 2.0.1 DataTransfer vendorId string[255], messageId string[50] (1.6: the same).
VENDOR_ID = Length(255, "OCPP vendorId")
MESSAGE_ID = Length(50, "OCPP messageId")
# 2.0.1 ComponentType / VariableType name: string[50].
COMPONENT_NAME = Length(50, "OCPP component or variable name")
# A configuration key: 1.6 CiString50, or a 2.0.1 address Component[instance]@evse/Variable[…]
# (names and instances of 50 each, plus the EVSE).
CONFIGURATION_KEY = Length(200, "a key or Component/Variable address")
# 2.0.1 attributeValue: string[1000] (1.6 ChangeConfiguration value: CiString500).
CONFIGURATION_VALUE = Length(1000, "OCPP attributeValue")
# 2.0.1 CustomerInformation customerIdentifier: string[64].
CUSTOMER_IDENTIFIER = Length(64, "OCPP customerIdentifier")
# 2.0.1 language: string[8] (RFC 5646 tag).
LANGUAGE = Length(8, "a language tag")
# Why an operator closed a transaction its station never will: a sentence or two for whoever
# reads the transaction later (and its OCPI CDR), not a document.
CLOSE_REASON = Length(200, "a reason to close a transaction", lo=1)
# A console text field without a tighter OCPP bound (comma-separated uids, an action name).
FORM_TEXT = Length(500, "a form field")
# A console field holding JSON (a raw payload, DataTransfer data): the longest bounded OCPP
# string, 2.0.1 CertificateSigned certificateChain string[10000], fits in one.
FORM_JSON = Length(10_000, "a form field")
# A number typed into a console field: a printed double ("-1.2345678901234567e+308").
FORM_NUMBER = Length(24, "a number")
# A file path typed into the console (Linux PATH_MAX).
PATH = Length(4096, "a file path")
