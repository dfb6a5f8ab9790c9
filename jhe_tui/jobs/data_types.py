"""A data type as a person names it (blood-pressure), matched to the code the server knows.

A FHIR search for a code the server does not know just comes back empty, which reads as "no
data"; so a name is matched to one of the server's codes, or refused with the list of them.
No Textual here.
"""

from __future__ import annotations

from jhe_tui.api import CodeableConcept, InvalidInput, JheClient

from .observations import ObservationQuery


def _code_name(code: str) -> str:
    """"omh:blood-pressure:4.0" -> "blood-pressure"; a code of another kind stays as it is."""
    parts = code.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "omh" else code


def find_concept(wanted: str, concepts: list[CodeableConcept]) -> CodeableConcept:
    """The data type ``wanted`` names, as a person types it: ``SYSTEM|CODE``, the code
    (omh:blood-pressure:4.0), the code without its version, its bare name (blood-pressure) or its
    display text (Blood pressure), letter case aside. Anything else, or a name two versions share,
    is refused with the codes the server knows."""
    text = wanted.strip()
    folded = text.casefold()
    exact = [c for c in concepts if "|".join(c.key) == text or c.coding_code == text]
    found = exact or [
        c for c in concepts
        if folded in {c.coding_code.casefold(), c.coding_code.rsplit(":", 1)[0].casefold(),
                      _code_name(c.coding_code).casefold(), c.display.casefold()}
    ]
    if len(found) == 1:
        return found[0]
    known = ", ".join(c.coding_code for c in found or concepts) or "none"
    if found:
        raise InvalidInput(f"The data type {text!r} matches several codes: {known}; give one of them.")
    raise InvalidInput(f"This server knows no data type {text!r}; the codes it knows: {known}.")


async def with_known_code(client: JheClient, query: ObservationQuery) -> ObservationQuery:
    """``query`` with its data type as the server's ``system|code`` (see ``find_concept``)."""
    if not query.code:
        return query
    concept = find_concept(query.code, await client.codeable_concepts())
    return query.with_(code="|".join(concept.key))
