"""The web console, `/console`: static pages and small ES modules, served as they are (no
build step), that call this same API with the key the user signs in with.

Nothing here needs a key: the sign-in page must open without one, and the files hold no data.
Every figure a page shows comes from the JSON API, with the key kept in the browser's session,
so the console can never show or allow more than the key's role and scope do. These routes
stay out of the OpenAPI document: they are not part of the API integrations call.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.errors import ApiError
from oms.domain.errors import ErrorCode

STATIC = Path(__file__).resolve().parent.parent / "console"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The pages are the same for everyone and hold no data; scripts run only from this origin.
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
}

router = APIRouter(include_in_schema=False)


@router.get("/console")
def console_root() -> Response:
    """The console's one page is /console/ (its sections are routes within it, after `#`),
    so that its modules load relative to it."""
    return RedirectResponse("/console/", status_code=308)


@router.get("/console/{name:path}")
def console_file(name: str) -> Response:
    """A file of the console: index.html for the folder itself."""
    return _file(name or "index.html")


def _file(name: str) -> Response:
    path = (STATIC / name).resolve()
    if STATIC not in path.parents or not path.is_file() or path.suffix not in TYPES:
        raise ApiError(ErrorCode.NOT_FOUND, f"no console file {name!r}", "name")
    return FileResponse(path, media_type=TYPES[path.suffix], headers=HEADERS)
