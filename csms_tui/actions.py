"""Every station action the console offers, declared once: its form fields (validated inline),
whether it asks for confirmation, and how it calls the service. The station table, the station
detail screen and the command palette all offer the same list."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from core import limits
from core.application.errors import ServiceError
from core.application.views import PasswordRotation, ReservationCommand, SecurityProfileUpgrade
from core.commands.base import Command
from core.commands.fields import Form
from core.commands.registry import COMMANDS
from csms_tui.answer_watch import SHORT_DATA
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
    # text | int | number | json | object (a JSON object) | choice | list (comma separated) |
    # pairs (key=value; …) | time (RFC 3339 or +30m/+2h/+1d from now)
    kind: str = "text"
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
        if self.kind in ("object", "json"):
            return self._json(text)
        if self.kind == "choice" and text not in self.choices:
            raise ValueError(f"{self.label} must be one of {', '.join(self.choices)}")
        if self.kind == "list":
            return [item.strip() for item in text.split(",") if item.strip()]
        if self.kind == "pairs":
            return self._pairs(text)
        if self.kind == "time":
            return _time(self.label, text)
        return text

    def _json(self, text: str) -> Any:
        """An ``object`` field's JSON object, or a ``json`` field's value (plain text too)."""
        try:
            value = json.loads(text)
        except ValueError as exc:
            if self.kind == "json":
                return text  # a plain string is valid DataTransfer data
            raise ValueError(f"{self.label} is not JSON: {exc}") from exc
        if self.kind == "object" and not isinstance(value, dict):
            raise ValueError(f"{self.label} must be a JSON object {{…}}")
        limits.check_json(self.label, value)
        return value

    def _pairs(self, text: str) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for item in text.split(";"):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"{self.label}: write key=value, separated by ;")
            pairs[key.strip()] = value.strip()
        return pairs


# Sends the command and returns once it went out: the pending call (a reservation's call), or —
# for the commands that decide on the answer (a password rotation, a profile upgrade) — their
# result once the answer is in. Raises ServiceError when the core refuses to send it.
Sender = Callable[[Any, str, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class StationAction:
    id: str
    title: str
    send: Sender
    fields: tuple[Field, ...] = ()
    confirm: bool = False
    help: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Said in the confirmation after the question: what the action changes beyond the obvious.
    warning: str = ""
    # The OCPP versions that have it: the menu offers only what the station's version has.
    versions: frozenset[str] = frozenset({"1.6", "2.0.1"})
    # Checks the form's values as the command will (rules across fields too), so a refusal
    # stays in the form beside its field instead of coming back from the server.
    check: Callable[[dict[str, Any]], object] | None = None
    # Whether ``send`` returns only with the answer (up to WAIT_SECONDS): the form says so.
    waits: bool = False

    def question(self, station_id: str, values: dict[str, Any]) -> str:
        """The confirmation of a destructive action, in the form's labels ("Kind Soft"), not
        the API's field names."""
        labels = {f.name: f.label for f in self.fields}
        details = ", ".join(f"{labels.get(k, k)} {v}" for k, v in values.items() if v is not None)
        return f"{self.title} on {station_id}{' (' + details + ')' if details else ''}?" + (
            f" {self.warning}" if self.warning else ""
        )

    def refusal(self, exc: ServiceError) -> tuple[str | None, str]:
        """(the form field it is about, the reason) for a refusal of the core. The field is
        found from the API's name (``evseId``, ``values/Key``, ``keys/0``); a refusal about the
        station itself (``csId``) or about no field of the form has none, and its reason is
        said without the internal name."""
        names = {to_camel(f.name): f.name for f in self.fields}
        names.update({f.name: f.name for f in self.fields})
        head, _, rest = (exc.field or "").partition("/")
        name = names.get(head)
        if name is None:
            return None, exc.message
        if rest:
            first = rest.split("/")[0]
            where = f"item {int(first) + 1}" if first.isdigit() else rest
            return name, f"{where}: {exc.message}"
        return name, exc.message

    def refusal_text(self, exc: ServiceError) -> str:
        """The refusal in one line, the field named by its label."""
        name, reason = self.refusal(exc)
        labels = {f.name: f.label for f in self.fields}
        return f"{labels[name]}: {reason}" if name is not None else reason


