"""The console's own theme: high contrast, for a dim clinic screen, a projector in a training room
or a user who needs it. Textual's built-in themes keep their mid-grey text on dark grey panels."""

from __future__ import annotations

from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ff87ff",
    warning="#ffaf00",
    error="#ff5f5f",
    success="#5fff5f",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#262626",
    boost="#303030",
    dark=True,
    luminosity_spread=0.05,
    text_alpha=1.0,
)
