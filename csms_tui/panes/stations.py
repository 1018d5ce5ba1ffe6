"""The Stations tab: every station the CSMS knows or has refused, updated in place, and the
commands sent to a station (from here, its detail screen or the palette)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, Protocol, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from core.application.errors import NotFound, ServiceError
from core.application.rules import ACCEPTING
from core.application.views import (
    CallView,
    ConnectorView,
    PasswordRotation,
    SecurityProfileUpgrade,
    StationSummary,
)
from core.events import (
    CallCompleted,
    ConnectionRefused,
    Event,
    MessageLogged,
    Resync,
    StationBooted,
    StationConnected,
    StationDisconnected,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from csms_tui.actions import (
    BY_ID,
    WAIT_SECONDS,
    ActionFormScreen,
    ActionMenuScreen,
    BulkActionMenuScreen,
    StationAction,
    describe_answer,
)
from csms_tui.answer_watch import AnswerContent, AnswerWatch, answer_content, completed_event
from csms_tui.inert import markup_safe
from csms_tui.line_table import ERROR, MUTED, WARNING, KeyedTable
from csms_tui.modals import (
    AnswerScreen,
    ConfirmScreen,
    NewPasswordScreen,
    RegisterStationScreen,
    RegistrationResultScreen,
)
from csms_tui.panes.base import LivePane
from csms_tui.screens import StationDetailScreen
from csms_tui.site_overview import Alert, SiteOverview, SiteTally
from csms_tui.timefmt import clock

# (key, title, maximum width): the widths grow with the content up to the maximum. What a
# field engineer looks for first comes first — state, connectors, last contact — so that an
# 80-column terminal shows it.
COLUMNS = (
    ("id", "Station", 24),
    ("state", "State", 36),
    ("connectors", "Connectors", 40),
    ("seen", "Last seen UTC", 13),
    ("tx", "Active tx", 16),
    ("version", "OCPP", 6),
    ("model", "Vendor / model", 28),
    ("profile", "Profile", 7),
)
# A transaction changes its station's row too (the active transactions column).
STATION_EVENTS = (
    StationConnected,
    StationDisconnected,
    StationBooted,
    StatusChanged,
    ConnectionRefused,
    TransactionStarted,
    TransactionUpdated,
    TransactionEnded,
)
# What a station's row is read back as: its summary, or None when it is not registered.
Summaries = dict[str, StationSummary | None]
# Connector statuses that need someone: the colour says which (error: broken, warning: out of
# service on purpose or reserved-off).
TONES = {"Faulted": ERROR, "Unavailable": WARNING}
# The filter term `f` adds: a faulted connector's cell ("1:Faulted", "1/1:Faulted"), which a
# station id hardly contains, so the faulted-only view is the table's own filter.
FAULTED_TERM = ":faulted"
# A marked row's station cell starts with this (the row keys stay the station ids).
MARK = "✓ "


class ConsoleListeners(Protocol):
    """What the console knows of the CSMS's listeners: whether stations can reach it over
    wss (None: it cannot know, e.g. a remote daemon)."""

    wss_listener: bool | None


class ConsoleBell(Protocol):
    """Whether the console rings the terminal bell on an alert (``tui.bell``)."""

    bell_on_alert: bool


def connectors_text(version: str | None, connectors: Sequence[ConnectorView]) -> str:
    """``1:Charging`` for 1.6; ``EVSE/connector:Status`` for 2.0.1, where one EVSE's
    connector 1 and another's are both connector 1 (``1/1:Occupied 2/1:Available``)."""
    if version == "2.0.1":
        return " ".join(f"{c.evse_id}/{c.connector_id}:{c.status}" for c in connectors) or "-"
    return " ".join(f"{c.connector_id}:{c.status}" for c in connectors) or "-"


def connectors_tone(connectors: Sequence[ConnectorView]) -> str:
    """The most urgent colour among the connectors ("" when none needs one)."""
    tones = {TONES.get(c.status, "") for c in connectors}
    return ERROR if ERROR in tones else WARNING if WARNING in tones else ""


def accepted(call: CallView) -> bool:
    response = call.response or {}
    results = response.get("setVariableResult")
    if isinstance(results, list) and results:
        return all(r.get("attributeStatus") in ACCEPTING for r in results)
    return response.get("status") in ACCEPTING