def _time(label: str, text: str) -> datetime:
    """RFC 3339 with a zone, or a time from now: +30m, +2h, +1d."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text.startswith("+") and text[-1:] in units and text[1:-1].isdigit():
        amount = limits.MINUTES.parse(label, text[1:-1])
        return datetime.now(UTC) + timedelta(**{units[text[-1]]: amount})
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{label}: write 2026-01-01T12:00:00Z or +30m, +2h, +1d") from exc
    if value.tzinfo is None:
        raise ValueError(f"{label} needs a time zone (e.g. Z)")
    return value


def _form_field(command: type[Command[Any]], name: str, info: FieldInfo) -> Field:
    """The console's input for one field of a command, read off its declaration."""
    annotation = info.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (UnionType, Union) and len(args) == 1:
        annotation = args[0]
    hint = next((m for m in info.metadata if isinstance(m, Form)), None)
    if hint is None and get_origin(annotation) is Annotated:
        hint = next((m for m in get_args(annotation)[1:] if isinstance(m, Form)), None)
    kind: str = "text"
    bound: limits.Bound | limits.NumberBound | None = None
    length: limits.Length | None = None
    choices: tuple[str, ...] = ()
    if hint is not None:
        kind, bound, length, choices = hint.kind, hint.bound, hint.length, hint.choices
    if get_origin(annotation) is Literal:
        kind, choices = "choice", tuple(str(a) for a in get_args(annotation))
    elif annotation is bool:
        kind, choices = "choice", ("yes", "no")
    elif get_origin(annotation) is list:
        kind, bound, length = "list", None, limits.FORM_TEXT
    elif get_origin(annotation) is dict and hint is None:
        kind, length = "pairs", limits.FORM_JSON
    default = command.form_defaults.get(name, "")
    has_default = not info.is_required() and info.default_factory is None
    if not default and has_default and info.default is not None and kind != "list":
        if isinstance(info.default, bool):
            default = "yes" if info.default else "no"
        else:
            default = str(info.default)
    return Field(
        name,
        info.title or name,
        default,
        required=info.is_required() and name not in command.form_defaults,
        kind=kind,
        choices=choices,
        placeholder=info.description or "",
        bound=bound,
        length=length,
    )


def _command_values(command: type[Command[Any]], values: dict[str, Any]) -> dict[str, Any]:
    """Form values as the command takes them: empty fields left to its defaults."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        info = command.model_fields[name]
        if info.annotation is bool or bool in get_args(info.annotation):
            value = value == "yes"
        elif get_origin(info.annotation) is Literal and value not in get_args(info.annotation):
            # A choice of numbers (a security profile) comes from the form as text.
            value = next((a for a in get_args(info.annotation) if str(a) == value), value)
        out[name] = value
    return out


def _waits(command: type[Command[Any]]) -> bool:
    """A rotation or an upgrade stores its change only once the station accepted it, inside the
    core's command: it cannot return before the answer is in."""
    return command.result in (PasswordRotation, SecurityProfileUpgrade)


def _sender(command: type[Command[Any]]) -> Sender:
    wait = WAIT_SECONDS if _waits(command) else None

    async def send(service: Any, station_id: str, values: dict[str, Any]) -> Any:
        parsed = command.parse(_command_values(command, values))
        # Without a wait, execute returns as soon as the call is sent (its record, pending):
        # the answer comes as the core's CallCompleted event (csms_tui.answers).
        result = await service.execute(station_id, parsed, wait=wait, origin="console")
        return result.call if isinstance(result, ReservationCommand) else result

    return send


def _action(command: type[Command[Any]]) -> StationAction:
    return StationAction(
        command.name,
        command.title,
        _sender(command),
        tuple(_form_field(command, n, f) for n, f in command.model_fields.items() if not f.exclude),
        confirm=command.confirm,
        help=command.summary,
        warning=command.warning,
        versions=frozenset(v.short for v in command.versions),
        check=lambda values: command.parse(_command_values(command, values)),
        waits=_waits(command),
    )


