"""OCPP 2.0.1 handlers: one module per station-originated action, results in `results.py`."""
