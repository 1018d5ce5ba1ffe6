"""A PUBLISH's MQTT 5 properties, encoded here once rather than by paho's ``Properties``.

paho sets each property by name through a search of its table and packs them again on every
send, all in Python: under load that was a fifth of a manager's CPU (py-spy, a gateway and two
managers over mosquitto). What paho asks of a publish's properties is ``pack()`` on each send
and resend, and their text when it logs; ``PackedProperties`` answers both from bytes made once.
The encoding is MQTT 5.0's (§2.2.2: the properties' length as a variable byte integer, then each
property's identifier and value), in the order paho's own ``pack()`` writes them, so the bytes on
the wire are the same."""

from __future__ import annotations

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties, VariableByteIntegers

# Property identifiers (MQTT 5.0 §2.2.2.2), in paho's order.
_CONTENT_TYPE = b"\x03"  # UTF-8 string
_RESPONSE_TOPIC = b"\x08"  # UTF-8 string
_CORRELATION_DATA = b"\x09"  # binary data
_USER_PROPERTY = b"\x26"  # UTF-8 string pair


class PackedProperties(Properties):
    """A PUBLISH's properties as bytes; no property can be set on it."""

    _packed: bytes
    _shown: str

    def __init__(self, packed: bytes, shown: str) -> None:
        # Not Properties.__init__, whose table this never uses; set past __setattr__ (below).
        object.__setattr__(self, "packetType", PacketTypes.PUBLISH)
        object.__setattr__(self, "_packed", packed)
        object.__setattr__(self, "_shown", shown)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"packed properties cannot be changed ({name}): make new ones")

    def pack(self) -> bytes:
        return self._packed

    def __str__(self) -> str:
        return self._shown

    __repr__ = __str__


def publish_properties(
    *,
    content_type: str | None = None,
    response_topic: str | None = None,
    correlation_data: bytes | None = None,
    user: tuple[str, str] | None = None,
) -> PackedProperties:
    """The properties of one PUBLISH. Raises ValueError for a value MQTT cannot carry (longer
    than 65,535 bytes encoded)."""
    body = bytearray()
    shown: list[str] = []
    if content_type is not None:
        body += _CONTENT_TYPE + _field(content_type.encode())
        shown.append(f"ContentType : {content_type}")
    if response_topic is not None:
        body += _RESPONSE_TOPIC + _field(response_topic.encode())
        shown.append(f"ResponseTopic : {response_topic}")
    if correlation_data is not None:
        body += _CORRELATION_DATA + _field(correlation_data)
        shown.append(f"CorrelationData : {correlation_data!r}")
    if user is not None:
        body += _USER_PROPERTY + _field(user[0].encode()) + _field(user[1].encode())
        shown.append(f"UserProperty : [{user!r}]")
    length: bytes = VariableByteIntegers.encode(len(body))  # type: ignore[no-untyped-call]
    return PackedProperties(length + bytes(body), "[" + ", ".join(shown) + "]")


def _field(data: bytes) -> bytes:
    """A string or binary value: its length in two bytes, then the bytes."""
    if len(data) > 0xFFFF:
        raise ValueError(f"an MQTT property value is at most 65,535 bytes, not {len(data)}")
    return len(data).to_bytes(2, "big") + data
