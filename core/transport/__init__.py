"""Transports between gateway and manager: in-process (``local``) and MQTT 5 (``mqtt``)."""
