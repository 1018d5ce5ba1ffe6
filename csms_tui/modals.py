"""The console's small dialogs: questions and forms over the screen that opened them, each
dismissed with its answer (``ModalScreen[T]``) for the caller to act on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from core import limits
from core.application.errors import ServiceError
from csms_tui.actions import BoundedInput
from csms_tui.answer_watch import AnswerContent
from csms_tui.inert import inert, markup_safe, plain
from csms_tui.resilience import KeepsRunning


class ConfirmScreen(KeepsRunning, ModalScreen[bool]):
    """A yes/no question for destructive actions. No has the focus: an Enter meant for the
    form behind (or pressed twice) must not reset a station; y and n answer directly."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            # wraps (a Label cuts a long question); plain: it may name a refused station's id
            yield Static(plain(self.question), id="question")
            with Horizontal():
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_cancel(self) -> None:
        self.dismiss(False)


class FilterScreen(KeepsRunning, ModalScreen[str | None]):
    """Filter a list: words every shown row contains; the message log also knows fields."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel")
    ]

    def __init__(self, current: str, messages: bool = True) -> None:
        super().__init__()
        self.current = current
        self.messages = messages

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                "Filter messages: words match station, action or error code; "
                "station:ID action:NAME dir:in|out errors; empty = all"
                if self.messages
                else "Filter: rows containing every word (any column); empty = all"
            )
            yield BoundedInput(value=self.current, id="filter", max_length=limits.FORM_TEXT.hi)

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


CERTIFICATE_TYPES = ("CSMS", "V2G", "MO", "MF")


class InstallCertificateScreen(ModalScreen[tuple[str, str] | None]):
    """Install a root certificate from a PEM file: path and type (CSMS, V2G, MO, MF)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="install_cert.cancel")
    ]

    def __init__(self, station_id: str = "") -> None:
        super().__init__()
        self.station_id = station_id

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            target = f" on {markup_safe(self.station_id)}" if self.station_id else ""
            yield Label(f"Install a root certificate{target} (pushed by sync)")
            yield BoundedInput(placeholder="PEM file path", id="path", max_length=limits.PATH.hi)
            yield BoundedInput(
                value="CSMS",
                placeholder="type: " + ", ".join(CERTIFICATE_TYPES),
                id="kind",
                max_length=max(map(len, CERTIFICATE_TYPES)),
            )
            yield Label("", id="error", classes="error")

    @on(Input.Submitted)
    def submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        kind = self.query_one("#kind", Input).value.strip().upper()
        error = self.query_one("#error", Label)
        if not path:
            error.update("the path of a PEM file is required")
            return
        if kind not in CERTIFICATE_TYPES:
            error.update("the type must be " + ", ".join(CERTIFICATE_TYPES))
            return
        self.dismiss((path, kind))

    def action_cancel(self) -> None:
        self.dismiss(None)


TOKEN_TYPES = ("RFID", "AD_HOC_USER", "APP_USER", "OTHER")


def parse_expiry(text: str) -> datetime | None:
    """An expiry as typed: empty for none, else RFC 3339 with a time zone (a naive time would
    be read differently by the core and the stations). Raises ValueError with what to type."""
    if not text:
        return None
    try:
        # 3.11's fromisoformat reads the "Z" of RFC 3339 as well as "+02:00".
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expiry: a date and time, e.g. 2027-01-31T23:59:00Z") from None
    if when.tzinfo is None or "T" not in text.upper():
        raise ValueError("expiry: needs a time and a zone, e.g. 2027-01-31T23:59:00Z")
    return when


def expiry_text(when: datetime | None) -> str:
    if when is None:
        return ""
    return when.isoformat().replace("+00:00", "Z")