ACTIONS: tuple[StationAction, ...] = tuple(_action(c) for c in COMMANDS)
BY_ID = {a.id: a for a in ACTIONS}


def describe_answer(station_id: str, call: Any, late: bool = False) -> tuple[str, str]:
    """(message, severity) for a notification: the station's status, or why there is none.
    ``late``: the answer came after the console stopped waiting for it. The message is console
    markup with everything the station sent made inert."""

    message, severity = _describe_answer(station_id, call, late)
    return markup_safe(message), severity


def _status(response: dict[str, Any]) -> str | None:
    status = response.get("status")
    if status is None and "setVariableResult" in response:
        status = ", ".join(r.get("attributeStatus", "?") for r in response["setVariableResult"])
    if status is None and "listVersion" in response:
        status = f"version {response['listVersion']}"
    if status is None and "versionNumber" in response:
        status = f"version {response['versionNumber']}"
    if status is None and "configurationKey" in response:
        status = f"{len(response['configurationKey'])} keys"
        if response.get("unknownKey"):
            status += f", {len(response['unknownKey'])} unknown"
    if status is None and "getVariableResult" in response:
        status = ", ".join(
            f"{r['variable']['name']}={r.get('attributeValue', r.get('attributeStatus'))}"
            for r in response["getVariableResult"]
        )
    return None if status is None else str(status)


def _describe_answer(station_id: str, call: Any, late: bool) -> tuple[str, str]:
    if call.state == "answered":
        response = call.response or {}
        status = _status(response)
        text = status if status is not None else json.dumps(response)[:120]
        if call.action == "ReserveNow":
            rid = call.request.get("reservationId", call.request.get("id"))
            text = f"{text} (reservation {rid})"
        if call.action == "DataTransfer" and response.get("data") is not None:
            data = response["data"]
            # Short text data said here; longer data, or JSON, is in the answer's dialog.
            if isinstance(data, str) and len(data) <= SHORT_DATA:
                text += f" · data: {data}"
            else:
                size = len(data if isinstance(data, str) else json.dumps(data))
                text += f" · data: {size} characters, shown in full in a dialog"
        schedule = response.get("chargingSchedule") or response.get("schedule")
        if call.action == "GetCompositeSchedule" and isinstance(schedule, dict):
            periods = schedule.get("chargingSchedulePeriod") or []
            text += f" · {len(periods)} period{'' if len(periods) == 1 else 's'}"
        ok = status not in ("Rejected", "NotSupported", "Failed", "UnknownMessageId")
        answered = "answered late" if late else "answered"
        return f"{station_id} {answered} {call.action}: {text}", "information" if ok else "warning"
    if call.state == "pending":
        return (
            f"{call.action} sent to {station_id}: no answer in {WAIT_SECONDS:.0f} s, still "
            "pending — its answer will show here when it comes",
            "warning",
        )
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

    def __init__(self, station_id: str, version: str | None = None) -> None:
        super().__init__()
        self.station_id = station_id
        self.version = version

    def compose(self) -> ComposeResult:
        # Only what the station's OCPP version has (all, while its version is unknown).
        offered = [a for a in ACTIONS if self.version is None or self.version in a.versions]
        with Vertical(id="dialog"):
            label = f"Actions for {markup_safe(self.station_id)}"
            yield Label(f"{label} (OCPP {self.version})" if self.version else label)
            yield OptionList(*(Option(a.title, id=a.id) for a in offered), id="actions")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


# Not offered for many stations at once: their values are one station's own (a transaction or
# reservation id), or their answer is (a new password, shown once).
NOT_BULK = frozenset({"remote_stop", "cancel_reservation", "rotate_password"})


class BulkActionMenuScreen(ActionMenuScreen):
    """Pick an action for the marked stations: only what every one's OCPP version has."""

    def __init__(self, station_ids: Sequence[str], versions: Sequence[str | None]) -> None:
        super().__init__(f"{len(station_ids)} marked stations")
        self.versions = list(versions)

    def compose(self) -> ComposeResult:
        offered = [
            a
            for a in ACTIONS
            if a.id not in NOT_BULK and all(v is None or v in a.versions for v in self.versions)
        ]
        known = sorted({v for v in self.versions if v is not None})
        with Vertical(id="dialog"):
            label = f"Actions for {self.station_id}"
            yield Label(f"{label} (OCPP {', '.join(known)})" if known else label)
            yield OptionList(*(Option(a.title, id=a.id) for a in offered), id="actions")


