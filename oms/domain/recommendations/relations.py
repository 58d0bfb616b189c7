"""Relations between products as the PIM gives them (``relations`` of ``PUT /products/{sku}``).

``related``, ``accessory`` and ``upsell`` are offered beside the product; a ``substitute`` is
offered in its place when it cannot be had (out of stock, or not where the rest ships from).
``weight`` (0 to 1, default 1) orders the given relations among themselves.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.delivery import Identifier

MAX_RELATIONS = 100


class RelationKind(StrEnum):
    RELATED = "related"
    ACCESSORY = "accessory"
    SUBSTITUTE = "substitute"
    UPSELL = "upsell"


class Relation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Identifier = Field(description="The related product")
    kind: RelationKind
    weight: float = Field(
        default=1.0, ge=0, le=1, description="Orders the given relations: higher first"
    )


def duplicates(owner: str, relations: list[Relation]) -> list[int]:
    """Indexes of relations naming the product itself, or a (sku, kind) named before."""
    seen: set[tuple[str, RelationKind]] = set()
    bad = []
    for i, r in enumerate(relations):
        key = (r.sku, r.kind)
        if r.sku == owner or key in seen:
            bad.append(i)
        seen.add(key)
    return bad
