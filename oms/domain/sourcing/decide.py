"""One sourcing decision: the profile's strategies in turn, each screened, searched, allocated,
and the explanation of the one that decided."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oms.domain.sourcing.explain import (
    EXCLUDED_IDS,
    TOP_CANDIDATES,
    CandidateScore,
    DestinationNote,
    ExcludedGroup,
    SearchMethod,
    SourcingExplanation,
    StrategyOutcome,
    StrategyTrace,
)
from oms.domain.sourcing.models import Allocation, Candidate, Demand, OrderFacts, SourcingPlan
from oms.domain.sourcing.profiles import SourcingProfile, Strategy
from oms.domain.sourcing.rules import (
    FILTER_ORDER,
    Distances,
    Usable,
    plan_key_of,
    rank,
    raw_value,
    screen,
    unmet_conditions,
)
from oms.domain.sourcing.search import Cover, find_cover


@dataclass
class Decision:
    plan: SourcingPlan
    candidates: list[Candidate]
    distances: Distances
    reasons: dict[str, str]  # location id -> filter, for the strategy that decided


@dataclass
class _Attempt:
    strategy: Strategy
    usable: list[Usable]
    excluded: list[tuple[str, str]]
    cover: Cover
    allocations: list[Allocation]
    unplaced: list[Demand]
    limited: list[tuple[str, str]]


def decide(
    order: OrderFacts,
    candidates: Sequence[Candidate],
    profile: SourcingProfile,
    exclude: frozenset[str],
) -> Decision:
    cands = sorted(candidates, key=lambda c: c.location_id)
    distances = Distances(order.destination)
    traces: list[StrategyTrace] = []
    attempt: _Attempt | None = None
    for strategy in profile.strategies:
        unmet = unmet_conditions(strategy.conditions, order)
        if unmet:
            traces.append(
                StrategyTrace(
                    name=strategy.name, outcome=StrategyOutcome.CONDITIONS_NOT_MET, reasons=unmet
                )
            )
            continue
        attempt = _attempt(order, cands, strategy, profile, exclude, distances)
        if not attempt.unplaced:
            break
        traces.append(
            StrategyTrace(
                name=strategy.name,
                outcome=StrategyOutcome.COULD_NOT_FULFIL,
                reasons=[_shortfall(attempt)],
            )
        )
        attempt = None
    fallback = attempt is None
    if attempt is None:
        attempt = _attempt(order, cands, profile.fallback, profile, exclude, distances)
    chosen_reasons = [_shortfall(attempt)] if attempt.unplaced else []
    traces.append(
        StrategyTrace(
            name=attempt.strategy.name, outcome=StrategyOutcome.CHOSEN, reasons=chosen_reasons
        )
    )
    plan = SourcingPlan(
        allocations=attempt.allocations,
        unplaced=attempt.unplaced,
        strategy=attempt.strategy.name,
        unplaced_action=attempt.strategy.split.unplaced,
        explanation=_explain(order, profile, attempt, traces, fallback, len(cands)),
    )
    return Decision(plan, cands, distances, dict(attempt.excluded))


def _attempt(
    order: OrderFacts,
    cands: list[Candidate],
    strategy: Strategy,
    profile: SourcingProfile,
    exclude: frozenset[str],
    distances: Distances,
) -> _Attempt:
    limited: list[tuple[str, str]] = []
    usable, excluded = screen(
        order, cands, strategy.filters, exclude=exclude, distances=distances, limited=limited
    )
    needs: dict[str, int] = {}
    for line in order.lines:
        needs[line.sku] = needs.get(line.sku, 0) + line.qty
    rank(usable, strategy.criteria, needs, profile)
    split = strategy.split.split_lines
    groups: list[int] | None = None
    if split:
        skus = list(needs)
        item_needs = list(needs.values())
    else:
        skus = [line.sku for line in order.lines]
        item_needs = [line.qty for line in order.lines]
        if len(set(skus)) < len(skus):
            groups = [skus.index(s) for s in skus]
    single = next(
        (i for i, u in enumerate(usable) if all(u.stock.get(s, 0) >= q for s, q in needs.items())),
        None,
    )
    cover = (
        Cover((single,), True, SearchMethod.SINGLE, single + 1)
        if single is not None
        else find_cover(
            item_needs,
            [[u.stock.get(s, 0) for s in skus] for u in usable],
            split=split,
            plan_key=plan_key_of(usable, strategy.criteria),
            max_locations=strategy.split.max_locations,
            groups=groups,
        )
    )
    chosen = [usable[loc] for loc in sorted(cover.chosen)]
    allocations, unplaced = _allocate(order, chosen, split)
    if unplaced and groups is not None and cover.complete:
        # A SKU on several whole lines: replay the search's own order, which placed them all.
        allocations, unplaced = _allocate(order, [usable[loc] for loc in cover.chosen], split, True)
    return _Attempt(strategy, usable, excluded, cover, allocations, unplaced, limited)


def _allocate(
    order: OrderFacts, chosen: list[Usable], split: bool, in_turn: bool = False
) -> tuple[list[Allocation], list[Demand]]:
    """Lines onto the chosen locations: each whole at the best-ranked location that has it,
    else (if lines may split) from the locations holding the most first, so that it is cut
    in as few pieces as possible. ``in_turn``: each location in turn takes the whole lines it
    can, the largest first, as the search counted them."""
    stock = {u.location_id: dict(u.stock) for u in chosen}
    allocations: list[Allocation] = []
    unplaced: list[Demand] = []
    lines = order.lines
    if in_turn:
        left = {line.line_id: line.qty for line in lines}
        largest_first = sorted(lines, key=lambda x: -x.qty)
        for u in chosen:
            have = stock[u.location_id]
            for line in largest_first:
                if left[line.line_id] and have.get(line.sku, 0) >= line.qty:
                    have[line.sku] -= line.qty
                    left[line.line_id] = 0
                    allocations.append(_alloc(u, line.line_id, line.sku, line.qty))
        unplaced = [
            Demand(line_id=x.line_id, sku=x.sku, qty=x.qty) for x in lines if left[x.line_id]
        ]
        return _in_line_order(allocations, order), unplaced
    for line in lines:
        whole = next((u for u in chosen if stock[u.location_id].get(line.sku, 0) >= line.qty), None)
        if whole is not None:
            stock[whole.location_id][line.sku] -= line.qty
            allocations.append(_alloc(whole, line.line_id, line.sku, line.qty))
            continue
        missing = line.qty
        if split:
            sources = sorted(chosen, key=lambda u: -stock[u.location_id].get(line.sku, 0))
            for u in sources:
                take = min(missing, stock[u.location_id].get(line.sku, 0))
                if take <= 0:
                    break
                stock[u.location_id][line.sku] -= take
                missing -= take
                allocations.append(_alloc(u, line.line_id, line.sku, take))
        if missing:
            unplaced.append(Demand(line_id=line.line_id, sku=line.sku, qty=missing))
    return allocations, unplaced


def _alloc(u: Usable, line_id: str, sku: str, qty: int) -> Allocation:
    return Allocation(location_id=u.location_id, line_id=line_id, sku=sku, qty=qty)


def _in_line_order(allocations: list[Allocation], order: OrderFacts) -> list[Allocation]:
    pos = {line.line_id: i for i, line in enumerate(order.lines)}
    return sorted(allocations, key=lambda a: (pos[a.line_id], a.location_id))


def _shortfall(attempt: _Attempt) -> str:
    missing = sum(d.qty for d in attempt.unplaced)
    limit = attempt.strategy.split.max_locations
    within = f" within {limit} location(s)" if limit else ""
    how = "" if attempt.strategy.split.split_lines else " without splitting a line"
    return f"{missing} unit(s) cannot be placed{within}{how}"


def _explain(
    order: OrderFacts,
    profile: SourcingProfile,
    attempt: _Attempt,
    traces: list[StrategyTrace],
    fallback: bool,
    considered: int,
) -> SourcingExplanation:
    used = {a.location_id for a in attempt.allocations}
    ranked = list(enumerate(attempt.usable, start=1))
    top = [x for x in ranked if x[1].location_id in used]
    top += [x for x in ranked if x[1].location_id not in used][: max(0, TOP_CANDIDATES - len(top))]
    needs: dict[str, int] = {}
    for line in order.lines:
        needs[line.sku] = needs.get(line.sku, 0) + line.qty
    values = [(c.criterion, raw_value(c, needs, profile)) for c in attempt.strategy.criteria]
    return SourcingExplanation(
        profile=profile.ref,
        profile_id=profile.id,
        profile_version=profile.version,
        strategy=attempt.strategy.name,
        fallback=fallback,
        strategies=traces,
        units=sum(needs.values()),
        method=attempt.cover.method,
        nodes=attempt.cover.nodes,
        locations_considered=considered,
        locations_usable=len(attempt.usable),
        transfer_to_store=profile.transfer_to_store,
        candidates=[
            CandidateScore(
                location_id=u.location_id,
                chosen=u.location_id in used,
                rank=i,
                covers_units=sum(min(q, needs[s]) for s, q in u.stock.items()),
                scores={name: _rounded(value_of(u)) for name, value_of in values},
            )
            for i, u in top
        ],
        excluded=_grouped(attempt.excluded),
        limited=_grouped(attempt.limited),
        destination=_destination(order),
    )


def _destination(order: OrderFacts) -> DestinationNote | None:
    point = order.destination
    if point is None:
        return None
    return DestinationNote(
        lat=point.lat, lon=point.lon, source=order.destination_source, area=order.destination_area
    )


def _grouped(reasons: list[tuple[str, str]]) -> list[ExcludedGroup]:
    """(location, reason) pairs counted per reason, in the order the filters run; a reason
    with details (``service_not_offered: engraving``) after its filter's name."""
    by_filter: dict[str, list[str]] = {}
    for loc, reason in reasons:
        by_filter.setdefault(reason, []).append(loc)

    def position(reason: str) -> tuple[int, str]:
        name = reason.split(":", 1)[0]
        at = FILTER_ORDER.index(name) if name in FILTER_ORDER else len(FILTER_ORDER)
        return at, reason

    return [
        ExcludedGroup(filter=f, count=len(ids), location_ids=ids[:EXCLUDED_IDS])
        for f in sorted(by_filter, key=position)
        for ids in [by_filter[f]]
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
