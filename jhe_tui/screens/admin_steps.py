"""Steps the administration flows of the Organizations and Studies screens share: a read or a
write whose failure becomes a toast, and a delete that shows what goes before it is confirmed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.screen import Screen

from jhe_tui.api import JheError
from jhe_tui.dialogs.confirm import ConfirmModal


async def read(screen: Screen[Any], *calls: Awaitable[Any]) -> list[Any] | None:
    """Each call's answer in turn, or None after a toast saying why one failed."""
    answers: list[Any] = []
    try:
        for call in calls:
            answers.append(await call)
    except JheError as failure:
        for unawaited in calls[len(answers) + 1:]:
            getattr(unawaited, "close", lambda: None)()  # a coroutine never started
        screen.notify(failure.message, severity="error", markup=False)
        return None
    return answers


async def done(screen: Screen[Any], call: Awaitable[Any], message: str) -> bool:
    """Run a write; ``message`` on success, the server's refusal otherwise."""
    try:
        await call
    except JheError as failure:
        screen.notify(failure.message, severity="error", markup=False)
        return False
    screen.notify(message, markup=False)
    return True


async def delete_after_preview(screen: Screen[Any], name: str, object_id: int, impact: Awaitable[Any],
                               delete: Callable[[], Awaitable[Any]]) -> bool:
    """Work out what the delete takes, say it, have the id typed back, then delete. An impact
    with a ``refusal`` (the server cannot do it) stops there, with the reason."""
    try:
        found = await impact
    except JheError as failure:
        screen.notify(f"What the delete would take could not be worked out: {failure.message}", severity="error",
                      markup=False)
        return False
    refusal = getattr(found, "refusal", None)
    if refusal:
        screen.notify(f"{name} cannot be deleted: {refusal}.", severity="warning", markup=False)
        return False
    answer = await screen.app.push_screen_wait(ConfirmModal(
        f"Delete {name}?", found.lines(), confirm_label="Delete", danger=True, type_word=str(object_id),
        warning="This cannot be undone."))
    return answer is not None and await done(screen, delete(), f"Deleted {name}.")
