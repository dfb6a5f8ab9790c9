"""The console's own theme, and which themes a user may name (``--theme``, ``theme`` in profiles.toml).

High contrast is for a dim clinic screen, a projector in a training room or a user who needs it:
Textual's built-in themes keep their mid-grey text on dark grey panels. Its colours sit near the
16 ANSI ones so that a terminal with only those (``TERM=xterm``, the Linux console) keeps every
text readable: disabled text is a light grey, not the dark grey it would otherwise fall to there.
"""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES, Theme

from jhe_tui.local import settings

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
    variables={"foreground-disabled": "#b2b2b2"},
)

THEMES = (*BUILTIN_THEMES, HIGH_CONTRAST.name)


def unknown_theme(name: str) -> str | None:
    """Why ``name`` cannot be used as a theme, in one sentence; None when it can."""
    if name in THEMES:
        return None
    return f"There is no theme named {name!r}; the themes are {', '.join(sorted(THEMES))}."


def remember_theme(name: str) -> str | None:
    """Save ``name`` as the console's theme; why it could not be, in one sentence, else None."""
    try:
        settings.save_theme(name)
    except (OSError, ValueError) as exc:  # ValueError: tomlkit cannot parse it
        return f"The theme is not remembered for next time: {getattr(exc, 'strerror', None) or exc}."
    return None
