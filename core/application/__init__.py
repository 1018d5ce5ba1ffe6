"""The application layer: what an operator can see and do, for the REST API, the console and
OCPI. Station commands are declared in :mod:`core.commands`."""
