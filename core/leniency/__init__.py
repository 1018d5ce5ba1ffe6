"""Per-station leniency: the named, known ways real chargers break OCPP that an operator may
choose to accept from a station, one by one. Strict is the default: a station is granted a
leniency in the configuration (by station id, or by the vendor and model of its
BootNotification) or through the API and the console, and every violation accepted under a
grant is logged and counted (:mod:`core.leniency.policy`), never silent.

The set is closed: each name is something the CSMS knows how to repair without guessing."""

from __future__ import annotations

from enum import StrEnum


class Leniency(StrEnum):
    NO_SUBPROTOCOL = "no-subprotocol"
    EXTRA_PROPERTIES = "extra-properties"
    ENUM_CASE = "enum-case"
    TIMESTAMP_WITHOUT_OFFSET = "timestamp-without-offset"
    CSR_WITHOUT_O = "csr-without-o"


# Why each is worth granting, and what is done about it: shown by the API and the console.
REASONS: dict[Leniency, str] = {
    Leniency.NO_SUBPROTOCOL: "the handshake names no OCPP subprotocol: the station is taken to "
    "speak the version named in the grant",
    Leniency.EXTRA_PROPERTIES: "properties the schema does not define are dropped, as firmware "
    "that adds its own fields to standard messages needs",
    Leniency.ENUM_CASE: 'an enumeration value in the wrong letter case ("charging") is read as '
    'the schema\'s spelling ("Charging")',
    Leniency.TIMESTAMP_WITHOUT_OFFSET: "a date-time without a UTC offset is read as UTC (a "
    "trailing Z is added), as stations that keep UTC but omit the Z need",
    Leniency.CSR_WITHOUT_O: "a certificate signing request without O= is signed, the "
    "organisation supplied by the CSMS",
}

NAMES: tuple[str, ...] = tuple(leniency.value for leniency in Leniency)

# The leniencies that repair a message's payload (the rest act on the handshake or the CSR).
PAYLOAD = frozenset(
    {Leniency.EXTRA_PROPERTIES, Leniency.ENUM_CASE, Leniency.TIMESTAMP_WITHOUT_OFFSET}
)


def unknown_names(names: list[str] | tuple[str, ...]) -> list[str]:
    """The names that are not leniencies, in the order given."""
    return [name for name in names if name not in NAMES]
