"""What a CALLERROR (or a station answer that failed validation) means, and whose it is.

One function per situation, both pure: :func:`explain` for a CALLERROR either side sent, and
:func:`explain_invalid_result` for a station's CALLRESULT the CSMS refused (no CALLERROR
answers a CALLRESULT, so the call record carries the verdict instead). The API and the console
show the result beside the frame; the same schema details go to the station in errorDetails.

The meanings paraphrase the error code tables of OCPP-J 1.6 §4.2.3 and OCPP-J 2.0.1 §4.3. The
side is a reading of the code, not a verdict: a receiver that says NotSupported is reporting its
own limit, not a wrong message; a station that says PropertyConstraintViolation is making a claim
about the CSMS's call, which its description may or may not support.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from core.ocpp.errors import ErrorKind
from core.ocpp.types import OcppVersion

Side = Literal["station", "csms"]
# message: the message broke a rule; receiver: the receiver could not act on it (its limit or
# its fault); refused: turned away for a security reason; unanswered: no answer came;
# unknown: the code does not say.
Fault = Literal["message", "receiver", "refused", "unanswered", "unknown"]

# The CSMS's own record of a call the station never answered; never on the wire.
TIMEOUT_CODE = "Timeout"

_KIND_BY_CODE: dict[str, ErrorKind] = {kind.value: kind for kind in ErrorKind} | {
    "FormationViolation": ErrorKind.FORMAT_VIOLATION,
    "OccurenceConstraintViolation": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
}
_V16_ONLY = {"FormationViolation", "OccurenceConstraintViolation"}
_V201_ONLY = {
    "FormatViolation",
    "OccurrenceConstraintViolation",
    "RpcFrameworkError",
    "MessageTypeNotSupported",
}

_MEANING: dict[ErrorKind, str] = {
    ErrorKind.NOT_IMPLEMENTED: "The receiver does not know the requested action.",
    ErrorKind.NOT_SUPPORTED: "The receiver knows the requested action but does not support it.",
    ErrorKind.INTERNAL_ERROR: (
        "Something failed inside the receiver, so it could not carry out the action."
    ),
    ErrorKind.SECURITY_ERROR: (
        "A security issue came up while the receiver handled the action, and it stopped."
    ),
    ErrorKind.PROPERTY_CONSTRAINT_VIOLATION: (
        "The payload parses, but a field holds a value the action does not allow "
        "(outside its set, range, length or format)."
    ),
    ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION: (
        "The payload parses, but a field occurs a wrong number of times (a required one is "
        "missing, or a list is too short or too long)."
    ),
    ErrorKind.TYPE_CONSTRAINT_VIOLATION: (
        'The payload parses, but a field has the wrong data type (such as 12 where "12" belongs).'
    ),
    ErrorKind.GENERIC_ERROR: "An error none of the more specific codes covers.",
    ErrorKind.RPC_FRAMEWORK_ERROR: (
        "The frame is not a valid RPC message; for example its message id cannot be read."
    ),
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: (
        "The frame's message type number is not one the receiver supports."
    ),
}
# The codes whose wording differs between the versions' tables.
_MEANING_V16 = {
    ErrorKind.PROTOCOL_ERROR: "The payload for the action is incomplete.",
    ErrorKind.FORMAT_VIOLATION: (
        "The payload is not valid syntax, or does not have the structure the action defines."
    ),
}
_MEANING_V201 = {
    ErrorKind.PROTOCOL_ERROR: "The payload does not have the structure the action defines.",
    ErrorKind.FORMAT_VIOLATION: "The payload is not valid syntax for the action.",
}

_FAULT: dict[ErrorKind, Fault] = {
    ErrorKind.NOT_IMPLEMENTED: "receiver",
    ErrorKind.NOT_SUPPORTED: "receiver",
    ErrorKind.INTERNAL_ERROR: "receiver",
    ErrorKind.SECURITY_ERROR: "refused",
    ErrorKind.GENERIC_ERROR: "unknown",
}

_REFERENCE = {
    OcppVersion.V16: "OCPP-J 1.6 §4.2.3 (CallError error codes)",
    OcppVersion.V201: "OCPP-J 2.0.1 §4.3 (RPC framework error codes)",
}
_RESULT_REFERENCE = {
    OcppVersion.V16: "OCPP-J 1.6 §4.2.2 (CallResult)",
    OcppVersion.V201: "OCPP-J 2.0.1 §4.2.2 (CALLRESULT)",
}


class Explanation(BaseModel):
    """An error explained: camelCase in JSON like the API's other views."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, frozen=True
    )

    code: str
    version: str  # "1.6" | "2.0.1"
    meaning: str
    wrong_side: Side
    fault: Fault
    summary: str
    reference: str  # where the code (or the answer's rule) is defined
    requirement: str | None = None  # the specific rule broken, when known
    pointer: str | None = None  # RFC 6901, into the payload
    keyword: str | None = None  # the JSON-schema keyword
    expected: str | None = None
    got: str | None = None


def version_of(text: str | OcppVersion) -> OcppVersion:
    """``"1.6"``, ``"ocpp1.6"`` … → the version; anything else is taken as 2.0.1."""
    return OcppVersion.V16 if str(text).removeprefix("ocpp") == "1.6" else OcppVersion.V201


def kind_of(code: str) -> ErrorKind | None:
    """The kind a wire code names, in either version's spelling."""
    return _KIND_BY_CODE.get(code)


