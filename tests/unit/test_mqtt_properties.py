"""A publish's MQTT 5 properties, encoded by core.transport.mqtt_properties: the same bytes as
paho's own Properties.pack() for the same values, read back by paho as those values."""

from __future__ import annotations

from typing import Any

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from core.transport.mqtt_properties import publish_properties


def _paho(**values: Any) -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    for name, value in values.items():
        setattr(props, name, value)
    return props


CASES = [
    # (ours, paho's)
    (
        {
            "content_type": "application/json",
            "response_topic": "cs/out/ocpp2.0.1/CS-0001",
            "correlation_data": b"{}",
            "user": ("mid", "0f" * 16),
        },
        {
            "ContentType": "application/json",
            "ResponseTopic": "cs/out/ocpp2.0.1/CS-0001",
            "CorrelationData": b"{}",
            "UserProperty": ("mid", "0f" * 16),
        },
    ),
    (
        {"correlation_data": b"{}", "user": ("mid", "ab")},
        {"CorrelationData": b"{}", "UserProperty": ("mid", "ab")},
    ),
    ({"user": ("mid", "ab")}, {"UserProperty": ("mid", "ab")}),
    ({"content_type": "é" * 100}, {"ContentType": "é" * 100}),  # a length past one byte's worth
    ({}, {}),
]


@pytest.mark.parametrize(("ours", "theirs"), CASES)
def test_the_bytes_are_paho_s(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    theirs_packed: bytes = _paho(**theirs).pack()  # type: ignore[no-untyped-call]
    assert publish_properties(**ours).pack() == bytes(theirs_packed)


@pytest.mark.parametrize(("ours", "theirs"), CASES)
def test_paho_reads_them_back(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    read = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    packed = publish_properties(**ours).pack()
    read.unpack(packed)  # type: ignore[no-untyped-call]
    for name, value in theirs.items():
        assert getattr(read, name) == ([value] if name == "UserProperty" else value)


def test_a_properties_block_past_127_bytes_has_a_two_byte_length() -> None:
    packed = publish_properties(response_topic="t" * 200).pack()
    assert packed[:2] == bytes([(203 % 128) | 0x80, 203 // 128])  # 1 + 2 + 200 bytes
    assert len(packed) == 2 + 203


def test_a_value_mqtt_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError, match="65,535"):
        publish_properties(response_topic="t" * 65_536)


def test_they_show_as_text_and_refuse_to_be_set() -> None:
    props = publish_properties(content_type="application/json", user=("mid", "ab"))
    assert "application/json" in str(props)
    assert "mid" in repr(props)
    with pytest.raises(AttributeError, match="cannot be changed"):
        props.ContentType = "text/plain"