class StationsPane(LivePane[str, Summaries]):
    # The pane's own keys: they act while its table has the focus (the Stations tab on show).
    # Not in the footer, which is full at 80 columns: the overview line above the table says
    # `f`, and the help panel (?) lists both.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "faulted_only", "Faulted only", id="station.faulted", show=False),
        Binding("space", "toggle_mark", "Mark station", id="station.mark", show=False),
    ]

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.tally = SiteTally()
        self.faulted_only = False
        self.marked: set[str] = set()  # stations marked for a command sent to all of them
        self.refused: dict[str, str] = {}  # station → why its last connection was refused
        self.versions: dict[str, str] = {}  # station → its OCPP version, for the action menu
        self.registered: set[str] = set()  # stations the CSMS knows (not refused ones)
        # station → its last frame in: "Last seen" moves with every Heartbeat without a store
        # read (the core's MessageLogged events carry every frame).
        self.seen: dict[str, datetime] = {}
        self.answers = AnswerWatch()
        self.last_answer: AnswerContent | None = None

    def compose(self) -> ComposeResult:
        yield SiteOverview(id="site-overview")
        yield KeyedTable(COLUMNS, id="stations-table")

    def on_mount(self) -> None:
        super().on_mount()
        self.show_overview()

    def show_overview(self) -> None:
        self.query_one(SiteOverview).show(self.tally, self.faulted_only, len(self.marked))

    async def load(self) -> int:
        """Every station, in place; the number of them."""
        assert self.service is not None
        page = await self.service.list_stations(limit=1000)
        with self.app.batch_update():
            for station in page.stations:
                self.upsert(station)
            self.show_overview()
        return len(page.stations)

    def apply(self, batch: Sequence[Event]) -> None:
        frames: dict[str, datetime] = {}
        for e in batch:
            if isinstance(e, MessageLogged):
                if e.direction == "in":
                    frames[e.station_id] = e.at
                continue
            if isinstance(e, STATION_EVENTS):
                self.mark(e.station_id)
            if isinstance(e, ConnectionRefused):
                self.refused[e.station_id] = e.reason
            elif isinstance(e, CallCompleted):
                self.answers.offer(e)
            elif isinstance(e, Resync) and self.answers.late_ids():
                self.run_worker(self.recheck_late(), group="answers")
        if frames:
            self.show_seen(frames)
        alerts = self.tally.apply(batch)
        if alerts:
            self.alert(alerts)
        self.show_overview()  # the power moves with the meter values
        # An open station detail follows its station too.
        for screen in self.app.screen_stack:
            if isinstance(screen, StationDetailScreen):
                screen.apply(batch)

    def show_seen(self, frames: dict[str, datetime]) -> None:
        """The stations' last contact from their frames: one cell each, no store read."""
        table = self.query_one("#stations-table", KeyedTable)
        for station_id, at in frames.items():
            if station_id not in self.registered:
                continue  # a row not loaded yet shows its time when it is
            before = self.seen.get(station_id)
            if before is None or at > before:
                self.seen[station_id] = at
                table.set_cell(station_id, "seen", clock(at))

    async def read(self, keys: set[str]) -> Summaries:
        assert self.service is not None
        summaries: Summaries = {}
        for station_id in keys:
            try:
                summaries[station_id] = await self.service.station_summary(station_id)
            except NotFound:  # refused: it tried to connect but is not registered
                summaries[station_id] = None
        return summaries

    def show(self, rows: Summaries) -> None:
        for station_id, summary in rows.items():
            if summary is None:
                self.registered.discard(station_id)
                self.tally.forget(station_id)
                self.show_refused(station_id)
            else:
                self.upsert(summary)
        self.show_overview()

    def alert(self, alerts: Sequence[Alert]) -> None:
        """A station faulted or dropped: a notification each, and one bell for the burst
        (a site going down together rings once, not a hundred times)."""
        for a in alerts:
            self.notify(markup_safe(a.text), severity="error", timeout=10)
        if cast(ConsoleBell, self.app).bell_on_alert:
            self.app.bell()

    def upsert(self, s: StationSummary) -> None:
        table = self.query_one("#stations-table", KeyedTable)
        self.registered.add(s.station_id)
        if s.ocpp_version:
            self.versions[s.station_id] = s.ocpp_version
        refused = self.refused.get(s.station_id) if not s.connected else None
        state = "● online" if s.connected else "○ offline"
        # The store's time, or a later frame's (the store writes Heartbeat times in bulk).
        seen = s.last_seen_at
        if s.station_id in self.seen and (seen is None or self.seen[s.station_id] > seen):
            seen = self.seen[s.station_id]
        elif seen is not None:
            self.seen[s.station_id] = seen
        self.tally.update(s)
        row = {
            "id": self.id_cell(s.station_id),
            "state": f"✗ {refused}" if refused else state,
            "version": s.ocpp_version or "-",
            "model": f"{s.vendor} {s.model}".strip() or "-",
            "connectors": connectors_text(s.ocpp_version, s.connectors),
            "tx": ", ".join(t.transaction_id for t in s.active_transactions) or "-",
            "seen": clock(seen),
            "profile": str(s.security_profile),
        }
        if s.connected:
            self.refused.pop(s.station_id, None)
        tone = ERROR if refused else "" if s.connected else MUTED
        cell_tones = {"connectors": t} if (t := connectors_tone(s.connectors)) else None
        table.upsert(s.station_id, row, tone, cell_tones)

    def show_refused(self, station_id: str) -> None:
        """A station that tried to connect but is not registered: shown, one key to register."""
        reason = self.refused.get(station_id, "unknown")
        row = {
            "id": self.id_cell(station_id),
            "state": f"✗ {reason} (g: register)",
            "version": "-",
            "model": "-",
            "connectors": "-",
            "tx": "-",
            "seen": clock(datetime.now(UTC)),
            "profile": "-",
        }
        self.query_one("#stations-table", KeyedTable).upsert(station_id, row, ERROR)

    def id_cell(self, station_id: str) -> str:
        return MARK + station_id if station_id in self.marked else station_id

    def set_filter(self, text: str) -> None:
        super().set_filter(text)
        self.apply_filter()

    def apply_filter(self) -> None:
        """The operator's words, and the faulted connectors' term while `f` is on."""
        text = f"{self.filter_text} {FAULTED_TERM}" if self.faulted_only else self.filter_text
        self.query_one("#stations-table", KeyedTable).set_filter(text.strip())

    def action_faulted_only(self) -> None:
        """`f`: only the faulted stations (the fault list), or all again."""
        self.faulted_only = not self.faulted_only
        self.apply_filter()
        self.show_overview()

    def action_toggle_mark(self) -> None:
        """`space`: mark the highlighted station for a command to all marked (`c`), or
        unmark it."""
        station_id = self.selected()
        if station_id is None:
            return
        if station_id in self.marked:
            self.marked.discard(station_id)
        else:
            self.marked.add(station_id)
        self.query_one("#stations-table", KeyedTable).set_cell(
            station_id, "id", self.id_cell(station_id)
        )
        self.show_overview()

    def selected(self, quiet: bool = False) -> str | None:
        key = self.query_one("#stations-table", KeyedTable).cursor_key
        if key is None and not quiet:
            self.notify("no station selected", severity="warning")
        return key

    def open_detail(self) -> None:
        assert self.service is not None
        station_id = self.selected()
        if station_id is not None:
            self.app.push_screen(StationDetailScreen(self.service, station_id))

    # --- commands --------------------------------------------------------------------------------

    def choose_action(self) -> None:
        if self.marked:
            self.choose_bulk_action()
            return
        station_id = self.selected()
        if station_id is None:
            return

        def chosen(action_id: str | None) -> None:
            if action_id is not None:
                self.start_action(station_id, action_id)

        self.app.push_screen(ActionMenuScreen(station_id, self.versions.get(station_id)), chosen)

    def choose_bulk_action(self) -> None:
        """`c` with stations marked: the commands every marked station's version has, one
        form, then the command to each; each answer is reported as a single one is (and the
        Operations tab lists every call)."""
        stations = sorted(self.marked)
        versions = [self.versions.get(s) for s in stations]

        def chosen(action_id: str | None) -> None:
            if action_id is not None:
                self.start_bulk(stations, BY_ID[action_id])

        self.app.push_screen(BulkActionMenuScreen(stations, versions), chosen)

    def start_bulk(self, stations: list[str], action: StationAction) -> None:
        label = f"{len(stations)} stations ({', '.join(stations)})"

        def send(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            if not action.confirm:
                self.send_bulk(stations, action, values)
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.send_bulk(stations, action, values)

            self.app.push_screen(ConfirmScreen(action.question(label, values)), confirmed)

        if action.fields:
            # No sender: the form is dismissed with its values, checked as for one station.
            self.app.push_screen(ActionFormScreen(action, label), send)
        else:
            send({})

    def send_bulk(self, stations: list[str], action: StationAction, values: dict[str, Any]) -> None:
        self.notify(f"{markup_safe(action.title)}: sending to {len(stations)} stations")
        for station_id in stations:
            self.send_command(None, station_id, action, dict(values))

    def start_selected(self, action_id: str) -> None:
        if (station_id := self.selected()) is not None:
            self.start_action(station_id, action_id)

    def start_action(self, station_id: str, action_id: str, **defaults: str) -> None:
        """Form (when the action has fields, sending it while open) → confirmation (when
        destructive) → send; the answer is reported when it comes."""
        action = BY_ID[action_id]
        if action_id == "remote_stop" and "transaction_id" not in defaults:
            tx = self._active_transaction(station_id)
            if tx:
                defaults["transaction_id"] = tx
        if action.fields:
            send = partial(self.send_from_form, station_id, action)
            self.app.push_screen(ActionFormScreen(action, station_id, send, **defaults))
            return
        if not action.confirm:
            self.send_command(None, station_id, action, {})
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.send_command(None, station_id, action, {})

        self.app.push_screen(ConfirmScreen(action.question(station_id, {})), confirmed)

    def send_from_form(
        self, station_id: str, action: StationAction, form: ActionFormScreen, values: dict[str, Any]
    ) -> None:
        self.send_command(form, station_id, action, values)

    @work(group="commands")
    async def send_command(
        self,
        form: ActionFormScreen | None,
        station_id: str,
        action: StationAction,
        values: dict[str, Any],
    ) -> None:
        """Send, then follow the answer. A worker of the pane, not of the form: closing the
        form while the command is on its way does not cancel it, and its outcome is still
        reported."""
        shown = markup_safe(station_id)
        try:
            if self.service is None:
                raise ServiceError("the core is not running")
            sent = await action.send(self.service, station_id, values)
        except ServiceError as exc:
            if form is not None and form in self.app.screen_stack:
                form.refused(exc)  # the reason beside its field, the input kept
            else:
                self.notify(
                    f"{markup_safe(action.title)} on {shown} failed: "
                    f"{markup_safe(action.refusal_text(exc))}",
                    severity="error",
                )
            return
        if form is not None and form in self.app.screen_stack:
            form.sent()
        await self.follow_answer(station_id, action, sent)

    async def follow_answer(self, station_id: str, action: StationAction, sent: Any) -> None:
        """Report the answer to a sent command: at once when it is in; otherwise say it was
        sent and wait for it, and past the wait say it is still pending and report it when it
        comes (the core's CallCompleted events, see csms_tui.answers)."""
        if isinstance(sent, PasswordRotation):
            if sent.call.state == "pending":
                self.notify(
                    f"{markup_safe(action.title)} on {markup_safe(station_id)}: no answer in "
                    f"{WAIT_SECONDS:.0f} s, so the stored password is unchanged",
                    severity="warning",
                )
                self.answers.watch(sent.call).then(partial(self.late_rotation, station_id))
            else:
                self.report(station_id, sent.call, rotation=sent)
            return
        if isinstance(sent, SecurityProfileUpgrade):
            if not sent.calls:
                self.notify(f"{action.title}: nothing was sent to {markup_safe(station_id)}")
                return
            sent = sent.calls[-1]
        call: CallView = sent
        if call.state != "pending":
            self.report(station_id, call)
            return
        self.notify(
            f"{markup_safe(action.title)}: sent to {markup_safe(station_id)}, "
            "waiting for its answer…",
            timeout=3,
        )
        pending = self.answers.watch(call)
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                await pending.complete.wait()
        except TimeoutError:
            if pending.complete.is_set():  # came in just as the wait ended
                self.report(station_id, pending.answer())
                return
            self.report(station_id, call)  # "still pending", said as such
            pending.then(partial(self.report, station_id, late=True))
            return
        except asyncio.CancelledError:
            self.answers.forget(pending)
            raise
        self.report(station_id, pending.answer())

    def report(
        self,
        station_id: str,
        call: CallView,
        late: bool = False,
        rotation: PasswordRotation | None = None,
    ) -> None:
        """A notification with the answer, and a dialog with what it holds beyond a status
        (a schedule, configuration keys, data)."""
        message, severity = describe_answer(station_id, call, late=late)
        self.notify(message, severity=severity)  # type: ignore[arg-type]
        if rotation is not None and rotation.password:
            self.app.push_screen(NewPasswordScreen(station_id, rotation.password))
            return
        content = answer_content(station_id, call)
        if content is None:
            return
        self.last_answer = content
        if isinstance(self.app.screen, ModalScreen):
            # A dialog is open (another form, a question): the answer does not take its keys.
            self.notify("the answer's content: press v on the stations list or detail to see it")
            return
        self.app.push_screen(AnswerScreen(content))

    def late_rotation(self, station_id: str, call: CallView) -> None:
        """A rotation's answer after the wait. The core stores the new password on a late yes
        too (the station's next login works); the operator was not shown it, since the wait
        had ended — said plainly, with what to do if it is needed."""
        self.report(station_id, call, late=True)
        if call.state == "answered" and accepted(call):
            self.notify(
                f"{markup_safe(station_id)} accepted its new password after the wait: the CSMS "
                "stored it and the old one no longer works. It was not shown; rotate again (g) "
                "if you need to know it.",
                severity="warning",
                timeout=30,
            )

    def show_last_answer(self) -> None:
        if self.last_answer is None:
            self.notify("no answer with content yet (a schedule, configuration keys, data)")
            return
        self.app.push_screen(AnswerScreen(self.last_answer))

    async def recheck_late(self) -> None:
        """After a resync (events were lost), look up the calls whose late answers are awaited:
        an answer among the lost events is still reported. Only a service that can say (an
        embedded core); the remote daemon's stream carries the call's final event anyway."""
        get_call = getattr(self.service, "get_call", None)
        if get_call is None:
            return
        for call_id in self.answers.late_ids():
            try:
                view = await get_call(call_id)
            except ServiceError:
                continue
            if view.state != "pending":
                self.answers.offer(completed_event(view, datetime.now(UTC)))

    def _active_transaction(self, station_id: str) -> str | None:
        table = self.query_one("#stations-table", KeyedTable)
        if station_id not in table.rows:
            return None
        first = str(table.get_cell(station_id, "tx")).split(",")[0].strip()
        return None if first in ("", "-") else first

    # --- registration and credentials ------------------------------------------------------------

    def credentials(self, station_id: str | None) -> None:
        """``g``: a station that tried to connect but is not registered is registered; a
        registered one is offered the rotation of its password (which says what it does and
        asks) — never a registration again, which would replace its credentials."""
        if station_id and station_id in self.registered:
            self.start_action(station_id, "rotate_password")
        else:
            self.register(station_id or "")

    def register(self, station_id: str = "") -> None:
        """The registration form of a new station (``station_id``: a refused one's id)."""
        if self.service is None:
            self.notify("the core is not running", severity="error")
            return
        service = self.service

        async def send(station_id: str, profile: int) -> Any:
            return await service.register_station(station_id, profile)

        def registered(registration: Any) -> None:
            if registration is not None:
                self.show_registration(registration)

        wss = cast(ConsoleListeners, self.app).wss_listener
        prefill = "" if station_id in self.registered else station_id
        self.app.push_screen(RegisterStationScreen(send, prefill, wss), registered)

    @work(group="register")
    async def show_registration(self, registration: Any) -> None:
        assert self.service is not None
        station_id = registration.station_id
        self.refused.pop(station_id, None)
        self.app.push_screen(RegistrationResultScreen(registration))
        try:
            self.upsert(await self.service.station_summary(station_id))
        except ServiceError:
            pass
