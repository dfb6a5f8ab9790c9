"""Text updates that lay the screen out only when the text's size can change.

``Static.update`` lays out the whole screen every time, even for the same text: on a page flip
the pager's labels were set five times, each costing the screen a layout and a repaint of the
widgets it touched.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Static


def set_text(widget: Static, text: str, *, one_line: bool = False) -> None:
    """Show ``text`` in ``widget``: nothing happens when it is already shown, and a ``one_line``
    widget (no wrapping) is laid out again only when the text's width changes."""
    old = widget.content
    if isinstance(old, str) and old == text:
        return
    same_size = one_line and isinstance(old, str) and cell_len(old) == cell_len(text)
    widget.update(text, layout=not same_size)
