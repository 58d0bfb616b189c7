"""Whole numbers as a request sends them: a JSON number, never ``true`` or ``false``.

pydantic reads ``true`` as the integer 1 (a bool is an int in Python): ``"quantity": true``
would be an order for one unit. Every quantity, amount and stock figure a request carries is an
``WholeNumber`` instead, which refuses a boolean as the wrong type (``invalid_type``) and reads
everything else as ``int`` does. Pure: no I/O.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a number, not true or false")
    return value


WholeNumber = Annotated[int, BeforeValidator(_not_a_boolean)]