# Starts sending a filled form's values (csms_tui.panes.stations): the form stays open until
# the sender calls its ``sent()``, or ``refused()`` with the core's refusal.
Starter = Callable[["ActionFormScreen", dict[str, Any]], None]


class ActionFormScreen(ModalScreen[dict[str, Any] | None]):
    """The form of one action, validated inline; enter or the button submits.

    With a ``send`` starter the form sends the command itself (after the confirmation of a
    destructive one) and stays open meanwhile: Send disabled, "sending…" said. A refusal of
    the core is shown beside the field it names, the input kept; the form closes once the
    command went out. Without one it is dismissed with the values."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="action_form.cancel")
    ]

    def __init__(
        self,
        action: StationAction,
        station_id: str,
        send: Starter | None = None,
        **defaults: str,
    ) -> None:
        super().__init__()
        self.action, self.station_id, self.defaults = action, station_id, defaults
        self._send = send
        self.sending = False
        self._close_on_resume = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"[b]{self.action.title}[/b] on {markup_safe(self.station_id)}")
            if self.action.help:
                # Static, not Label: the help wraps instead of being cut at the dialog's edge.
                yield Static(self.action.help, classes="help")
            # Scrolls when the fields are more than the terminal's height (7 fields at 80×24):
            # Send and the errors below stay in view.
            with VerticalScroll(id="fields"):
                for f in self.action.fields:
                    yield Label(f.label)
                    value = self.defaults.get(f.name, f.default)
                    if f.kind == "choice":
                        # An optional choice without a default can be left out.
                        blank = not f.required and not f.default
                        yield Select(
                            [(c, c) for c in f.choices],
                            value=value
                            if value in f.choices
                            else (Select.NULL if blank else f.choices[0]),
                            allow_blank=blank,
                            id=f"f-{f.name}",
                        )
                    else:
                        yield BoundedInput(
                            value=value,
                            placeholder=f.placeholder,
                            id=f"f-{f.name}",
                            max_length=f.max_length,
                        )
                    yield Static("", id=f"e-{f.name}", classes="error field-error")
            # The form's own reason and "sending…" take a line only while there is one.
            yield Static("", id="error", classes="error").set_styles("display: none;")
            yield Static("", id="status", classes="help").set_styles("display: none;")
            with Horizontal():
                yield Button("Send", variant="primary", id="send")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        # Typing starts in the first text field; in a form of choices only, enter opens the
        # first list (sending what was never looked at would be a guess); no fields: Send.
        inputs, selects = self.query(Input), self.query(Select)
        first = inputs.first() if inputs else selects.first() if selects else None
        (first or self.query_one("#send", Button)).focus()
        self.call_after_refresh(self.fit_fields)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_fields)

    def fit_fields(self) -> None:
        """Cap the fields' height at what the terminal leaves beside the title, help, reasons
        and buttons. CSS cannot say it: a ``max-height: 1fr`` inside the auto-height dialog
        does not shrink, so at 80×24 the fields pushed Send off the screen."""
        dialogs, scrolls = self.query("#dialog"), self.query("#fields").results(VerticalScroll)
        found = list(scrolls)
        if not self.is_attached or not dialogs or not found:
            return  # dismissed before this ran (it runs after a refresh)
        dialog, fields = dialogs.first(), found[0]
        others = sum(
            child.outer_size.height + child.styles.margin.height
            for child in dialog.children
            if child is not fields and child.display
        )
        room = self.size.height - dialog.styles.gutter.height - others
        fields.styles.max_height = max(3, room)

    def values(self) -> dict[str, Any]:
        """Every field's typed value, or ValueError with the reasons by field name."""
        out: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for f in self.action.fields:
            widget = self.query_one(f"#f-{f.name}")
            if isinstance(widget, Select):
                raw = "" if widget.is_blank() else str(widget.value)
            else:
                raw = str(widget.value) if isinstance(widget, Input) else ""
            try:
                out[f.name] = f.parse(raw)
            except ValueError as exc:
                errors[f.name] = str(exc)
        if errors:
            raise FormErrors(errors)
        return out

    @property
    def errors(self) -> dict[str, str]:
        """The reasons shown: by field name, the form's own under ``""``."""
        shown = {"": str(self.query_one("#error", Static).render())}
        for f in self.action.fields:
            shown[f.name] = str(self.query_one(f"#e-{f.name}", Static).render())
        return {k: v for k, v in shown.items() if v}

    def error_text(self) -> str:
        """Every reason shown, one a line (what the operator reads)."""
        return "\n".join(self.errors.values())

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each reason beside its field (``""``: the form's own line); the first field with
        one gets the focus, so the correction starts there."""
        general = self.query_one("#error", Static)
        general.update(markup_safe(errors.get("", "")))
        general.display = bool(errors.get(""))
        self.call_after_refresh(self.fit_fields)  # a reason below the fields takes room
        first: str | None = None
        for f in self.action.fields:
            text = errors.get(f.name, "")
            box = self.query_one(f"#e-{f.name}", Static)
            box.update(markup_safe(text))
            box.set_class(bool(text), "-shown")
            if text and first is None:
                first = f.name
        if first is not None:
            self.query_one(f"#f-{first}").focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.sending:
            # The command is on its way and cannot be called back: its outcome is reported
            # as a notification instead of here.
            self.notify(
                f"{markup_safe(self.action.title)} is on its way to "
                f"{markup_safe(self.station_id)}: its outcome will show here",
                timeout=4,
            )
        self.dismiss(None)

    @on(Button.Pressed, "#send")
    @on(Input.Submitted)
    def submit(self) -> None:
        if self.sending:
            return  # one command per press: a second Enter must not send it twice
        try:
            values = self.values()
            if self.action.check is not None:
                self.action.check(values)
        except FormErrors as exc:
            self.show_errors(exc.by_field)
            return
        except ServiceError as exc:
            name, reason = self.action.refusal(exc)
            self.show_errors({name or "": reason})
            return
        if self._send is None:
            self.dismiss(values)
            return
        if not self.action.confirm:
            self._start(values)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(values)

        # Asked over the form: a "no" leaves the form as it was, to correct or cancel. (Imported
        # here: the dialogs' module uses this one's BoundedInput.)
        from csms_tui.modals import ConfirmScreen

        self.app.push_screen(ConfirmScreen(self.action.question(self.station_id, values)), answered)

    def _start(self, values: dict[str, Any]) -> None:
        assert self._send is not None
        self.show_errors({})
        self.sending = True
        self.query_one("#send", Button).disabled = True
        wait = (
            f" and waits for the answer (up to {WAIT_SECONDS:.0f} s)" if self.action.waits else ""
        )
        status = self.query_one("#status", Static)
        status.update(f"sending{wait}…")
        status.display = True
        self.call_after_refresh(self.fit_fields)
        self._send(self, values)

    def refused(self, exc: ServiceError) -> None:
        """The core refused to send it: the reason beside its field, the input kept."""
        self._sending_done()
        name, reason = self.action.refusal(exc)
        self.show_errors({name or "": reason})

    def sent(self) -> None:
        """The command went out: the form closes (its answer is reported by the sender)."""
        self._sending_done()
        if self.app.screen is self:
            self.dismiss(None)
        else:
            # Something opened over the form meanwhile (the palette): dismiss() pops the top
            # screen, so the form closes when it is on top again.
            self._close_on_resume = True

    def on_screen_resume(self) -> None:
        if self._close_on_resume:
            self._close_on_resume = False
            self.dismiss(None)

    def _sending_done(self) -> None:
        self.sending = False
        self.query_one("#send", Button).disabled = False
        self.query_one("#status", Static).display = False
        self.call_after_refresh(self.fit_fields)


class FormErrors(ValueError):
    """The form's values that did not parse, each with its reason."""

    def __init__(self, by_field: dict[str, str]) -> None:
        super().__init__("; ".join(by_field.values()))
        self.by_field = by_field
