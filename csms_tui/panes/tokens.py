"""The Tokens tab: the id tokens the CSMS authorises, added, edited, blocked and deleted
here."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable

from core.application.errors import ServiceError
from core.application.views import TokenInput, TokenView
from csms_tui.inert import plain
from csms_tui.line_table import matches
from csms_tui.modals import ConfirmScreen, TokenFormScreen
from csms_tui.panes.base import ConsolePane

COLUMNS = (
    ("uid", "Uid"),
    ("contract", "Contract id"),
    ("type", "Type"),
    ("status", "Status"),
    ("group", "Group"),
    ("expiry", "Expires"),
)


def token_row(t: TokenView) -> dict[str, str]:
    return {
        "uid": t.uid,
        "contract": t.contract_id,
        "type": t.type,
        "status": t.status or ("Accepted" if t.valid else "Invalid"),
        "group": t.group_id or "-",
        "expiry": f"{t.expiry_date:%Y-%m-%d}" if t.expiry_date else "-",
    }


def upsert(table: DataTable[Any], key: str, row: dict[str, str]) -> None:
    cells = {column: plain(value) for column, value in row.items()}  # never markup
    if key in table.rows:
        for column, cell in cells.items():
            # An unchanged cell costs nothing: no re-measure, no repaint.
            if table.get_cell(key, column) != cell:
                table.update_cell(key, column, cell)
    else:
        table.add_row(*cells.values(), key=key)


# The service names a bad input by its API field; the console says the form's word for it.
FIELD_LABELS = {"contractId": "contract id", "expiryDate": "expiry", "tokenUid": "uid"}


def refusal(exc: ServiceError) -> str:
    """The core's reason in the form's words: never an internal field name."""
    label = FIELD_LABELS.get(exc.field or "")
    return f"{label}: {exc.message}" if label else exc.message


class TokensPane(ConsolePane):
    def compose(self) -> ComposeResult:
        yield DataTable(id="tokens-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#tokens-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)

    async def load(self) -> None:
        """Bring the table up to date in place (the cursor stays on its token)."""
        assert self.service is not None
        table = self.query_one("#tokens-table", DataTable)
        terms = self.filter_text.lower().split()
        rows: dict[str, dict[str, str]] = {}
        offset = 0
        while True:  # the first page, or with a filter, matches from up to 10,000 tokens
            page = await self.service.list_tokens(offset=offset, limit=100)
            for t in page:
                row = token_row(t)
                if matches(terms, list(row.values())):
                    rows[t.uid] = row
            offset += len(page)
            if not terms or len(page) < 100 or len(rows) >= 500 or offset >= 10_000:
                break
        with self.app.batch_update():
            for key in [k for k in table.rows if k.value not in rows]:
                table.remove_row(key)
            for uid, row in rows.items():
                upsert(table, uid, row)

    def set_filter(self, text: str) -> None:
        super().set_filter(text)
        if self.service is not None:
            self.run_worker(self.load(), group="tokens")

    def open_detail(self) -> None:
        self.edit_token()

    @on(DataTable.RowSelected, "#tokens-table")
    def _token_selected(self) -> None:
        # The focused DataTable takes enter for itself: it means the same as elsewhere.
        if self.service is not None:
            self.open_detail()

    def _selected(self) -> str | None:
        table = self.query_one("#tokens-table", DataTable)
        if not self.active or table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def add_token(self) -> None:
        def chosen(form: dict[str, Any] | None) -> None:
            if form is not None:
                self.token_command("add", form)

        self.app.push_screen(TokenFormScreen(), chosen)

    @work(group="tokens")
    async def edit_token(self) -> None:
        uid = self._selected()
        if uid is None or self.service is None:
            return
        tokens = await self.service.list_tokens(limit=100)
        current = next((t for t in tokens if t.uid == uid), None)
        if current is None:
            return

        def chosen(form: dict[str, Any] | None) -> None:
            if form is not None:
                self.token_command("edit", {**form, "uid": uid})

        self.app.push_screen(TokenFormScreen(current), chosen)

    def toggle_block(self) -> None:
        uid = self._selected()
        if uid is None:
            return
        table = self.query_one("#tokens-table", DataTable)
        if str(table.get_cell(uid, "status")) == "Blocked":
            self.token_command("block", {"uid": uid})  # unblocking gives back, no question
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.token_command("block", {"uid": uid})

        # A blocked card stops a driver at the charger: asked first, No the default.
        self.app.push_screen(ConfirmScreen(f"Block token {uid}?"), confirmed)

    def delete_token(self) -> None:
        uid = self._selected()
        if uid is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.token_command("delete", {"uid": uid})

        self.app.push_screen(ConfirmScreen(f"Delete token {uid}?"), confirmed)

    @work(group="tokens")
    async def token_command(self, command: str, form: dict[str, Any]) -> None:
        assert self.service is not None
        try:
            if command == "add":
                await self.service.set_token(
                    TokenInput(
                        country_code=form["contract_id"][:2].upper(),
                        party_id=form["contract_id"][2:5].upper(),
                        type=form["type"],
                        uid=form["uid"],
                        contract_id=form["contract_id"],
                        issuer="csms-tui",
                        valid=True,
                        cache_mode="ALWAYS",
                        group_id=form["group_id"],
                        expiry_date=form["expiry_date"],
                    )
                )
                self.notify(f"token {form['uid']} added")
            elif command == "edit":
                current = next(
                    t for t in await self.service.list_tokens(limit=100) if t.uid == form["uid"]
                )
                data = current.model_dump(exclude={"last_updated"})
                data.update(
                    contract_id=form["contract_id"],
                    type=form["type"],
                    group_id=form["group_id"],
                    expiry_date=form["expiry_date"],
                )
                await self.service.set_token(TokenInput(**data))
                self.notify(f"token {form['uid']} saved")
            elif command == "block":
                current = next(
                    t for t in await self.service.list_tokens(limit=100) if t.uid == form["uid"]
                )
                blocked = current.status == "Blocked"
                data = current.model_dump(exclude={"last_updated"})
                data["status"] = None if blocked else "Blocked"
                await self.service.set_token(TokenInput(**data))
                self.notify(f"token {form['uid']} {'unblocked' if blocked else 'blocked'}")
            else:
                await self.service.delete_token(form["uid"])
                self.notify(f"token {form['uid']} deleted")
        except ServiceError as exc:
            self.notify(f"{command} token failed: {refusal(exc)}", severity="error")
        await self.load()
