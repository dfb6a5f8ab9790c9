"""The only place that reaches into Textual's private attributes, each for a reason public API
cannot serve. Remove an entry when Textual offers the public way (or fixes the bug); the tests in
``tests/ui/test_textual_shims.py`` say when.

* ``RemeasuredDataTable``: Textual issue #3533. A table measures its columns when it is next
  idle, after a paint may already have cached rows at the old widths, and the cache keys do not
  change with the widths: rows that arrive after their table was painted stay cut ("Brown,"
  for "Brown, Aisha") until something else repaints them. A test shows the bug on a plain
  DataTable and fails once upstream fixes it.
* ``PrivateCrashApp``: Textual's crash report prints every frame's local variables, and those
  hold patient data and tokens; there is no public hook to replace it.
* ``bindings_of``: help and the palette list the keys of widgets that do not have focus;
  Textual's public ``active_bindings`` covers the focus chain only.
* ``keymap``: help lists every screen's keys as remapped, and ``App`` has no getter for its keymap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from textual.app import App
from textual.binding import Binding, Keymap
from textual.dom import DOMNode
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, RowKey

ReturnType = TypeVar("ReturnType")


class RemeasuredDataTable(DataTable[CellType]):
    """A DataTable that repaints its rows at the widths it has just measured (only when they
    differ from the widths it last painted at)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._painted: tuple[int, ...] = ()

    def _widths(self) -> tuple[int, ...]:
        return tuple(column.get_render_width(self) for column in self.ordered_columns)

    def render_line(self, y: int) -> Strip:
        self._painted = self._widths()
        return super().render_line(y)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        if self._widths() != self._painted:
            self._clear_caches()


class PrivateCrashApp(App[ReturnType], Generic[ReturnType]):
    """An App whose unexpected errors go to ``report_crash`` instead of Textual's report."""

    _crash: BaseException | None = None

    def report_crash(self, error: BaseException | None) -> None:
        """Say the error without its frames' locals, then exit; Textual's report is not printed."""
        self.exit(return_code=1)

    def _handle_exception(self, error: Exception) -> None:
        self._crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        self.report_crash(self._crash)


def bindings_of(node: DOMNode) -> Iterable[tuple[str, Binding]]:
    """(key, binding) for every key of ``node``: its class hierarchy's BINDINGS merged, the App's
    keymap applied, as Textual itself reads them (``Screen._binding_chain``)."""
    bindings = node._bindings.copy()
    bindings.apply_keymap(keymap(node.app))
    return bindings


def keymap(app: App[object]) -> Keymap:
    """The keymap given to ``App.set_keymap``: Textual keeps it but has no public getter."""
    return app._keymap
