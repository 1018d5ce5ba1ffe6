"""Every station action the console offers, declared once: its form fields (validated inline),
whether it asks for confirmation, and how it calls the service. The station table, the station
detail screen and the command palette all offer the same list."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from core import limits
from core.ocpp.triggers import TRIGGER_MESSAGES_16, TRIGGER_MESSAGES_201
from core.service import MONITOR_KINDS, REPORT_BASES
from csms_tui.inert import markup_safe

WAIT_SECONDS = 30.0


class BoundedInput(Input):
    """An Input that cuts typed or pasted text at ``max_length``. (Textual's Input refuses a
    paste that would not fit as a whole; cut at the edge, the operator sees what got in.)"""

    _last_refused = 0.0

    def restricted(self) -> None:
        # One bell per burst (refusals less than a second apart): text pasted as keystrokes
        # would otherwise ring once per refused character — tens of thousands of bells written
        # to the operator's terminal.
        now = time.monotonic()
        if now - self._last_refused > 1.0:
            super().restricted()
        self._last_refused = now

    def replace(self, text: str, start: int, end: int) -> None:
        if self.max_length:
            start, end = sorted((max(0, start), min(len(self.value), end)))
            room = self.max_length - (len(self.value) - (end - start))
            if len(text) > room:
                text = text[: max(room, 0)]
                self.restricted()
        super().replace(text, start, end)


@dataclass(frozen=True)
class Field:
    """One input of an action's form. ``int`` and ``number`` fields take their range from
    ``bound`` (a :mod:`core.limits` bound, the one the service checks); text fields their
    longest value from ``length`` (default: :data:`core.limits.FORM_TEXT`, JSON fields
    :data:`core.limits.FORM_JSON`). The form's input cuts what is typed or pasted there."""

    name: str
    label: str
    default: str = ""
    required: bool = True
    kind: str = "text"  # text | int | number | json | object (a JSON object) | choice
    choices: tuple[str, ...] = ()
    placeholder: str = ""
    bound: limits.Bound | limits.NumberBound | None = None
    length: limits.Length | None = None

    def __post_init__(self) -> None:
        wanted = {"int": limits.Bound, "number": limits.NumberBound}.get(self.kind)
        if wanted is not None and not isinstance(self.bound, wanted):
            raise TypeError(f"field {self.name}: a {self.kind} field needs a {wanted.__name__}")

    @property
    def max_length(self) -> int:
        """The most characters its input takes."""
        if isinstance(self.bound, limits.Bound):
            # One character more than the widest value: a number too long is refused with
            # the range, not silently cut into a different number.
            return self.bound.width + 1
        if self.kind == "number":
            return limits.FORM_NUMBER.hi
        return self._length.hi

    @property
    def _length(self) -> limits.Length:
        if self.length is not None:
            return self.length
        return limits.FORM_JSON if self.kind in ("json", "object") else limits.FORM_TEXT

    def parse(self, raw: str) -> Any:
        """The typed value, or ValueError (:class:`core.limits.OutOfRange` is one) with the
        reason shown under the form."""
        text = raw.strip()
        if not text:
            if self.required:
                raise ValueError(f"{self.label} is required")
            return None
        if isinstance(self.bound, limits.Bound | limits.NumberBound):
            return self.bound.parse(self.label, text)
        self._length.check(self.label, text)
        if self.kind == "object":
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"{self.label} is not JSON: {exc}") from exc
            if not isinstance(value, dict):
                raise ValueError(f"{self.label} must be a JSON object {{…}}")
            limits.check_json(self.label, value)
            return value
        if self.kind == "json":
            try:
                value = json.loads(text)
            except ValueError:
                return text  # a plain string is valid DataTransfer data
            limits.check_json(self.label, value)
            return value
        if self.kind == "choice" and text not in self.choices:
            raise ValueError(f"{self.label} must be one of {', '.join(self.choices)}")
        return text


