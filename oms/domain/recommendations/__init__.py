"""What to recommend beside a product or a cart: relations the PIM gives, co-purchase
affinity learnt from orders, blended into one score; then each candidate judged on where it is
now (channel ATP, and whether the location the rest ships from holds it). Pure: no I/O.

``relations`` (what the PIM sends), ``affinity`` (lift over baskets), ``scoring`` (the blend,
the availability verdict, the ranking).
"""

from oms.domain.recommendations.affinity import Neighbour, basket_counts, neighbours_of
from oms.domain.recommendations.relations import Relation, RelationKind
from oms.domain.recommendations.scoring import (
    Link,
    Recommendation,
    blend,
    rank,
)

__all__ = [
    "Link",
    "Neighbour",
    "Recommendation",
    "Relation",
    "RelationKind",
    "basket_counts",
    "blend",
    "neighbours_of",
    "rank",
]
