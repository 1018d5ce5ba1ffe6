"""Has2Be's OCPP 1.6 ISO 15118 dialect (DataTransfer vendorId ``iso15118``): adapters that
translate each message to its 2.0.1 equivalent, call the 2.0.1 handler, and translate back."""
