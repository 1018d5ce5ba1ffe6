"""OCPP 1.6J handlers: one module per station-originated action, `*_result` for CSMS calls."""
