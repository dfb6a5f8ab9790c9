"""A footer that is rebuilt only when the keys it shows change.

Textual's ``Footer`` recomposes (all its key widgets removed, created, styled and laid out again)
whenever the screen's bindings may have changed, and they may change whenever the focus moves:
``g`` then Enter moves it twice, and rebuilding the same keys cost more than showing the page.
Here the footer first compares what it would show with what it shows.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[Binding, str, bool, str], ...]


class SteadyFooter(Footer):
    _shown: Shown | None = None

    def _keys(self, screen: Screen[object]) -> Shown:
        """Everything a footer key is made of (the binding, its key as displayed, whether it is
        enabled, its tooltip), for the keys shown and the palette's."""
        app = screen.app
        return tuple(
            (binding, app.get_key_display(binding), enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == app.COMMAND_PALETTE_BINDING
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            keys = self._keys(screen)
            if keys == self._shown:
                return
            self._shown = keys
        super().bindings_changed(screen)
