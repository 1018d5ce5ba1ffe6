"""Every CALLERROR kind of both versions explained, and schema violations pinned to the field."""

from __future__ import annotations

from typing import Any

import pytest

from core.clock import FixedClock
from core.handlers.boot_gate import BootGate
from core.ocpp.errors import ErrorKind, RpcError, error_code
from core.ocpp.explain import (
    TIMEOUT_CODE,
    Explanation,
    explain,
    explain_invalid_result,
    kind_of,
)
from core.ocpp.types import OcppVersion
from core.ocpp.violations import MAX_GOT, pointer
from core.schemas import Direction, SchemaSet, first_violation, validate
from core.store.models import RuntimeDetails
from core.store.protocols import Store

V16, V201 = OcppVersion.V16, OcppVersion.V201

# kind → (fault, whose it is when the CSMS sent the error, whose when the station did)
EXPECTED: dict[ErrorKind, tuple[str, str, str]] = {
    ErrorKind.NOT_IMPLEMENTED: ("receiver", "csms", "station"),
    ErrorKind.NOT_SUPPORTED: ("receiver", "csms", "station"),
    ErrorKind.INTERNAL_ERROR: ("receiver", "csms", "station"),
    ErrorKind.PROTOCOL_ERROR: ("message", "station", "csms"),
    ErrorKind.SECURITY_ERROR: ("refused", "station", "csms"),
    ErrorKind.FORMAT_VIOLATION: ("message", "station", "csms"),
    ErrorKind.PROPERTY_CONSTRAINT_VIOLATION: ("message", "station", "csms"),
    ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION: ("message", "station", "csms"),
    ErrorKind.TYPE_CONSTRAINT_VIOLATION: ("message", "station", "csms"),
    ErrorKind.GENERIC_ERROR: ("unknown", "csms", "station"),
    ErrorKind.RPC_FRAMEWORK_ERROR: ("message", "station", "csms"),
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: ("message", "station", "csms"),
}


def test_every_kind_is_pinned() -> None:
    assert set(EXPECTED) == set(ErrorKind)


@pytest.mark.parametrize("version", [V16, V201])
@pytest.mark.parametrize("kind", list(ErrorKind))
def test_every_code_of_both_versions_is_explained(kind: ErrorKind, version: OcppVersion) -> None:
    code = error_code(kind, version)
    fault, csms_sent, station_sent = EXPECTED[kind]
    ours = explain(code, version, "csms", action="Authorize")
    theirs = explain(code, version, "station", action="Reset")
    for e in (ours, theirs):
        assert e.code == code
        assert e.version == version.short
        assert e.fault == fault
        assert e.meaning
        assert "Not an OCPP-J" not in e.meaning
        assert "spelling" not in e.meaning  # the version's own spelling
    assert (ours.wrong_side, theirs.wrong_side) == (csms_sent, station_sent)
    section = "OCPP-J 1.6 §4.2.3" if version is V16 else "OCPP-J 2.0.1 §4.3"
    assert ours.reference.startswith(section)
    assert "Authorize" in ours.summary
    assert "Reset" in theirs.summary


def test_no_details_means_no_field_is_claimed() -> None:
    for kind in ErrorKind:
        e = explain(error_code(kind, V201), V201, "csms", action="Heartbeat")
        assert (e.pointer, e.keyword, e.expected, e.got) == (None, None, None, None)


def test_the_frozen_1_6_spellings_and_their_2_0_1_names() -> None:
    assert kind_of("FormationViolation") is ErrorKind.FORMAT_VIOLATION
    assert kind_of("OccurenceConstraintViolation") is ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION
    v16 = explain("FormationViolation", "1.6", "csms")
    v201 = explain("FormatViolation", "2.0.1", "csms")
    assert "structure" in v16.meaning  # 1.6 folds the PDU structure into this code
    assert "structure" not in v201.meaning  # 2.0.1 leaves it to ProtocolError
    assert (
        explain("ProtocolError", V16, "csms").meaning == "The payload for the action is incomplete."
    )
    assert "structure" in explain("ProtocolError", V201, "csms").meaning


