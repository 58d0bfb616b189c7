"""Co-purchase affinity learnt from baskets: how much more often two products are bought
together than chance would have it.

For products a and b over N baskets, with n(a), n(b) the baskets holding each and n(ab) those
holding both: ``lift(a, b) = n(ab) * N / (n(a) * (n(b) + PRIOR))``. Plain lift with a prior of
``PRIOR`` baskets on the neighbour: a product seen in three baskets cannot outrank, by the
accident of those three, one bought with a far more often. A pair counts only from
``MIN_SUPPORT`` baskets together. Each product keeps its ``TOP_N`` neighbours, best first
(ties: more baskets together, then SKU).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

MIN_SUPPORT = 3
PRIOR = 5
TOP_N = 20
# A basket of more distinct products counts for each product but not for pairs: its pairs
# grow with the square of its size and say little (a restocking order, a gift list).
MAX_BASKET_SKUS = 40


@dataclass(frozen=True)
class Neighbour:
    sku: str
    neighbour: str
    rank: int
    together: int
    lift: float


def basket_counts(
    baskets: Iterable[Collection[str]],
) -> tuple[int, Counter[str], Counter[tuple[str, str]]]:
    """Baskets counted, baskets per product, baskets per pair (each pair once, a < b)."""
    items: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    n = 0
    for basket in baskets:
        skus = sorted(set(basket))
        if not skus:
            continue
        n += 1
        items.update(skus)
        if len(skus) <= MAX_BASKET_SKUS:
            pairs.update(combinations(skus, 2))
    return n, items, pairs


def lift(together: int, n_sku: int, n_neighbour: int, baskets: int) -> float:
    if together <= 0 or n_sku <= 0 or baskets <= 0:
        return 0.0
    return together * baskets / (n_sku * (n_neighbour + PRIOR))


def neighbours_of(
    sku: str,
    together: Mapping[str, int],
    items: Mapping[str, int],
    baskets: int,
    *,
    min_support: int = MIN_SUPPORT,
    top: int = TOP_N,
) -> list[Neighbour]:
    """The product's best neighbours from the baskets it shares with each (``together``) and
    the baskets each product is in (``items``, which must hold ``sku`` and every neighbour)."""
    n_sku = items.get(sku, 0)
    scored = [
        (lift(count, n_sku, items.get(other, 0), baskets), count, other)
        for other, count in together.items()
        if other != sku and count >= min_support
    ]
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    return [
        Neighbour(sku=sku, neighbour=other, rank=i, together=count, lift=round(value, 4))
        for i, (value, count, other) in enumerate(scored[:top])
    ]
