"""The console App, typed, for the screens and widgets that read its state (client, session,
organization, privacy, the guard).

Textual's ``getters.app(JheApp)`` needs the class where each screen's class is defined, but
``jhe_tui.app`` imports the screens' base class (and names every screen as a mode): here the class
is looked up on the first call instead, and a node outside the console is refused rather than
duck-typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from jhe_tui.app import JheApp


def console_app(node: MessagePump) -> JheApp:
    from jhe_tui.app import JheApp  # here, not above: jhe_tui.app imports the screens' base

    app = node.app
    if not isinstance(app, JheApp):
        raise TypeError(f"{type(node).__name__} belongs to the console, not to {type(app).__name__}")
    return app
