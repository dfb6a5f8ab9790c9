"""The HTTP routes, one module per JHE resource.

Ids in paths use the ``id`` convertor: 1 to 18 digits. Anything else (``/patients/abc``, or an id
too large for SQLite) matches no route and gets a JSON 404, as an unknown id would.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class IdConvertor(Convertor[int]):
    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())
