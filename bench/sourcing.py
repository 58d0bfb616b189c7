"""Sourcing decisions: how long the planner takes and how few locations it uses.

Pure Python, no database, no Temporal: random but seeded networks and orders, the same on
every run. Prints, in one run:

1. decision time p50 / p99 of ``source_order`` for 1-, 10- and 50-line orders over 50, 500 and
   2,000 candidate locations (the time of the call alone: the candidates are built first), by
   the wall clock and, as a figure other load on the machine does not move, in CPU time;
2. on small random instances (2-6 lines, 3-9 locations, lines split or not), how often our plan
   uses as few locations as the exact optimum found by brute force over every subset;
3. on the large instances of 1., our locations per order against a naive greedy that places
   line by line, each at the first location (in the strategy's ranking) that holds it, split
   over the next ones when none holds it whole.

    python bench/sourcing.py [--orders 200] [--small 2000] [--seed 7] [--stores-only] [--json]

Targets: 10 lines over 500 locations p99 <= 10 ms; the optimum on >= 99% of small instances.
Prints figures; it never asserts a timing.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field

# Run as a script, Python puts bench/ itself on the path; `oms` needs the repo root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from oms.domain.geo import GeoPoint
from oms.domain.sourcing import Candidate, FactLine, OrderFacts, source_order
from oms.domain.sourcing.profiles import (
    CostRate,
    Criterion,
    SourcingProfile,
    SplitPolicy,
    Strategy,
)
from oms.domain.sourcing.rules import Distances

LINES = (1, 10, 50)
LOCATIONS = (50, 500, 2000)
TARGET_CASE, TARGET_P99_MS, TARGET_OPTIMAL = "10x500", 10.0, 0.99
CATEGORIES = ("apparel", "home", "electronics", "beauty", "garden")
# Location mix of a store-heavy retailer: type, share, chance it holds a given SKU, most units.
Kinds = tuple[tuple[str, float, float, int], ...]
KINDS: Kinds = (
    ("warehouse", 0.03, 0.85, 60),
    ("dark_store", 0.07, 0.5, 20),
    ("dropship", 0.05, 0.2, 100),
    ("store", 0.85, 0.3, 6),
)

PROFILE = SourcingProfile(
    id="bench",
    version=1,
    strategies=(
        Strategy(
            name="vip-stores",
            conditions={"customer_tiers": ("vip",)},
            filters={"location_types": ("store",)},
            criteria=(Criterion(criterion="distance", band=50),),
        ),
        Strategy(
            name="ship",
            filters={"dropship_categories": {"*": ("garden", "home")}},
            criteria=(
                Criterion(criterion="distance", band=50),
                Criterion(criterion="cost"),
                Criterion(criterion="stock_balance"),
            ),
        ),
    ),
    fallback=Strategy(name="anything", criteria=(Criterion(criterion="distance"),)),
    costs={
        "warehouse": CostRate(per_parcel=300, per_km=0.8),
        "store": CostRate(per_parcel=600, per_km=1.0),
        "*": CostRate(per_parcel=450, per_km=1.0),
    },
)


STORES_ONLY = (("store", 1.0, 0.3, 6),)


def kind_of(r: float, kinds: Kinds) -> tuple[str, float, int]:
    acc = 0.0
    for kind, share, holds, most in kinds:
        acc += share
        if r < acc:
            return kind, holds, most
    return kinds[-1][0], kinds[-1][2], kinds[-1][3]


def network(
    rng: random.Random, size: int, skus: list[str], kinds: Kinds = KINDS
) -> list[Candidate]:
    """``size`` locations across France, each with what it holds of the order's SKUs."""
    out = []
    for n in range(size):
        kind, holds, most = kind_of(rng.random(), kinds)
        out.append(
            Candidate(
                location_id=f"{kind[:2].upper()}-{n:05d}",
                type=kind,
                point=GeoPoint(lat=rng.uniform(43.0, 50.5), lon=rng.uniform(-1.5, 7.5)),
                available={s: rng.randint(1, most) for s in skus if rng.random() < holds},
                vendor_id="V1" if kind == "dropship" else None,
            )
        )
    return out


