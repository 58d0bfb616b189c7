"""Each migration's docstring says what it revises as its ``down_revision`` does: the chain
is re-linked at merges, and a docstring left behind misleads whoever reads the history."""

from __future__ import annotations

import ast
import re
from pathlib import Path

VERSIONS = Path(__file__).resolve().parents[2] / "oms" / "db" / "migrations" / "versions"


def _revises(path: Path) -> tuple[str | None, str | None]:
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree) or ""
    said = re.search(r"^Revises:\s*(\S*)\s*$", doc, flags=re.MULTILINE)
    down = None
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "down_revision":
            assert node.value is not None
            down = ast.literal_eval(node.value)
    return (said.group(1) or None) if said else None, down


def test_each_migrations_docstring_names_its_down_revision() -> None:
    files = sorted(VERSIONS.glob("[0-9]*.py"))

    wrong = {p.name: _revises(p) for p in files if _revises(p)[0] != _revises(p)[1]}

    assert len(files) > 20
    assert wrong == {}
