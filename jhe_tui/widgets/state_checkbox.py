"""A checkbox that says its state in text, ``[x]`` or ``[ ]``: Textual's shows the same mark on
and off and tells them apart by colour alone, which NO_COLOR and many terminals lose."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class StateCheckbox(Checkbox):
    DEFAULT_CSS = """
    StateCheckbox, StateCheckbox:focus { border: none; height: 1; padding: 0 1; background: transparent; }
    StateCheckbox:focus > .toggle--label { text-style: bold underline; }
    """

    @property
    def _button(self) -> Content:
        """The mark, shown in the button's style."""
        return Content.styled("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button"))