def order(rng: random.Random, lines: int, catalogue: int = 5000) -> OrderFacts:
    skus = rng.sample(range(catalogue), lines)
    return OrderFacts(
        channel="web-fr",
        order_value=rng.randint(1_000, 50_000),
        currency="EUR",
        destination=GeoPoint(lat=rng.uniform(43.5, 50.0), lon=rng.uniform(-1.0, 7.0)),
        lines=[
            FactLine(
                line_id=str(i + 1),
                sku=f"SKU-{s:05d}",
                qty=rng.choice((1, 1, 1, 2, 3)),
                category=CATEGORIES[s % len(CATEGORIES)],
            )
            for i, s in enumerate(skus)
        ],
    )


@dataclass
class Case:
    times_ms: list[float]
    ours: list[int]
    greedy: list[int]
    cpu_ms: list[float] = field(default_factory=list)
    exact: int = 0

    def pct(self, p: float, cpu: bool = False) -> float:
        ordered = sorted(self.cpu_ms if cpu else self.times_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def naive_greedy(facts: OrderFacts, cands: list[Candidate]) -> int | None:
    """Locations used placing line by line, in the strategy's location order (nearest first
    by the same 50 km bands, then cheapest, as ``ship`` ranks them); None if not all placed."""
    dist = Distances(facts.destination)
    ranked = sorted(
        (c for c in cands if c.type != "dropship"),
        key=lambda c: (math.floor((dist.of(c) or 0) / 50), c.location_id),
    )
    stock = {c.location_id: dict(c.available) for c in ranked}
    used: set[str] = set()
    for line in facts.lines:
        whole = next((c for c in ranked if stock[c.location_id].get(line.sku, 0) >= line.qty), None)
        if whole is not None:
            stock[whole.location_id][line.sku] -= line.qty
            used.add(whole.location_id)
            continue
        missing = line.qty
        for c in ranked:
            take = min(missing, stock[c.location_id].get(line.sku, 0))
            if take:
                stock[c.location_id][line.sku] -= take
                missing -= take
                used.add(c.location_id)
            if not missing:
                break
        if missing:
            return None
    return len(used)


def timing(rng: random.Random, lines: int, size: int, orders: int, kinds: Kinds) -> Case:
    case = Case([], [], [])
    for _ in range(orders):
        facts = order(rng, lines)
        cands = network(rng, size, [line.sku for line in facts.lines], kinds)
        gc.collect()
        started, cpu = time.perf_counter(), time.thread_time()
        plan = source_order(facts, cands, PROFILE)
        case.times_ms.append((time.perf_counter() - started) * 1000)
        case.cpu_ms.append((time.thread_time() - cpu) * 1000)
        assert plan.explanation is not None
        case.exact += plan.explanation.method in ("single", "exact")
        greedy = naive_greedy(facts, cands)
        if not plan.unplaced and greedy is not None:
            case.ours.append(len(plan.locations))
            case.greedy.append(greedy)
    return case


def small_instance(rng: random.Random, split: bool) -> tuple[OrderFacts, list[Candidate]]:
    lines = rng.randint(2, 6)
    skus = [f"S{i}" for i in range(lines)]
    facts = OrderFacts(
        destination=GeoPoint(lat=48.85, lon=2.35),
        lines=[FactLine(line_id=str(i), sku=s, qty=rng.randint(1, 4)) for i, s in enumerate(skus)],
    )
    cands = [
        Candidate(
            location_id=f"L{n}",
            type="store",
            point=GeoPoint(lat=rng.uniform(43, 50), lon=rng.uniform(-1, 7)),
            available={s: rng.randint(1, 5) for s in skus if rng.random() < 0.4},
        )
        for n in range(rng.randint(3, 9))
    ]
    return facts, cands


def optimum(facts: OrderFacts, cands: list[Candidate], split: bool) -> int | None:
    """Fewest locations placing every unit, by brute force over every subset."""
    for k in range(1, len(cands) + 1):
        for subset in itertools.combinations(cands, k):
            if split:
                ok = all(
                    sum(c.available.get(line.sku, 0) for c in subset) >= line.qty
                    for line in facts.lines
                )
            else:
                ok = all(
                    any(c.available.get(line.sku, 0) >= line.qty for c in subset)
                    for line in facts.lines
                )
            if ok:
                return k
    return None


def small(rng: random.Random, count: int) -> tuple[int, int, float]:
    """(instances with a complete plan, of which ours is optimal, mean ours / optimum)."""
    profiles = {
        split: SourcingProfile(
            id="small",
            version=1,
            strategies=(Strategy(name="s", split=SplitPolicy(split_lines=split)),),
            fallback=Strategy(name="f", split=SplitPolicy(split_lines=split)),
        )
        for split in (True, False)
    }
    seen = optimal = 0
    ratio = 0.0
    while seen < count:
        split = rng.random() < 0.5
        facts, cands = small_instance(rng, split)
        best = optimum(facts, cands, split)
        if best is None:
            continue
        plan = source_order(facts, cands, profiles[split])
        ours = len(plan.locations) if not plan.unplaced else len(cands) + 1
        seen += 1
        optimal += ours == best
        ratio += ours / best
    return seen, optimal, ratio / seen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=200, help="orders per timed case")
    ap.add_argument("--small", type=int, default=2000, help="small instances vs brute force")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ap.add_argument(
        "--stores-only",
        action="store_true",
        help="networks of stores alone: no warehouse holds a whole order (the harder case)",
    )
    args = ap.parse_args(argv)
    kinds = STORES_ONLY if args.stores_only else KINDS

    cases: dict[str, Case] = {}
    for lines in LINES:
        for size in LOCATIONS:
            rng = random.Random(f"{args.seed}:{lines}x{size}")
            orders = args.orders if lines * size <= 25_000 else max(20, args.orders // 4)
            cases[f"{lines}x{size}"] = timing(rng, lines, size, orders, kinds)
    seen, optimal, mean_ratio = small(random.Random(args.seed), args.small)
    large = [k for k in cases if int(k.split("x")[0]) >= 10 and int(k.split("x")[1]) >= 500]
    ours = sum(sum(cases[k].ours) for k in large)
    greedy = sum(sum(cases[k].greedy) for k in large)
    out = {
        "network": "stores-only" if args.stores_only else "mixed",
        "p50_ms": {k: round(c.pct(50), 3) for k, c in cases.items()},
        "p99_ms": {k: round(c.pct(99), 3) for k, c in cases.items()},
        "cpu_p99_ms": {k: round(c.pct(99, cpu=True), 3) for k, c in cases.items()},
        "orders": {k: len(c.times_ms) for k, c in cases.items()},
        "exact_share": {k: round(c.exact / len(c.times_ms), 3) for k, c in cases.items()},
        "optimal_share_small": round(optimal / seen, 4),
        "small_instances": seen,
        "small_mean_ratio_to_optimum": round(mean_ratio, 4),
        "splits_vs_greedy_large": round(ours / greedy, 3) if greedy else None,
        "locations_per_order_large": {
            k: {
                "ours": round(sum(cases[k].ours) / max(1, len(cases[k].ours)), 2),
                "greedy": round(sum(cases[k].greedy) / max(1, len(cases[k].greedy)), 2),
            }
            for k in large
        },
    }
    if args.json:
        print(json.dumps(out))
        return 0
    print("decision time, ms (p50 / p99), lines x locations:")
    for k in cases:
        mark = f"   target p99 <= {TARGET_P99_MS:g}" if k == TARGET_CASE else ""
        print(
            f"  {k:>8}  {out['p50_ms'][k]:8.3f} / {out['p99_ms'][k]:8.3f}"  # type: ignore[index]
            f"   cpu p99 {out['cpu_p99_ms'][k]:8.3f}"  # type: ignore[index]
            f"   exact {out['exact_share'][k]:.0%}{mark}"  # type: ignore[index]
        )
    print(
        f"small instances: optimal on {optimal} of {seen} ({optimal / seen:.2%}, target "
        f">= {TARGET_OPTIMAL:.0%}), mean locations / optimum {mean_ratio:.4f}"
    )
    print(f"large instances: locations ours / naive greedy = {out['splits_vs_greedy_large']}")
    for k, v in out["locations_per_order_large"].items():  # type: ignore[attr-defined]
        print(f"  {k:>8}  ours {v['ours']:.2f}  greedy {v['greedy']:.2f} per order")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
