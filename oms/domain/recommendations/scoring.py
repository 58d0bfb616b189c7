"""The blend of given relations and learnt affinity, and the verdict on where each candidate
is now.

**Blend.** A candidate linked to an anchor scores, from 0 to 1:

- given by the PIM (``related``, ``accessory``, ``upsell``):
  ``0.5 + 0.4 * weight + 0.1 * learnt``;
- learnt only: ``0.5 * learnt``;

where ``learnt = 1 - 1 / lift`` when the pair's lift is above 1 (else 0). So every given
relation ranks above every learnt-only one, given relations among themselves by weight, and
the learnt affinity breaks ties between equal weights. A candidate linked to several anchors
keeps its best score. A ``substitute`` is never offered beside its anchor, only in its place
(``substitutes``), scored as a given relation.

**Where.** A candidate the channel cannot promise (ATP 0 after safety stock, buffers and
exclusions) is never offered. One held (counted above 0) by a location the rest ships from
(or by the pickup store) ships from it: ``extra_shipment`` false. Else it ships from the
nearest location that holds it (by location id without a destination): ``extra_shipment``
true, and it ranks after every item that adds no shipment.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from oms.domain.availability import ChannelAtp
from oms.domain.recommendations.relations import RelationKind


@dataclass(frozen=True)
class Link:
    """Why ``sku`` goes with ``anchor``: a given relation (``kind``, ``weight``), a learnt
    affinity (``together``, ``lift``), or both."""

    anchor: str
    sku: str
    kind: RelationKind | None = None
    weight: float = 1.0
    together: int = 0
    lift: float = 0.0


class Recommendation(BaseModel):
    sku: str
    score: float = Field(ge=0, le=1)
    reason: str = Field(
        description="Why: the relation the PIM gives (e.g. 'accessory of SKU-TEE') or how "
        "often it was bought with it ('co-bought 42 times with SKU-TEE')"
    )
    ships_from: str = Field(description="The location it would ship from (or be collected at)")
    extra_shipment: bool = Field(
        description="false: it ships with the rest (same location, or the pickup store)"
    )


def learnt(lift: float) -> float:
    return 1 - 1 / lift if lift > 1 else 0.0


def blend(link: Link) -> float:
    if link.kind is None:
        return 0.5 * learnt(link.lift)
    return 0.5 + 0.4 * link.weight + 0.1 * learnt(link.lift)


def reason(link: Link) -> str:
    if link.kind is RelationKind.SUBSTITUTE:
        return f"substitute for {link.anchor}"
    if link.kind is not None:
        return f"{link.kind.value} of {link.anchor}"
    return f"co-bought {link.together} times with {link.anchor}"


def best_links(links: Iterable[Link], skip: Collection[str]) -> dict[str, tuple[float, Link]]:
    """Each candidate's best link and its score, leaving out the SKUs in ``skip``."""
    best: dict[str, tuple[float, Link]] = {}
    for link in links:
        if link.sku in skip:
            continue
        score = blend(link)
        held = best.get(link.sku)
        if held is None or (score, link.anchor) > (held[0], held[1].anchor):
            best[link.sku] = (score, link)
    return best


def rank(
    links: Iterable[Link],
    figures: Mapping[str, ChannelAtp | None],
    shipping: Sequence[str],
    *,
    distance: Callable[[str], float | None],
    skip: Collection[str] = (),
    limit: int,
) -> list[Recommendation]:
    """The candidates the channel can promise, those that add no shipment first, then by
    score, then SKU; at most ``limit``. ``shipping``: the locations the rest ships from (or
    the pickup store), in order of preference; ``distance``: how far a location is from the
    customer (None: unknown)."""
    judged = []
    for sku, (score, link) in best_links(links, skip).items():
        atp = figures.get(sku)
        if atp is None or atp.atp <= 0 or not any(n > 0 for n in atp.by_location.values()):
            continue
        with_rest = next((loc for loc in shipping if atp.by_location.get(loc, 0) > 0), None)
        judged.append((with_rest is None, -score, sku, link, atp, with_rest))
    judged.sort(key=lambda j: j[:3])
    out = []
    # Only the items kept look for their nearest location.
    for extra, minus_score, sku, link, atp, with_rest in judged[:limit]:
        holders = [loc for loc, units in atp.by_location.items() if units > 0]
        ships_from = with_rest or min(holders, key=lambda loc: _far(distance(loc), loc))
        out.append(
            Recommendation(
                sku=sku,
                score=round(-minus_score, 4),
                reason=reason(link),
                ships_from=ships_from,
                extra_shipment=extra,
            )
        )
    return out


def _far(km: float | None, loc: str) -> tuple[bool, float, str]:
    return (km is None, km or 0.0, loc)
