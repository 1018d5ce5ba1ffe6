"""What each transport.mqtt.urls entry means to the client."""

from __future__ import annotations

from core.transport.mqtt import Broker


def test_schemes_ports_tls_and_credentials() -> None:
    plain = Broker.parse("mqtt://broker.lan")
    assert (plain.transport, plain.tls, plain.port, plain.path) == ("tcp", False, 1883, None)
    tls = Broker.parse("mqtts://user:p%40ss@broker.lan")
    assert (tls.tls, tls.port, tls.username, tls.password) == (True, 8883, "user", "p@ss")
    # Logged: no credentials.
    assert "p@ss" not in tls.url
    assert "user" not in tls.url
    ws = Broker.parse("wss://broker.lan/custom")
    assert (ws.transport, ws.tls, ws.port, ws.path) == ("websockets", True, 443, "/custom")
    assert Broker.parse("ws://broker.lan:9001").path == "/mqtt"
    assert Broker.parse("ssl://10.0.0.1:18883").port == 18883
