"""The OCPP-J websocket gateway: security profiles, subprotocols, the per-connection pipe."""