class TokenFormScreen(ModalScreen[dict[str, Any] | None]):
    """Add or edit a token: uid, contract id (eMAID, checked by the service), type, group and
    expiry. Dismissed with the values, the expiry parsed (``None``: never expires)."""

    # Here, not in app.tcss: the same rules as ActionFormScreen's, so the form never
    # outgrows an 80×24 terminal.
    DEFAULT_CSS = """
    TokenFormScreen #dialog { max-height: 100%; }
    TokenFormScreen #fields { height: auto; max-height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="token_form.cancel")
    ]

    def __init__(self, token: Any = None) -> None:
        super().__init__()
        self.token = token

    def compose(self) -> ComposeResult:
        from textual.widgets import Select

        t = self.token
        with Vertical(id="dialog"):
            yield Label(f"Edit token {markup_safe(t.uid)}" if t else "Add a token")
            # Scrolls at 80×24 (five fields and their labels): Save stays in view.
            with VerticalScroll(id="fields"):
                yield BoundedInput(
                    value=t.uid if t else "",
                    placeholder=f"uid (RFID, up to {limits.ID_TOKEN.hi} characters)",
                    id="uid",
                    disabled=t is not None,  # the uid is the token's identity
                    max_length=limits.ID_TOKEN.hi,
                )
                yield BoundedInput(
                    value=t.contract_id if t else "",
                    placeholder="contract id / eMAID, e.g. GBTWK012345678",
                    id="contract",
                    max_length=limits.ID_TOKEN.hi,
                )
                yield Label("Type")
                current = t.type if t else "RFID"
                yield Select(
                    [(kind, kind) for kind in TOKEN_TYPES],
                    value=current if current in TOKEN_TYPES else "RFID",
                    allow_blank=False,
                    id="type",
                )
                yield BoundedInput(
                    value=(t.group_id or "") if t else "",
                    placeholder="group id (optional)",
                    id="group",
                    max_length=limits.ID_TOKEN.hi,
                )
                yield BoundedInput(
                    value=expiry_text(t.expiry_date) if t else "",
                    placeholder="expiry (optional), e.g. 2027-01-31T23:59:00Z",
                    id="expiry",
                    max_length=limits.FORM_TEXT.hi,
                )
            yield Label("", id="error", classes="error")
            with Horizontal():
                yield Button("Save" if t else "Add", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#add")
    @on(Input.Submitted)
    def submit(self) -> None:
        from textual.widgets import Select

        uid = self.query_one("#uid", Input).value.strip()
        contract = self.query_one("#contract", Input).value.strip()
        group = self.query_one("#group", Input).value.strip()
        kind = self.query_one("#type", Select).value
        error = self.query_one("#error", Label)
        if not uid or len(uid) > limits.ID_TOKEN.hi:
            error.update(f"the uid must be 1 to {limits.ID_TOKEN.hi} characters")
            return
        if not contract:
            error.update("a contract id is required")
            return
        if len(contract) > limits.ID_TOKEN.hi or len(group) > limits.ID_TOKEN.hi:
            error.update(f"contract and group ids have at most {limits.ID_TOKEN.hi} characters")
            return
        try:
            expiry = parse_expiry(self.query_one("#expiry", Input).value.strip())
        except ValueError as exc:
            error.update(str(exc))
            return
        self.dismiss(
            {
                "uid": uid,
                "contract_id": contract,
                "type": kind if kind in TOKEN_TYPES else "RFID",
                "group_id": group or None,
                "expiry_date": expiry,
            }
        )

    def on_mount(self) -> None:
        self.query_one("#contract" if self.token else "#uid", Input).focus()


class RegisterStationScreen(ModalScreen[Any]):
    """Register a new station. The form sends the registration itself and stays open when the
    core refuses it (an id already registered, …): the input is kept and the reason shown
    beside it. Dismissed with the registration once it succeeded.

    ``wss`` is whether the daemon has a TLS listener (None: the console cannot know, e.g. over
    --connect). The profile offered first is one a station can actually reach: 1 (TLS + basic
    auth) only with a wss listener, otherwise 0 (plain ws + basic auth)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="register.cancel")
    ]
    PROFILES: ClassVar[list[tuple[str, int]]] = [
        ("0 · no TLS, basic auth (OCPP profile 1)", 0),
        ("1 · TLS + basic auth (OCPP profile 2)", 1),
        ("2 · TLS + client certificate (OCPP profile 3)", 2),
    ]

    def __init__(
        self,
        register: Callable[[str, int], Awaitable[Any]],
        station_id: str = "",
        wss: bool | None = None,
    ) -> None:
        super().__init__()
        self.station_id = station_id
        self.wss = wss
        self._register = register
        self._sending = False

    @property
    def default_profile(self) -> int:
        return 1 if self.wss else 0

    def profile_note(self) -> str:
        if self.wss:
            return "This CSMS listens on wss: profile 1 (TLS) is offered first."
        if self.wss is False:
            return (
                "This CSMS has no wss listener (gateway.wss_addr): stations can only use "
                "profile 0 until one is configured; profiles 1 and 2 need it."
            )
        return (
            "Profiles 1 and 2 need a wss listener on the CSMS (gateway.wss_addr); "
            "profile 0 works over plain ws."
        )

    def compose(self) -> ComposeResult:
        from textual.widgets import Select

        with Vertical(id="dialog"):
            yield Label("Register a new station")
            yield BoundedInput(
                value=inert(self.station_id),  # a refused id may hold anything; valid ones stay
                placeholder="station id",
                id="station-id",
                max_length=limits.STATION_ID.hi,
            )
            yield Select(self.PROFILES, value=self.default_profile, allow_blank=False, id="profile")
            yield Static(self.profile_note(), id="profile-note", classes="help")
            # Static, not Label: a refusal with its how-to wraps instead of being cut.
            yield Static("", id="error", classes="error")
            with Horizontal():
                yield Button("Register", variant="primary", id="register")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#register")
    @on(Input.Submitted)
    def submit(self) -> None:
        from textual.widgets import Select

        from core.application.errors import Invalid
        from core.application.rules import validate_station_id

        if self._sending:
            # A second press while the first is on its way is ignored, not sent again: the
            # first registration's answer — the password, shown once — must not be lost to a
            # second one that can only be refused (the id then exists).
            return
        station_id = self.query_one("#station-id", Input).value.strip()
        try:
            validate_station_id(station_id)
        except Invalid as exc:
            self.query_one("#error", Static).update(plain(f"station id: {exc.message}"))
            return
        profile = self.query_one("#profile", Select).value
        self.query_one("#error", Static).update("")
        self._sending = True
        self._send(station_id, int(profile) if isinstance(profile, int) else self.default_profile)

    @work(group="register-form")
    async def _send(self, station_id: str, profile: int) -> None:
        try:
            registration = await self._register(station_id, profile)
        except ServiceError as exc:
            self.query_one("#error", Static).update(plain(exc.message))
            return
        finally:
            self._sending = False
        self.dismiss(registration)