def test_a_code_spelt_for_the_other_version_says_so() -> None:
    e = explain("FormatViolation", V16, "station", action="Reset")
    assert e.fault == "message"
    assert "not 1.6's" in e.meaning
    assert "not 2.0.1's" in explain("OccurenceConstraintViolation", V201, "station").meaning


def test_an_unknown_code_is_named_as_such() -> None:
    e = explain("OutOfCheese", V201, "station", action="Reset", description="?")
    assert (e.fault, e.wrong_side) == ("unknown", "station")
    assert e.meaning == "Not an OCPP-J 2.0.1 error code."
    assert "does not define" in e.summary


def test_a_timeout_is_the_station_not_answering() -> None:
    e = explain(TIMEOUT_CODE, "2.0.1", "station", action="GetVariables")
    assert (e.fault, e.wrong_side) == ("unanswered", "station")
    assert "GetVariables" in e.summary


def _rpc_error(schema_set: SchemaSet, action: str, payload: dict[str, Any]) -> RpcError:
    with pytest.raises(RpcError) as caught:
        validate(schema_set, action, Direction.REQUEST, payload)
    return caught.value


@pytest.mark.parametrize(
    ("version", "action", "payload", "code", "fields"),
    [
        (
            V16,
            "Authorize",
            {"idTag": "X" * 21},
            "PropertyConstraintViolation",
            ("/idTag", "maxLength", "at most 20 characters", '21 characters: "' + "X" * 21 + '"'),
        ),
        (
            V16,
            "Authorize",
            {},
            "OccurenceConstraintViolation",
            ("/idTag", "required", "present", "absent"),
        ),
        (
            V201,
            "Authorize",
            {"idToken": {"idToken": 5, "type": "Central"}},
            "TypeConstraintViolation",
            ("/idToken/idToken", "type", "type string", "5 (integer)"),
        ),
        (
            V201,
            "Authorize",
            {"idToken": {"idToken": "a", "type": "Magic"}},
            "PropertyConstraintViolation",
            ("/idToken/type", "enum", None, '"Magic"'),
        ),
        (
            V201,
            "Heartbeat",
            {"extra": 1},
            "FormatViolation",
            ("/extra", "additionalProperties", "only the properties the schema names", None),
        ),
        (
            V16,
            "Heartbeat",
            {"extra": 1},
            "FormationViolation",
            ("/extra", "additionalProperties", "only the properties the schema names", None),
        ),
    ],
)
def test_a_schema_violation_is_pinned_to_its_field(
    version: OcppVersion,
    action: str,
    payload: dict[str, Any],
    code: str,
    fields: tuple[str, str, str | None, str | None],
) -> None:
    schema_set = SchemaSet.OCPP16 if version is V16 else SchemaSet.OCPP201
    exc = _rpc_error(schema_set, action, payload)
    assert error_code(exc.kind, version) == code
    e = explain(
        code, version, "csms", action=action, description=exc.description, details=exc.details
    )
    want_pointer, want_keyword, want_expected, want_got = fields
    assert (e.pointer, e.keyword) == (want_pointer, want_keyword)
    if want_expected is not None:
        assert e.expected == want_expected
    if want_got is not None:
        assert e.got == want_got
    assert (e.wrong_side, e.fault) == ("station", "message")
    schema = f"ocpp16/{action}.json" if version is V16 else f"ocpp201/{action}Request.json"
    assert e.requirement == f"{schema}: {want_keyword} at {want_pointer}"


def test_an_enum_names_the_allowed_values() -> None:
    exc = _rpc_error(SchemaSet.OCPP201, "Authorize", {"idToken": {"idToken": "a", "type": "Magic"}})
    assert exc.details["expected"] == (
        "one of Central, eMAID, ISO14443, ISO15693, KeyCode, Local, MacAddress, NoAuthorization"
    )


