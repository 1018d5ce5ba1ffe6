"""The document itself: every path under :data:`BASE_PATH` (MaEVe's, the operator's, the
commands') and the unprefixed ones, with their components."""

from __future__ import annotations

import copy
from functools import cache

from core.api.openapi import leniency_paths, maeve_schemas, operator_schemas, view_schemas
from core.api.openapi.command_paths import command_paths, command_schemas
from core.api.openapi.maeve_paths import PATHS as MAEVE_PATHS
from core.api.openapi.maeve_paths import unprefixed_paths
from core.api.openapi.operations import PARAMETERS
from core.api.openapi.operator_paths import PATHS as OPERATOR_PATHS
from core.api.openapi.schema import Schema

BASE_PATH = "/api/v0"


@cache
def _document() -> Schema:
    paths = {
        f"{BASE_PATH}{path}": item
        for path, item in {
            **MAEVE_PATHS,
            **OPERATOR_PATHS,
            **leniency_paths.PATHS,
            **command_paths(),
        }.items()
    }
    paths.update(unprefixed_paths())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "csms-tui admin API",
            "version": "0.1.0",
            "description": "MaEVe's manager API (same paths, bodies and status codes) plus the "
            "operator endpoints the console and scripts use. Errors are "
            '`{"status": "<reason>", "error": "<field>: <reason>"}`. Bearer tokens '
            "(`csms-tui api-token create`) are required when the API listens beyond loopback.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {}],
        "paths": paths,
        "components": {
            "schemas": {
                **maeve_schemas.SCHEMAS,
                **operator_schemas.SCHEMAS,
                **view_schemas.SCHEMAS,
                **leniency_paths.SCHEMAS,
                **command_schemas(),
            },
            "parameters": PARAMETERS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_document() -> Schema:
    """A fresh copy of the document (callers may not mutate the cached one)."""
    return copy.deepcopy(_document())