def schema_name(version: OcppVersion, action: str, response: bool) -> str:
    """The schema file that rules a payload, as ``<set>/<file>``."""
    if response:
        name = f"{action}Response.json"
    else:
        name = f"{action}.json" if version is OcppVersion.V16 else f"{action}Request.json"
    return ("ocpp16/" if version is OcppVersion.V16 else "ocpp201/") + name


def _schema_fields(details: dict[str, Any] | None) -> dict[str, str]:
    if not details:
        return {}
    return {
        key: str(details[key])[:120]
        for key in ("pointer", "keyword", "expected", "got")
        if isinstance(details.get(key), str | int | float)
    }


def _field_args(fields: dict[str, str]) -> dict[str, Any]:
    return {key: fields.get(key) for key in ("pointer", "keyword", "expected", "got")}


def _schema_requirement(schema: str | None, fields: dict[str, str]) -> str | None:
    if schema is None or "keyword" not in fields:
        return None
    return f"{schema}: {fields['keyword']} at {fields.get('pointer') or '(the whole payload)'}"


def _security_requirement(version: OcppVersion, description: str) -> str | None:
    # The boot gate's refusal says which boot answer the station got (see BootGate.refusal).
    if "boot was answered" not in description:
        return None
    if version is OcppVersion.V16:
        return "OCPP 1.6 §4.2: nothing but BootNotification until the boot is Accepted"
    if "answered Pending" in description:
        return "OCPP 2.0.1 Part 2 B02.FR.09: SecurityError while the boot is Pending"
    if "answered Rejected" in description:
        return "OCPP 2.0.1 Part 2 B03: nothing but BootNotification after Rejected"
    return None


def _summary(kind: ErrorKind | None, fault: Fault, sent_by: Side, action: str) -> str:
    sender = "The CSMS" if sent_by == "csms" else "The station"
    peer = "the station's" if sent_by == "csms" else "the CSMS's"
    what = f"{peer} {action} call" if action else f"{peer} frame"
    if fault == "message":
        if sent_by == "csms":
            return f"{sender} refused {what}: the message broke the rule below; nothing was done."
        return f"{sender} says {what} broke a rule; its description may say which."
    if fault == "receiver":
        return (
            f"{sender} could not act on {what}; the fault is on its side, "
            "not in the message itself."
        )
    if fault == "refused":
        return f"{sender} turned {what} away for a security reason."
    if kind is None:
        return f"{sender} answered {what} with a code its OCPP-J version does not define."
    return f"{sender} reports an error in {what} without saying whose; see the description."


def explain(
    code: str,
    version: str | OcppVersion,
    sent_by: Side,
    action: str = "",
    description: str = "",
    details: dict[str, Any] | None = None,
) -> Explanation:
    """Explain a CALLERROR ``sent_by`` one side in answer to the other side's call.

    ``details`` are its errorDetails (or what re-validating the call gives); the schema fields
    among them are shown when the CSMS sent the error, and quoted as the station's claim when
    the station did.
    """
    ver = version_of(version)
    if code == TIMEOUT_CODE:
        return Explanation(
            code=code,
            version=ver.short,
            meaning="The station did not answer the call in time (the CSMS's record; "
            "no such code goes on the wire).",
            wrong_side="station",
            fault="unanswered",
            summary=f"The station never answered the CSMS's {action or 'call'}.",
            reference="none: not an OCPP-J error code",
        )
    kind = kind_of(code)
    if kind is None:
        meaning = f"Not an OCPP-J {ver.short} error code."
    else:
        by_version = _MEANING_V16 if ver is OcppVersion.V16 else _MEANING_V201
        meaning = by_version.get(kind) or _MEANING[kind]
        other_only = _V201_ONLY if ver is OcppVersion.V16 else _V16_ONLY
        if code in other_only:
            meaning += f" (This spelling is not {ver.short}'s.)"
    fault: Fault = "unknown" if kind is None else _FAULT.get(kind, "message")
    # Whose is it: for a wrong or refused message, the side that sent it; otherwise the side
    # that answered with the error (its own limit, or it cannot say).
    if fault in ("message", "refused"):
        wrong_side: Side = "station" if sent_by == "csms" else "csms"
    else:
        wrong_side = sent_by
    fields = _schema_fields(details) if fault == "message" else {}
    schema = schema_name(ver, action, response=False) if action and sent_by == "csms" else None
    requirement = _schema_requirement(schema, fields)
    if kind is ErrorKind.SECURITY_ERROR and sent_by == "csms":
        requirement = _security_requirement(ver, description)
    return Explanation(
        code=code,
        version=ver.short,
        meaning=meaning,
        wrong_side=wrong_side,
        fault=fault,
        summary=_summary(kind, fault, sent_by, action),
        reference=_REFERENCE[ver],
        requirement=requirement,
        **_field_args(fields),
    )


def explain_invalid_result(
    code: str,
    version: str | OcppVersion,
    action: str,
    details: dict[str, Any] | None,
) -> Explanation:
    """Explain a station CALLRESULT that failed the response schema; ``code`` is what the call
    record holds for it."""
    ver = version_of(version)
    fields = _schema_fields(details)
    schema = schema_name(ver, action, response=True) if action else None
    return Explanation(
        code=code,
        version=ver.short,
        meaning="The station's answer does not fit the action's response schema. No CALLERROR "
        "answers a CALLRESULT, so the CSMS records the call as failed instead.",
        wrong_side="station",
        fault="message",
        summary=f"The station answered the CSMS's {action or 'call'} with an invalid result; "
        "the CSMS did not act on it.",
        reference=_RESULT_REFERENCE[ver],
        requirement=_schema_requirement(schema, fields),
        **_field_args(fields),
    )