class RegistrationResultScreen(ModalScreen[None]):
    """The connection URL and the generated password — shown once, like the seed's connect
    page; the CSMS keeps only the password's hash."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_screen", "Close", id="registration.close")
    ]

    def __init__(self, registration: Any) -> None:
        super().__init__()
        self.registration = registration

    def compose(self) -> ComposeResult:
        r = self.registration
        with Vertical(id="dialog"):
            yield Label(
                f"[b]{markup_safe(r.station_id)}[/b] registered "
                f"(security profile {r.security_profile})"
            )
            yield Label("Connection URL")
            yield BoundedInput(value=r.url, id="url", max_length=max(limits.URL.hi, len(r.url)))
            if r.password:
                yield Label("Password — shown only now: copy it to the station")
                yield BoundedInput(value=r.password, id="password", max_length=limits.PASSWORD.hi)
                yield Label(plain(f"username: {r.station_id}"))
            with Horizontal():
                yield Button("Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def action_dismiss_screen(self) -> None:
        self.dismiss(None)


class NewPasswordScreen(ModalScreen[None]):
    """A station's new password after a rotation it accepted — shown once, like at
    registration."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_screen", "Close", id="new_password.close")
    ]

    def __init__(self, station_id: str, password: str) -> None:
        super().__init__()
        self.station_id, self.password = station_id, password

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"[b]{markup_safe(self.station_id)}[/b] accepted its new password")
            yield Label("Password — shown only now; the old one no longer works")
            yield BoundedInput(value=self.password, id="password", max_length=limits.PASSWORD.hi)
            with Horizontal():
                yield Button("Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def action_dismiss_screen(self) -> None:
        self.dismiss(None)


class AnswerScreen(KeepsRunning, ModalScreen[None]):
    """What a station answered, in full: a composite schedule's periods, configuration keys
    (and those it does not know), DataTransfer data. It only closes (escape or its button): a
    keystroke meant for the screen behind does nothing here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="answer.close"),
    ]

    def __init__(self, content: AnswerContent) -> None:
        super().__init__()
        self.content = content

    def compose(self) -> ComposeResult:
        c = self.content
        with Vertical(id="dialog"):
            yield Static(plain(c.title, "bold"), id="answer-title")
            if c.columns:
                yield DataTable(id="answer-table", cursor_type="row", zebra_stripes=True)
                if not c.rows:
                    yield Static("nothing in the answer", classes="help")
            if c.text:
                with VerticalScroll(id="answer-text"):
                    yield Static(plain(c.text))
            with Horizontal():
                yield Button("Close", variant="primary", id="close")

    def on_mount(self) -> None:
        if self.content.columns:
            table = self.query_one("#answer-table", DataTable)
            table.add_columns(*self.content.columns)
            for row in self.content.rows:
                table.add_row(*(plain(cell) for cell in row))
            table.focus()
        else:
            self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
