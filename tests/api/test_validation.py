"""Every parameter and body is checked against the OpenAPI document, with the field named."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import MultiDict

from core import limits
from core.api.openapi import BASE_PATH, openapi_document
from core.api.validation import Operation, RequestInvalid, _reached, compile_operations

OPS = compile_operations(openapi_document())


def op(method: str, path: str) -> Operation:
    return OPS[(method, f"{BASE_PATH}{path}")]


def reason(fn: Any, *args: Any) -> str:
    with pytest.raises(RequestInvalid) as info:
        fn(*args)
    return str(info.value)


def test_every_path_of_the_document_is_compiled() -> None:
    doc = openapi_document()
    expected = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert set(OPS) == expected


def test_query_integers_are_coerced_and_checked() -> None:
    tokens = op("GET", "/token")
    assert tokens.parse_params({}, MultiDict(offset="5", limit="500")) == {
        "offset": 5,
        "limit": 500,  # MaEVe clamps instead of refusing; the service clamps to 100
    }
    assert tokens.parse_params({}, MultiDict()) == {"offset": 0, "limit": 20}
    assert (
        reason(tokens.parse_params, {}, MultiDict(limit="ten")) == "limit: 'ten' is not an integer"
    )
    assert "offset:" in reason(tokens.parse_params, {}, MultiDict(offset="-1"))


def test_booleans_numbers_and_enums() -> None:
    stations = op("GET", "/cs")
    params = stations.parse_params({}, MultiDict(connected="true", version="2.0.1"))
    assert params["connected"] is True
    assert params["version"] == "2.0.1"
    assert reason(stations.parse_params, {}, MultiDict(connected="yes")).startswith("connected:")
    assert reason(stations.parse_params, {}, MultiDict(version="3")).startswith("version:")
    reset = op("POST", "/cs/{csId}/reset")
    assert reset.parse_params({"csId": "CS1"}, MultiDict(wait="2.5"))["wait"] == 2.5
    assert reason(reset.parse_params, {"csId": "CS1"}, MultiDict(wait="nan")).startswith("wait:")
    assert reason(reset.parse_params, {"csId": "CS1"}, MultiDict(wait="301")).startswith("wait:")


def test_path_parameters_are_checked() -> None:
    register = op("POST", "/cs/{csId}")
    assert reason(register.parse_params, {"csId": "a b"}, MultiDict()).startswith("csId:")
    assert reason(register.parse_params, {"csId": "x" * 49}, MultiDict()).startswith("csId:")


def test_dates_must_be_rfc3339() -> None:
    txs = op("GET", "/transactions")
    assert txs.parse_params({}, MultiDict(since="2026-01-01T00:00:00Z"))["since"]
    assert reason(txs.parse_params, {}, MultiDict(since="yesterday")).startswith("since:")


def test_body_errors_name_the_field() -> None:
    register = op("POST", "/cs/{csId}")
    assert register.parse_body(b'{"securityProfile": 1}') == {"securityProfile": 1}
    assert reason(register.parse_body, b"{}") == "securityProfile: is required"
    assert reason(register.parse_body, b'{"securityProfile": 7}').startswith("securityProfile: ")
    assert reason(register.parse_body, b"") == "body: a JSON body is required"
    assert reason(register.parse_body, b"{nope").startswith("body: not valid JSON")
    assert reason(register.parse_body, b"[]").startswith("body: ")
    long_hash = b'{"securityProfile": 0, "base64SHA256Password": "%s"}' % (b"a" * 65)
    assert reason(register.parse_body, long_hash).startswith("base64SHA256Password: ")


def test_nested_body_paths() -> None:
    certs = op("POST", "/cs/{csId}/certificates")
    body = b'{"certificates": [{"type": "V2G", "certificate": "x"}, {"type": "XX"}]}'
    assert reason(certs.parse_body, body).startswith("certificates/1/")


def test_operator_bodies_refuse_unknown_properties() -> None:
    reset = op("POST", "/cs/{csId}/reset")
    assert reset.parse_body(b"") is None  # optional body
    assert reason(reset.parse_body, b'{"typ": "Hard"}') == "typ: is not a known property"


def test_seed_token_body() -> None:
    token = op("POST", "/token")
    good = (
        b'{"countryCode":"GB","partyId":"TWK","type":"RFID","uid":"abc","contractId":"GBTWK012345678",'
        b'"issuer":"me","valid":true,"cacheMode":"ALWAYS","lastUpdated":"2026-01-01T00:00:00Z"}'
    )
    assert token.parse_body(good)["uid"] == "abc"
    assert reason(token.parse_body, good.replace(b'"GB"', b'"GBR"')).startswith("countryCode: ")
    assert reason(token.parse_body, good.replace(b'"RFID"', b'"CARD"')).startswith("type: ")


def test_unknown_and_repeated_query_parameters_are_refused() -> None:
    tokens = op("GET", "/token")
    assert reason(tokens.parse_params, {}, MultiDict(limt="5")) == (
        "limt: is not a parameter of this operation"
    )
    assert reason(tokens.parse_params, {}, MultiDict([("limit", "1"), ("limit", "2")])) == (
        "limit: is given more than once"
    )


def _unbounded_numbers(schema: Any, path: str) -> list[str]:
    if isinstance(schema, list):
        return [p for i, item in enumerate(schema) for p in _unbounded_numbers(item, path)]
    if not isinstance(schema, dict):
        return []
    found = []
    number = schema.get("type") in ("integer", "number") and "enum" not in schema
    if number and not {"minimum", "maximum"} <= schema.keys():
        found.append(path)
    for key, value in schema.items():
        found += _unbounded_numbers(value, f"{path}/{key}")
    return found


def test_operator_bodies_bound_every_number() -> None:
    """Every number an operator sends has both ends, taken from core.limits: a 20-digit value
    is a 400 here, never a crash further in."""
    schemas = openapi_document()["components"]["schemas"]
    bodies = {n: s for n, s in schemas.items() if n.endswith(("Command", "Request"))}
    assert len(bodies) > 30
    assert [p for n, s in bodies.items() for p in _unbounded_numbers(s, n)] == []
    remote_start = bodies["RemoteStartCommand"]["properties"]
    assert remote_start["evseId"]["maximum"] == limits.CONNECTOR_ID.hi == 2**31 - 1
    composite = bodies["GetCompositeScheduleCommand"]["properties"]["duration"]
    assert (composite["minimum"], composite["maximum"]) == (1, limits.DURATION_SECONDS.hi)
    minutes = bodies["SetDisplayMessageCommand"]["properties"]["minutes"]
    assert minutes["maximum"] == limits.MINUTES.hi


def test_twenty_digit_numbers_are_refused_in_bodies() -> None:
    remote_start = op("POST", "/cs/{csId}/remote-start")
    body = b'{"idToken": "T", "evseId": 99999999999999999999}'
    assert reason(remote_start.parse_body, body).startswith("evseId: ")
    composite = op("POST", "/cs/{csId}/composite-schedule")
    body = b'{"evseId": 1, "duration": 99999999999}'
    assert reason(composite.parse_body, body).startswith("duration: ")
    assert composite.parse_body(b'{"evseId": 1, "duration": 2147483647}')["duration"] == 2**31 - 1


def test_a_body_s_components_are_reached_through_one_another() -> None:
    """Each validator is given only the components its schema reaches (a validator given
    every component took half a megabyte of native memory): reached through other components
    and through cycles, and none it does not reach."""
    document: dict[str, Any] = {
        "paths": {
            "/things": {
                "post": {
                    "operationId": "addThing",
                    "parameters": [
                        {"name": "n", "in": "query", "schema": {"type": "integer", "minimum": 1}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "part": {"$ref": "#/components/schemas/Part"},
                        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
                    },
                    "additionalProperties": False,
                },
                "Part": {
                    "type": "object",
                    "properties": {
                        "size": {"type": "integer", "maximum": 9},
                        "inner": {"$ref": "#/components/schemas/Part"},  # a cycle
                    },
                },
                "Unused": {"$ref": "#/components/schemas/Missing"},  # never compiled
            }
        },
    }
    body = document["paths"]["/things"]["post"]["requestBody"]["content"]["application/json"]
    assert _reached(document, body["schema"]) == {("schemas", "Thing"), ("schemas", "Part")}
    assert _reached(document, {"type": "integer"}) == set()
    add = compile_operations(document)[("POST", "/things")]
    assert add.parse_body(b'{"part": {"size": 1, "inner": {"size": 2}}}') is not None
    assert reason(add.parse_body, b'{"part": {"inner": {"size": 10}}}') == (
        "part/inner/size: 10 is greater than the maximum of 9"
    )
    assert reason(add.parse_body, b'{"parts": [{}, {"size": 10}]}').startswith("parts/1/size: ")
    assert add.parse_params({}, MultiDict(n="2")) == {"n": 2}
    assert reason(add.parse_params, {}, MultiDict(n="0")).startswith("n: ")
