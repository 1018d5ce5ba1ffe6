"""Message handling: the router, the call maker, and one module per OCPP action per version."""
