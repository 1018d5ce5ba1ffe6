"""The admin API's OpenAPI 3.0 document, written by hand — it is the contract.

The server validates every parameter and body against this document (``core.api.validation``)
and the test-suite runs schemathesis against the served copy, so a handler that answers outside
it fails a test. MaEVe's endpoints keep their paths, bodies and status codes
(:mod:`.maeve_paths`); the operator's are in :mod:`.operator_paths` and the station commands'
are generated from their registry (:mod:`.command_paths`). :mod:`.document` assembles them.
"""

from core.api.openapi.document import BASE_PATH, openapi_document
from core.api.openapi.schema import STATION_ID_PATTERN, Schema

__all__ = ["BASE_PATH", "STATION_ID_PATTERN", "Schema", "openapi_document"]
