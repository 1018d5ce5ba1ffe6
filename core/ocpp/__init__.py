"""OCPP-J wire level: message types, framing and error codes for 1.6, 2.0.1 and Has2Be."""
