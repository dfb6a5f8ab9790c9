"""Your practitioner API keys (JHE v0.0.13): list, create, revoke.

A new key is shown once, here, and `y` copies it to the terminal's clipboard (OSC 52, which also
works over SSH). jhe-tui never writes it anywhere: closing the dialog forgets it; sign in with it
elsewhere by `jhe-tui login --api-key`. Revoking a key stops it and every token issued with it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from jhe_tui.api import JheClient, JheError
from jhe_tui.api.admin_models import ApiKey
from jhe_tui.dialogs.admin_form import AdminFormModal, Field
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.widgets.table import ConsoleTable


class ApiKeysModal(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "cancel", "Close", id="api_keys.close", tooltip="Close; a new key shown here is forgotten"),
        Binding("c", "create", "New key", id="api_keys.create", tooltip="Create an API key (shown once)"),
        Binding("d", "revoke", "Revoke", id="api_keys.revoke", tooltip="Revoke the key under the cursor"),
        Binding("y", "copy", "Copy key", id="api_keys.copy", tooltip="Copy the new key to the clipboard (OSC 52)"),
    ]

    def __init__(self, client: JheClient) -> None:
        super().__init__()
        self._client = client
        self._keys: list[ApiKey] = []
        self._secret: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label("Your API keys", classes="dialog-title", markup=False)
            yield Static("Each key signs in as you, without a browser (jhe-tui login --api-key, scripts). "
                         "c creates one, d revokes the one under the cursor.", classes="dialog-line", markup=False)
            table: ConsoleTable[Text] = ConsoleTable(cursor_type="row", id="keys-table")
            table.add_columns("ID", "Label", "Created")
            yield table
            yield Static("", id="secret", classes="dialog-warning", markup=False)
            yield Static("", id="problem", classes="field-error", markup=False)
            yield Label("c new · d revoke · y copy the new key · Escape closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#secret").display = False
        self.query_one("#keys-table").focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return self._secret is not None or None
        if action == "revoke":
            return bool(self._keys) or None
        return True

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load(self) -> None:
        table = self.query_one("#keys-table", DataTable)
        try:
            self._keys = await self._client.api_keys()
        except JheError as failure:
            self._problem(failure.message)
            return
        table.clear()
        for key in self._keys:
            created = key.created.strftime("%Y-%m-%d %H:%M") if key.created else ""
            table.add_row(Text(str(key.id)), Text(key.label), Text(created))
        if not self._keys:
            table.add_row(Text(""), Text("No API keys yet."), Text(""))
        self.refresh_bindings()

    def _problem(self, message: str) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(message)
        problem.add_class("shown")

    def action_cancel(self) -> None:
        self._secret = None
        self.dismiss(None)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_create(self) -> None:
        created = await self.app.push_screen_wait(AdminFormModal(
            "New API key", "A label says where the key is used, so it can be revoked alone later.",
            [Field("label", "Label", placeholder="laptop, nightly export…")], confirm_label="Create",
            apply=lambda values: self._client.create_api_key(values["label"])))
        if created is None:
            return
        self._secret = created.key
        secret = self.query_one("#secret", Static)
        secret.update(f"Key {created.id} ({created.label}), shown this once: {created.key}\n"
                      "y copies it; jhe-tui does not keep it.")
        secret.display = True
        self.load()

    def action_copy(self) -> None:
        if self._secret is not None:
            self.app.copy_to_clipboard(self._secret)
            self.notify("The key is on the clipboard.")

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_revoke(self) -> None:
        table = self.query_one("#keys-table", DataTable)
        if not self._keys or table.cursor_row >= len(self._keys):
            return
        key = self._keys[table.cursor_row]
        answer = await self.app.push_screen_wait(ConfirmModal(
            f"Revoke API key {key.id}?", [f"{key.label}: it and every sign-in made with it stop working."],
            confirm_label="Revoke", danger=True))
        if answer is None:
            return
        try:
            await self._client.revoke_api_key(key.id)
        except JheError as failure:
            self._problem(failure.message)
            return
        self.notify(f"API key {key.id} ({key.label}) is revoked.", markup=False)
        self.load()

    @on(DataTable.RowHighlighted, "#keys-table")
    def _moved(self) -> None:
        self.refresh_bindings()
