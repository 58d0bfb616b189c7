"""The web console's files, served by the API under /console without a key, and GET
/keys/me, which the console signs in with."""

from __future__ import annotations

import re
from pathlib import Path

from tests.api.conftest import Api, error_of

CONSOLE = Path(__file__).resolve().parents[2] / "api" / "console"


async def test_the_console_opens_without_a_key_and_loads_its_modules(api: Api) -> None:
    moved = await api.http.get("/console")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/console/"

    shell = await api.http.get("/console/")
    assert shell.status_code == 200
    assert shell.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in shell.headers["content-security-policy"]
    # Every module the page loads, and every module those import, is served as JavaScript.
    pending = re.findall(r'src="([^"]+\.js)"', shell.text)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        module = await api.http.get(f"/console/{name}")
        assert module.status_code == 200, name
        assert module.headers["content-type"].startswith("text/javascript")
        pending += re.findall(r'from "\./([^"]+\.js)"', module.text)
    assert {"app.js", "api.js", "store.js", "desk.js", "orders.js", "admin.js"} <= seen
    css = await api.http.get("/console/console.css")
    assert css.headers["content-type"].startswith("text/css")


async def test_a_file_outside_the_console_or_unknown_is_404(api: Api) -> None:
    for path in ("/console/nothing.js", "/console/../api/app.py", "/console/%2e%2e/app.py"):
        answer = await api.http.get(path)
        assert answer.status_code == 404, path
        assert error_of(answer)["code"] == "not_found"


async def test_a_key_reads_its_own_role_and_scope(api: Api) -> None:
    store = await api.http.get("/keys/me", headers=api.auth("opera"))
    analyst = await api.http.get("/keys/me", headers=api.auth("analyst"))
    nobody = await api.http.get("/keys/me")

    assert store.status_code == 200, store.text
    assert store.json()["role"] == "store"
    assert store.json()["location_id"] == "ST-OPERA"
    assert store.json()["name"] == "opera"
    assert (analyst.json()["role"], analyst.json()["location_id"]) == ("analyst", None)
    assert nobody.status_code == 401
    assert error_of(nobody)["code"] == "unauthenticated"


def _phrases(name: str) -> set[str]:
    """The keys of one of the console's dictionaries (a JS object of "key": "text")."""
    text = (CONSOLE / name).read_text()
    pairs = re.findall(r'(?:^|[{,])\s*(?:"([^"]+)"|([A-Za-z_]\w*))\s*:\s*"', text, re.M)
    return {quoted or bare for quoted, bare in pairs}


def test_every_phrase_a_page_asks_for_is_in_english_and_in_french() -> None:
    english, french = _phrases("words_en.js"), _phrases("words_fr.js")
    asked = {
        key
        for module in CONSOLE.glob("*.js")
        if not module.name.startswith("words")
        for key in re.findall(r'\bt\(\s*"([^"]+)"', module.read_text())
    }

    assert len(english) > 200
    assert english == french, (english - french, french - english)
    assert asked - english == set()