Runner = Callable[[Any, str, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class StationAction:
    id: str
    title: str
    run: Runner
    fields: tuple[Field, ...] = ()
    confirm: bool = False
    help: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Said in the confirmation after the question: what the action changes beyond the obvious.
    warning: str = ""


_TRIGGERS = tuple(sorted(TRIGGER_MESSAGES_16 | TRIGGER_MESSAGES_201))


def _remote_start(s: Any, sid: str, v: dict[str, Any]) -> Any:
    return s.remote_start(
        sid,
        v["token"],
        evse_id=v["evse"],
        token_type="ISO14443",
        wait=WAIT_SECONDS,
        origin="console",
    )


def _set_configuration(s: Any, sid: str, v: dict[str, Any]) -> Any:
    return s.set_configuration(sid, {v["key"]: v["value"]}, wait=WAIT_SECONDS, origin="console")


def _get_configuration(s: Any, sid: str, v: dict[str, Any]) -> Any:
    keys = [k.strip() for k in (v["keys"] or "").split(",") if k.strip()]
    return s.get_configuration(sid, keys, wait=WAIT_SECONDS, origin="console")


async def _reserve(s: Any, sid: str, v: dict[str, Any]) -> Any:
    expires_at = datetime.now(UTC) + timedelta(minutes=v["minutes"])
    result = await s.reserve_now(
        sid,
        v["token"],
        expires_at,
        evse_id=v["evse"] or 0,
        token_type="ISO14443",
        wait=WAIT_SECONDS,
        origin="console",
    )
    return result.call


def _uids(text: str | None) -> list[str]:
    return [u.strip() for u in (text or "").split(",") if u.strip()]


def _send_local_list(s: Any, sid: str, v: dict[str, Any]) -> Any:
    tokens = _uids(v["tokens"])
    return s.send_local_list(
        sid,
        v["kind"],
        tokens if tokens or v["kind"] == "Differential" else None,
        _uids(v["remove"]),
        wait=WAIT_SECONDS,
        origin="console",
    )


def _charging_limit(s: Any, sid: str, v: dict[str, Any]) -> Any:
    minutes = v["minutes"]
    return s.set_charging_limit(
        sid,
        v["evse"],
        float(v["limit"]),
        v["unit"],
        minutes * 60 if minutes else None,
        wait=WAIT_SECONDS,
        origin="console",
    )


ACTIONS: tuple[StationAction, ...] = (
    StationAction(
        "remote_start",
        "Remote start",
        _remote_start,
        (
            Field("token", "Id token", placeholder="RFID uid or eMAID", length=limits.ID_TOKEN),
            Field("evse", "Connector / EVSE", "1", kind="int", bound=limits.EVSE_ID),
        ),
        help="1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction",
    ),
    StationAction(
        "remote_stop",
        "Remote stop",
        lambda s, sid, v: s.remote_stop(sid, v["transaction"], wait=WAIT_SECONDS, origin="console"),
        (Field("transaction", "Transaction id", length=limits.TRANSACTION_ID_TEXT),),
        confirm=True,
    ),
    StationAction(
        "reserve",
        "Reserve now",
        _reserve,
        (
            Field("token", "Id token", placeholder="RFID uid or eMAID", length=limits.ID_TOKEN),
            Field("evse", "Connector / EVSE (0 = any)", "0", kind="int", bound=limits.EVSE_ID),
            Field("minutes", "Minutes to hold it", "30", kind="int", bound=limits.MINUTES),
        ),
        help="ReserveNow; the reservation id is in the answer (Reservations: GET /reservations)",
    ),
    StationAction(
        "cancel_reservation",
        "Cancel reservation",
        lambda s, sid, v: s.cancel_reservation(
            sid, v["reservation"], wait=WAIT_SECONDS, origin="console"
        ),
        (Field("reservation", "Reservation id", kind="int", bound=limits.RESERVATION_ID),),
        confirm=True,
    ),
    StationAction(
        "reset",
        "Reset",
        lambda s, sid, v: s.reset(sid, v["kind"], wait=WAIT_SECONDS, origin="console"),
        (Field("kind", "Kind", "Soft", kind="choice", choices=("Soft", "Hard")),),
        confirm=True,
    ),
    StationAction(
        "rotate_password",
        "Rotate password",
        lambda s, sid, v: s.rotate_password(sid, None, WAIT_SECONDS),
        confirm=True,
        help="Send the station a new basic-auth password (1.6 ChangeConfiguration "
        "AuthorizationKey / 2.0.1 SetVariables BasicAuthPassword); stored only if it accepts",
        warning="A new password is sent to the connected station; once it accepts, its old "
        "password stops working and the new one is shown once. If it refuses or does not "
        "answer, nothing changes.",
    ),
    StationAction(
        "availability",
        "Change availability",
        lambda s, sid, v: s.change_availability(
            sid, v["status"] == "Operative", v["evse"], wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field("evse", "EVSE / connector (0 = station)", "0", kind="int", bound=limits.EVSE_ID),
            Field(
                "status", "Status", "Operative", kind="choice", choices=("Operative", "Inoperative")
            ),
        ),
    ),
    StationAction(
        "unlock",
        "Unlock connector",
        lambda s, sid, v: s.unlock_connector(
            sid, v["evse"], v["connector"] or 1, wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field("evse", "EVSE (1.6: connector)", "1", kind="int", bound=limits.CONNECTOR_ID),
            Field(
                "connector",
                "Connector (2.0.1)",
                "1",
                kind="int",
                required=False,
                bound=limits.CONNECTOR_ID,
            ),
        ),
        confirm=True,
    ),
    StationAction(
        "trigger",
        "Trigger message",
        lambda s, sid, v: s.trigger_message(
            sid, v["message"], v["evse"], wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field("message", "Message", "StatusNotification", kind="choice", choices=_TRIGGERS),
            Field(
                "evse",
                "EVSE / connector (optional)",
                required=False,
                kind="int",
                bound=limits.EVSE_ID,
            ),
        ),
    ),
    StationAction(
        "get_configuration",
        "Get configuration",
        _get_configuration,
        (
            Field(
                "keys",
                "Keys",
                required=False,
                placeholder="1.6 keys or 2.0.1 Component.Variable, comma separated",
            ),
        ),
    ),
    StationAction(
        "set_configuration",
        "Set configuration / variable",
        _set_configuration,
        (
            Field(
                "key",
                "Key",
                placeholder="1.6 key or 2.0.1 Component.Variable",
                length=limits.CONFIGURATION_KEY,
            ),
            Field("value", "Value", length=limits.CONFIGURATION_VALUE),
        ),
    ),
    StationAction(
        "clear_cache",
        "Clear authorisation cache",
        lambda s, sid, v: s.clear_cache(sid, wait=WAIT_SECONDS, origin="console"),
        confirm=True,
    ),
    StationAction(
        "update_firmware",
        "Update firmware",
        lambda s, sid, v: s.update_firmware(
            sid, v["location"], wait=WAIT_SECONDS, origin="console"
        ),
        (Field("location", "Firmware URL", placeholder="https://… or ftp://…", length=limits.URL),),
        confirm=True,
        help="1.6 UpdateFirmware / 2.0.1 UpdateFirmware, now; progress shows as station events",
    ),
    StationAction(
        "get_log",
        "Get log",
        lambda s, sid, v: s.get_log(
            sid, v["location"], v["kind"], wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field("location", "Upload URL", placeholder="https://… or ftp://…", length=limits.URL),
            Field(
                "kind",
                "Log",
                "DiagnosticsLog",
                kind="choice",
                choices=("DiagnosticsLog", "SecurityLog"),
            ),
        ),
        help="1.6 GetDiagnostics (or GetLog for the security log) / 2.0.1 GetLog",
    ),
    StationAction(
        "charging_limit",
        "Limit charging",
        _charging_limit,
        (
            Field(
                "evse",
                "EVSE / connector (0 = whole station)",
                "1",
                kind="int",
                bound=limits.EVSE_ID,
            ),
            Field(
                "limit",
                "Limit",
                kind="number",
                placeholder="e.g. 7400 (W) or 16 (A)",
                bound=limits.CHARGING_LIMIT,
            ),
            Field("unit", "Unit", "W", kind="choice", choices=("W", "A")),
            Field(
                "minutes",
                "For minutes (empty: until cleared)",
                required=False,
                kind="int",
                bound=limits.MINUTES,
            ),
        ),
        help="SetChargingProfile: a one-period profile from now (TxDefault, or station maximum)",
    ),
    StationAction(
        "clear_charging_profiles",
        "Clear charging profiles",
        lambda s, sid, v: s.clear_charging_profile(
            sid, evse_id=v["evse"], wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field(
                "evse",
                "EVSE / connector (empty: all)",
                required=False,
                kind="int",
                bound=limits.EVSE_ID,
            ),
        ),
        confirm=True,
    ),
    StationAction(
        "composite_schedule",
        "Get composite schedule",
        lambda s, sid, v: s.get_composite_schedule(
            sid, v["evse"], v["seconds"], wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field("evse", "EVSE / connector", "1", kind="int", bound=limits.EVSE_ID),
            Field("seconds", "Duration (s)", "3600", kind="int", bound=limits.DURATION_SECONDS),
        ),
    ),
    StationAction(
        "display_message",
        "Show a message (2.0.1)",
        lambda s, sid, v: s.set_display_message(
            sid, v["text"], v["priority"], v["minutes"], wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field(
                "text",
                "Text",
                placeholder=f"up to {limits.DISPLAY_TEXT.hi} characters",
                length=limits.DISPLAY_TEXT,
            ),
            Field(
                "priority",
                "Priority",
                "NormalCycle",
                kind="choice",
                choices=("NormalCycle", "InFront", "AlwaysFront"),
            ),
            Field(
                "minutes",
                "For minutes (empty: until cleared)",
                required=False,
                kind="int",
                bound=limits.MINUTES,
            ),
        ),
        help="2.0.1 SetDisplayMessage on the station's display",
    ),
    StationAction(
        "variable_monitor",
        "Monitor a variable (2.0.1)",
        lambda s, sid, v: s.set_variable_monitor(
            sid,
            v["component"],
            v["variable"],
            v["kind"],
            float(v["value"]),
            v["severity"],
            wait=WAIT_SECONDS,
            origin="console",
        ),
        (
            Field("component", "Component", placeholder="e.g. EVSE", length=limits.COMPONENT_NAME),
            Field("variable", "Variable", placeholder="e.g. Power", length=limits.COMPONENT_NAME),
            Field("kind", "Type", "UpperThreshold", kind="choice", choices=MONITOR_KINDS),
            Field("value", "Value", kind="number", bound=limits.MONITOR_VALUE),
            Field(
                "severity", "Severity (0 most urgent … 9)", "8", kind="int", bound=limits.SEVERITY
            ),
        ),
        help="2.0.1 SetVariableMonitoring; the station's reports show as its events",
    ),
    StationAction(
        "send_local_list",
        "Send local list",
        _send_local_list,
        (
            Field("kind", "Update", "Full", kind="choice", choices=("Full", "Differential")),
            Field(
                "tokens",
                "Tokens",
                required=False,
                placeholder="uids, comma separated (Full and empty: every cacheable token)",
            ),
            Field("remove", "Remove (Differential)", required=False, placeholder="uids"),
        ),
        help="SendLocalList from the token list; the version follows the station's",
    ),
    StationAction(
        "get_local_list_version",
        "Get local list version",
        lambda s, sid, v: s.get_local_list_version(sid, wait=WAIT_SECONDS, origin="console"),
    ),
    StationAction(
        "raw_call",
        "Any call (raw JSON)",
        lambda s, sid, v: s.raw_call(
            sid, v["action"], v["payload"] or {}, wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field("action", "Action", placeholder="e.g. GetTransactionStatus"),
            Field("payload", "Payload", "{}", required=False, kind="object"),
        ),
        confirm=True,
        help="Any CSMS-initiated action of the station's version; checked against its schema",
    ),
    StationAction(
        "data_transfer",
        "Data transfer",
        lambda s, sid, v: s.data_transfer(
            sid, v["vendor"], v["message"], v["data"], wait=WAIT_SECONDS, origin="console"
        ),
        (
            Field("vendor", "Vendor id", length=limits.VENDOR_ID),
            Field("message", "Message id", required=False, length=limits.MESSAGE_ID),
            Field("data", "Data (text or JSON)", required=False, kind="json"),
        ),
    ),
    StationAction(
        "get_report",
        "Get report",
        lambda s, sid, v: s.get_report(sid, v["base"], wait=WAIT_SECONDS, origin="console"),
        (Field("base", "Report", "FullInventory", kind="choice", choices=REPORT_BASES),),
        help="2.0.1 GetBaseReport (stored as the device model); 1.6: full GetConfiguration",
    ),
)

BY_ID = {a.id: a for a in ACTIONS}


def describe_answer(station_id: str, call: Any) -> tuple[str, str]:
    """(message, severity) for a notification: the station's status, or why there is none.
    The message is console markup with everything the station sent made inert."""

    message, severity = _describe_answer(station_id, call)
    return markup_safe(message), severity


def _describe_answer(station_id: str, call: Any) -> tuple[str, str]:
    if call.state == "answered":
        response = call.response or {}
        status = response.get("status")
        if status is None and "setVariableResult" in response:
            status = ", ".join(r.get("attributeStatus", "?") for r in response["setVariableResult"])
        if status is None and "listVersion" in response:
            status = f"version {response['listVersion']}"
        if status is None and "versionNumber" in response:
            status = f"version {response['versionNumber']}"
        if status is None and "configurationKey" in response:
            status = f"{len(response['configurationKey'])} keys"
        if status is None and "getVariableResult" in response:
            status = ", ".join(
                f"{r['variable']['name']}={r.get('attributeValue', r.get('attributeStatus'))}"
                for r in response["getVariableResult"]
            )
        text = status if status is not None else json.dumps(response)[:120]
        if call.action == "ReserveNow":
            rid = call.request.get("reservationId", call.request.get("id"))
            text = f"{text} (reservation {rid})"
        ok = status not in ("Rejected", "NotSupported", "Failed", "UnknownMessageId")
        return f"{station_id} answered {call.action}: {text}", "information" if ok else "warning"
    if call.state == "pending":
        return f"{call.action} sent to {station_id}; no answer yet", "warning"
    why = {"timed-out": "no answer in time", "error": "refused with an error"}.get(
        call.state, call.state
    )
    detail = f" ({call.error_code}: {call.error_description})" if call.error_code else ""
    return f"{call.action} on {station_id}: {why}{detail}", "error"


class ActionMenuScreen(ModalScreen[str | None]):
    """Pick an action for a station (also reachable from the command palette)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="action_menu.cancel")
    ]

    def __init__(self, station_id: str) -> None:
        super().__init__()
        self.station_id = station_id

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Actions for {markup_safe(self.station_id)}")
            yield OptionList(*(Option(a.title, id=a.id) for a in ACTIONS), id="actions")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ActionFormScreen(ModalScreen[dict[str, Any] | None]):
    """The form of one action, validated inline; enter or the button submits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="action_form.cancel")
    ]

    def __init__(self, action: StationAction, station_id: str, **defaults: str) -> None:
        super().__init__()
        self.action, self.station_id, self.defaults = action, station_id, defaults

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"[b]{self.action.title}[/b] on {markup_safe(self.station_id)}")
            if self.action.help:
                yield Label(self.action.help, classes="help")
            for f in self.action.fields:
                yield Label(f.label)
                value = self.defaults.get(f.name, f.default)
                if f.kind == "choice":
                    yield Select(
                        [(c, c) for c in f.choices],
                        value=value if value in f.choices else f.choices[0],
                        allow_blank=False,
                        id=f"f-{f.name}",
                    )
                else:
                    yield BoundedInput(
                        value=value,
                        placeholder=f.placeholder,
                        id=f"f-{f.name}",
                        max_length=f.max_length,
                    )
            yield Label("", id="error", classes="error")
            with Horizontal():
                yield Button("Send", variant="primary", id="send")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        # Typing starts in the first text field; a form of choices only starts on Send, so
        # enter sends the defaults.
        inputs = self.query(Input)
        (inputs.first() if inputs else self.query_one("#send", Button)).focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.action.fields:
            widget = self.query_one(f"#f-{f.name}")
            raw = str(widget.value) if isinstance(widget, Input | Select) else ""
            out[f.name] = f.parse(raw)
        return out

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#send")
    @on(Input.Submitted)
    def submit(self) -> None:
        try:
            values = self.values()
        except ValueError as exc:
            self.query_one("#error", Label).update(str(exc))
            return
        self.dismiss(values)