def test_the_station_learns_it_too_in_bounded_details() -> None:
    """The details go on the wire: a 5,000-character value comes back clipped."""
    exc = _rpc_error(SchemaSet.OCPP16, "Authorize", {"idTag": "Y" * 5000})
    assert set(exc.details) == {"pointer", "keyword", "expected", "got"}
    got = str(exc.details["got"])
    assert got.startswith("5000 characters: ")
    assert len(got) <= MAX_GOT
    assert got.endswith("…")


def test_a_date_time_that_is_not_one() -> None:
    details = first_violation(
        SchemaSet.OCPP16, "Heartbeat", Direction.RESPONSE, {"currentTime": "yesterday"}
    )
    assert details == {
        "pointer": "/currentTime",
        "keyword": "format",
        "expected": "a valid date-time",
        "got": '"yesterday"',
    }


def test_first_violation_is_none_for_valid_or_unknown() -> None:
    assert first_violation(SchemaSet.OCPP16, "Heartbeat", Direction.REQUEST, {}) is None
    assert first_violation(SchemaSet.OCPP16, "NoSuchAction", Direction.REQUEST, {}) is None


def test_pointer_escapes_as_rfc_6901_says() -> None:
    assert pointer(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"
    assert pointer([]) == ""


def test_a_station_claim_is_the_csms_side() -> None:
    """A station that answers the CSMS's call with a schema code says the CSMS was wrong; the
    CSMS's schema file is not cited as broken on its word."""
    e = explain(
        "PropertyConstraintViolation",
        V201,
        "station",
        action="SetVariables",
        details={"pointer": "/setVariableData/0/attributeValue", "keyword": "maxLength"},
    )
    assert (e.wrong_side, e.fault) == ("csms", "message")
    assert e.pointer == "/setVariableData/0/attributeValue"
    assert e.requirement is None
    assert e.summary.startswith("The station says the CSMS's SetVariables call")


def test_an_invalid_station_result() -> None:
    details = first_violation(SchemaSet.OCPP201, "Reset", Direction.RESPONSE, {"status": "Maybe"})
    e = explain_invalid_result("FormatViolation", "2.0.1", "Reset", details)
    assert (e.wrong_side, e.fault, e.pointer, e.keyword) == (
        "station",
        "message",
        "/status",
        "enum",
    )
    assert e.requirement == "ocpp201/ResetResponse.json: enum at /status"
    assert e.reference.startswith("OCPP-J 2.0.1 §4.2.2")


def test_api_form_is_camel_case() -> None:
    e = explain("NotImplemented", V16, "csms", action="FooBar")
    assert isinstance(e, Explanation)
    assert set(e.model_dump(by_alias=True)) >= {"wrongSide", "meaning", "pointer", "reference"}


@pytest.mark.parametrize(
    ("version", "status", "requirement"),
    [
        (V201, "Pending", "OCPP 2.0.1 Part 2 B02.FR.09"),
        (V201, "Rejected", "OCPP 2.0.1 Part 2 B03"),
        (V16, "Pending", "OCPP 1.6 §4.2"),
    ],
)
async def test_the_boot_gate_refusal_names_its_requirement(
    sqlite_store: Store, clock: FixedClock, version: OcppVersion, status: str, requirement: str
) -> None:
    """The real gate's wording, so a rewording there cannot silently drop the requirement."""
    await sqlite_store.set_runtime_details(
        "cs1", RuntimeDetails(ocpp_version=version.short, boot_status=status)
    )
    refusal = await BootGate(sqlite_store, sqlite_store, clock).refusal("cs1", "Heartbeat")
    assert refusal is not None
    e = explain("SecurityError", version, "csms", action="Heartbeat", description=refusal)
    assert (e.wrong_side, e.fault) == ("station", "refused")
    assert e.requirement is not None
    assert e.requirement.startswith(requirement)
    other = explain("SecurityError", version, "csms", action="Heartbeat", description="other")
    assert other.requirement is None
