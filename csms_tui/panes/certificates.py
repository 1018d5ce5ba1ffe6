"""The Certificates tab: the stations' installed certificates and the CSMS's own, read when the
tab is shown; root installs and renewals from here."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Label

from core.application.errors import ServiceError
from csms_tui.inert import markup_safe, plain
from csms_tui.line_table import matches
from csms_tui.modals import InstallCertificateScreen
from csms_tui.panes.base import ConsolePane
from csms_tui.screens import send_certificate_command

STATION_COLUMNS = (
    ("station", "Station"),
    ("type", "Type"),
    ("status", "Status"),
    ("subject", "Subject"),
    ("expires", "Expires"),
    ("attempts", "Attempts"),
    ("id", "Id"),
)
OWN_COLUMNS = (
    ("role", "Role"),
    ("subject", "Subject"),
    ("issuer", "Issuer"),
    ("expires", "Expires"),
    ("path", "File"),
)


class CertificatesPane(ConsolePane):
    def __init__(self, title: str, *, id: str, fallback_station: Callable[[], str | None]) -> None:
        """`fallback_station`: the Stations tab's selection, only named when this table has no
        row to act on (a command for it would be for a station the operator cannot see here)."""
        super().__init__(title, id=id)
        self._fallback_station = fallback_station

    def compose(self) -> ComposeResult:
        yield DataTable(id="certificates-table", cursor_type="row")
        yield Label("The CSMS's own certificates")
        yield DataTable(id="own-certificates-table", cursor_type="row")

    def on_mount(self) -> None:
        for selector, columns in (
            ("#certificates-table", STATION_COLUMNS),
            ("#own-certificates-table", OWN_COLUMNS),
        ):
            table = self.query_one(selector, DataTable)
            for key, label in columns:
                table.add_column(label, key=key)

    def activated(self) -> None:
        if self.service is not None:
            self.reload()

    def set_filter(self, text: str) -> None:
        super().set_filter(text)
        if self.service is not None:
            self.reload()

    @work(exclusive=True, group="certificates")
    async def reload(self) -> None:
        assert self.service is not None
        try:
            overview = await self.service.list_certificates()
        except ServiceError as exc:
            self.notify(f"certificates: {exc.message}", severity="error")
            return
        table = self.query_one("#certificates-table", DataTable)
        own = self.query_one("#own-certificates-table", DataTable)
        terms = self.filter_text.lower().split()
        with self.app.batch_update():
            table.clear()
            for c in overview.stations:
                cells = [
                    c.station_id,
                    c.certificate_type,
                    c.status,
                    c.subject or "-",
                    f"{c.not_after:%Y-%m-%d}" if c.not_after else "-",
                    str(c.attempts),
                    c.certificate_id[:16],
                ]
                if matches(terms, cells):
                    table.add_row(*map(plain, cells), key=f"{c.station_id}/{c.certificate_id}")
            own.clear()
            for o in overview.own:
                own.add_row(
                    plain(o.role),
                    plain(o.subject) if o.subject else plain(o.error, "red"),
                    plain(o.issuer or "-"),
                    f"{o.not_after:%Y-%m-%d}" if o.not_after else "-",
                    plain(o.path),
                )

    def _station(self) -> str | None:
        """The station of the highlighted certificate row (the rows are per station). With no
        row, None and the operator is told: acting on the Stations tab's selection from here
        would install on, or renew, a station this tab does not show."""
        table = self.query_one("#certificates-table", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            return str(key).partition("/")[0]
        where = "matching the filter" if self.filter_text else "listed here"
        other = self._fallback_station()
        hint = f"open {other} from the Stations tab (enter)" if other else "open a station (enter)"
        self.notify(
            f"no station certificate {where}: {markup_safe(hint)} to install or renew there",
            severity="warning",
        )
        return None

    def install_root(self) -> None:
        station_id = self._station()
        if station_id is None:
            return

        def chosen(form: tuple[str, str] | None) -> None:
            if form is not None:
                self.certificate_command(station_id, "install", *form)

        self.app.push_screen(InstallCertificateScreen(station_id), chosen)

    def renew(self) -> None:
        station_id = self._station()
        if station_id is not None:
            self.certificate_command(station_id, "renew")

    @work(group="certificates-commands")
    async def certificate_command(
        self, station_id: str, command: str, path: str = "", kind: str = ""
    ) -> None:
        assert self.service is not None
        if await send_certificate_command(
            self.service, self.notify, station_id, command, path, kind
        ):
            self.reload()
