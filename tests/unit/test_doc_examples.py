"""The docs' examples run against the demo data after `make dev`: every location and SKU they
name is one the demo seeds, and every shell variable their commands use is one `oms env`
exports (or one the same block sets)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oms.cli_env import ROLE_VARIABLES, env_exports
from oms.config import Settings
from oms.keys import store_key_name
from oms.seed import CHANNELS, LOCATIONS, NETWORKS, products

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md"], key=lambda p: p.name)
SH_BLOCK = re.compile(r"^```sh[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Words written like the demo's ids: a location (ST-..., WH-...), a SKU (APP-001), or the
# tests' own SKUs (SKU-TEE), which the demo does not have.
LOCATION = re.compile(r"\b(?:ST|WH)-[A-Z0-9-]*[A-Z0-9]\b")
SKU = re.compile(r"\b(?:[A-Z]{3}-\d{3}|SKU-[A-Z0-9-]+)\b")
NOT_SKUS = {"AES-256", "SHA-256"}


def _demo_exports(tmp_path: Path) -> set[str]:
    keys = dict.fromkeys(ROLE_VARIABLES, "k")
    keys |= {store_key_name(loc["id"]): "k" for loc in LOCATIONS if loc["type"] == "store"}
    lines = env_exports(Settings(home=tmp_path), keys)
    return {line.removeprefix("export ").split("=")[0] for line in lines}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_location_and_sku_a_page_names_is_the_demos(page: Path) -> None:
    text = page.read_text()
    locations = {loc["id"] for loc in LOCATIONS}
    skus = {p["sku"] for p in products()}

    assert sorted(set(LOCATION.findall(text)) - locations) == []
    assert sorted(set(SKU.findall(text)) - skus - NOT_SKUS) == []


def test_the_demo_channels_and_networks_are_the_ones_the_pages_name() -> None:
    named = {c["id"] for c in CHANNELS} | set(NETWORKS)
    text = "\n".join(page.read_text() for page in PAGES)

    used = set(re.findall(r'"channel": "([^"]+)"', text)) | set(
        re.findall(r"channel=([\w-]+)", text)
    )

    assert sorted(used - named - {"nope"}) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_variable_a_command_uses_is_set_by_oms_env_or_the_block(
    page: Path, tmp_path: Path
) -> None:
    exported = _demo_exports(tmp_path)
    unknown = []
    for block in SH_BLOCK.findall(page.read_text()):
        assigned = set(re.findall(r"(?:^|[\s;(])([A-Z][A-Z0-9_]*)=", block))
        used = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", block))
        unknown += sorted(used - exported - assigned)

    assert unknown == []
