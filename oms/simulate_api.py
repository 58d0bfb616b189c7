"""How `oms simulate` reads the API's answers: a refusal told in one line, and every item of a
list endpoint paged with limit and offset."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

Json = dict[str, Any]


def refusal(response: httpx.Response) -> str:
    """An API refusal in one line: status, code, field and reason."""
    try:
        body = response.json()
        at = f" at {body['field']}" if body.get("field") else ""
        return f"{response.status_code} {body['code']}{at}: {body['reason']}"
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"{response.status_code} {response.text[:200]}"


def pages(
    http: httpx.Client, path: str, params: dict[str, Any], headers: dict[str, str]
) -> Iterator[Json]:
    """Every item of a list endpoint paged with limit and offset: work left behind by an
    earlier run must not hide this run's."""
    offset, limit = 0, 200
    while True:
        page = http.get(path, params={**params, "limit": limit, "offset": offset}, headers=headers)
        items = page.json()["items"] if page.status_code == 200 else []
        yield from items
        if len(items) < limit:
            return
        offset += limit
