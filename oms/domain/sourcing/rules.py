"""A strategy's rules applied to one order: its conditions, its filters and its criteria.

Criteria, as values where lower ranks better (the explanation shows the raw value):
- ``distance``: great-circle km to the destination (0 without one);
- ``lead_time``: the location's fulfilment lead time in hours;
- ``capacity``: fulfilments it can still take today (daily capacity - taken today - its open
  work from before today), more first; a location without a daily capacity counts as
  unlimited;
- ``performance``: recent reject rate + short-pick rate (each 0..1);
- ``cost``: cost to serve one parcel from it, in minor units: ``per_parcel`` + ``per_km`` x km,
  from the profile's rate for its type (``*`` for any other). The order's value does not
  depend on where it ships from, so the cheapest plan is the one with the best margin;
- ``stock_balance``: the smallest share of stock it keeps after the pick over the order's SKUs
  it can give, ``(ATP - taken) / on hand`` (on hand defaults to ATP): 1 leaves it untouched,
  0 empties a shelf; fuller first, so that stores do not run out;
- ``location_type`` / ``priority``: position of its type / its id in ``prefer`` (unlisted:
  after all listed).
With a ``band``, a value counts as ``floor(value / band)``.

A plan of several locations is judged per criterion by its worst location, then by the sum
over its locations (``cost``: the sum alone, the order's total cost to serve); criteria
compare in order, then the sorted location ids.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oms.domain.geo import EARTH_RADIUS_KM, GeoPoint
from oms.domain.sourcing.profiles import Conditions, CostRate, Criterion, Filters, SourcingProfile
from oms.domain.words import listed

if TYPE_CHECKING:
    from oms.domain.sourcing.models import Candidate, OrderFacts

# Why a location was left out, in the order they are checked.
AFTER_FAILURE = "excluded_after_failure"
CLOSED = "closed"
TYPE = "type"
NETWORK = "network"
CAPACITY = "capacity"  # what it took today fills its daily capacity
OPEN_WORK = "open_work"  # what it took today and its open work from before fill it
DISTANCE = "distance"
NO_STOCK = "no_stock"
DROPSHIP_CATEGORY = "dropship_category"
STOCK_COVER = "stock_cover"
# A location whose profile does not perform a service a line asks: "service_not_offered:
# engraving" (the services it lacks, comma-separated).
SERVICE_NOT_OFFERED = "service_not_offered"
FILTER_ORDER = (
    AFTER_FAILURE,
    CLOSED,
    TYPE,
    NETWORK,
    CAPACITY,
    OPEN_WORK,
    NO_STOCK,
    SERVICE_NOT_OFFERED,
    DROPSHIP_CATEGORY,
    STOCK_COVER,
    DISTANCE,
)
UNLIMITED = 10**12


def unmet_conditions(cond: Conditions, order: OrderFacts) -> list[str]:
    """Each condition the order fails, in words; empty when the strategy applies."""
    out: list[str] = []

    def one_of(what: str, value: str | None, allowed: tuple[str, ...] | None) -> None:
        if allowed is not None and value not in allowed:
            out.append(f"{what} {value!r} is not {listed(allowed, last='or')}")

    one_of("channel", order.channel, cond.channels)
    one_of("customer tier", order.customer_tier, cond.customer_tiers)
    if cond.min_order_value is not None or cond.max_order_value is not None:
        if cond.currency is not None and order.currency != cond.currency:
            out.append(f"order value is in {order.currency or '?'}, not {cond.currency}")
        elif cond.min_order_value is not None and order.order_value < cond.min_order_value:
            out.append(f"order value {order.order_value} is under {cond.min_order_value}")
        elif cond.max_order_value is not None and order.order_value > cond.max_order_value:
            out.append(f"order value {order.order_value} is over {cond.max_order_value}")
    one_of("delivery", order.delivery.value, cond.delivery)
    one_of("country", order.country, cond.countries)
    one_of("region", order.region, cond.regions)
    categories = [line.category for line in order.lines]
    if cond.categories is not None and not set(categories) & set(cond.categories):
        out.append(f"no line is in {listed(cond.categories, last='or')}")
    if cond.only_categories is not None:
        others = sorted(set(categories) - set(cond.only_categories))
        if others:
            out.append(f"lines in {listed(others)} are outside {listed(cond.only_categories)}")
    lines = len(order.lines)
    if cond.min_lines is not None and lines < cond.min_lines:
        out.append(f"{lines} lines, fewer than {cond.min_lines}")
    if cond.max_lines is not None and lines > cond.max_lines:
        out.append(f"{lines} lines, more than {cond.max_lines}")
    return out


class Distances:
    """Km from each location to the destination (None without one), each computed once and
    only when a filter or a criterion asks: the haversine of ``oms.domain.geo``."""

    def __init__(self, destination: GeoPoint | None) -> None:
        self.destination = destination
        self._km: dict[str, float | None] = {}
        if destination is not None:
            self._lat = math.radians(destination.lat)
            self._lon = math.radians(destination.lon)
            self._cos = math.cos(self._lat)

    def of(self, c: Candidate) -> float | None:
        km = self._km.get(c.location_id)
        if km is None and self.destination is not None:
            lat, lon = math.radians(c.point.lat), math.radians(c.point.lon)
            h = (
                math.sin((lat - self._lat) / 2) ** 2
                + self._cos * math.cos(lat) * math.sin((lon - self._lon) / 2) ** 2
            )
            km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
            self._km[c.location_id] = km
        return km


@dataclass(slots=True)
class Usable:
    """A location the strategy may use, what it may give and how it ranks."""

    candidate: Candidate
    location_id: str
    stock: dict[str, int]  # per SKU of the order, after the filters
    distance: float  # km, 0 without a destination
    key: tuple[float, ...] = ()


def service_reason(missing: Iterable[str]) -> str:
    """How the explanation names a location left out for services: ``service_not_offered:
    engraving``."""
    return f"{SERVICE_NOT_OFFERED}: {', '.join(sorted(missing))}"


def services_asked(order: OrderFacts) -> dict[str, frozenset[str]]:
    """The services each SKU's lines ask, for the SKUs of lines that ask any. A SKU asked
    with a service on one line and without on another counts as asking it: its units are
    never taken where a line of it could not be served (the cost: the plain line cannot
    go there either)."""
    out: dict[str, frozenset[str]] = {}
    for line in order.lines:
        if line.services:
            out[line.sku] = out.get(line.sku, frozenset()) | {s.value for s in line.services}
    return out


def _serviceable(
    c: Candidate, stock: dict[str, int], asked: Mapping[str, frozenset[str]]
) -> tuple[dict[str, int], set[str]]:
    """The stock of the SKUs whose lines' services the location performs, and the services
    it lacks for the others (empty: it serves every line it has stock for)."""
    offered = c.services
    if offered is None:
        return stock, set()
    missing: set[str] = set()
    kept = {}
    for sku, qty in stock.items():
        lacks = asked.get(sku, frozenset()) - offered
        if lacks:
            missing |= lacks
        else:
            kept[sku] = qty
    return kept, missing


def screen(
    order: OrderFacts,
    candidates: Sequence[Candidate],
    filters: Filters,
    *,
    exclude: frozenset[str],
    distances: Distances,
    limited: list[tuple[str, str]] | None = None,
) -> tuple[list[Usable], list[tuple[str, str]]]:
    """The locations the filters leave, and (location id, filter) for each one they exclude.

    A location that does not perform a service a line asks keeps none of that line's SKU;
    left with nothing it is excluded (``service_not_offered: ...``), else it is kept for the
    other lines and named in ``limited`` (location id, reason).
    """
    categories = {line.sku: line.category for line in order.lines}
    skus = list(categories)
    asked = services_asked(order)
    usable: list[Usable] = []
    excluded: list[tuple[str, str]] = []
    types = set(filters.location_types) if filters.location_types is not None else None
    networks = set(filters.networks) if filters.networks is not None else None
    max_km = filters.max_distance_km
    open_only, min_capacity = filters.open_only, filters.min_remaining_capacity
    dropship = filters.dropship_categories
    cover = filters.min_stock_cover
    # One pass, the cheap checks first: this loop runs over every location of the network.
    for c in candidates:
        loc = c.location_id
        if loc in exclude:
            reason = AFTER_FAILURE
        elif open_only and not c.is_open:
            reason = CLOSED
        elif types is not None and c.type not in types:
            reason = TYPE
        elif networks is not None and networks.isdisjoint(c.networks):
            reason = NETWORK
        elif (
            c.daily_capacity is not None
            and (left := c.daily_capacity - c.capacity_used) - c.open_work < min_capacity
        ):
            reason = CAPACITY if left < min_capacity else OPEN_WORK
        else:
            available = c.available
            stock = {s: q for s in skus if (q := available.get(s, 0)) > 0}
            missing: set[str] = set()
            if stock and asked:
                stock, missing = _serviceable(c, stock, asked)
            if missing and not stock:
                reason = service_reason(missing)
            elif stock and dropship is not None and c.type == "dropship":
                stock = _dropship_stock(c, stock, dropship, categories)
                reason = DROPSHIP_CATEGORY
            else:
                reason = NO_STOCK
            if stock and cover:
                stock = {s: q - cover for s, q in stock.items() if q > cover}
                reason = STOCK_COVER
            if stock:
                km = distances.of(c)
                if max_km is not None and km is not None and km > max_km:
                    reason = DISTANCE
                else:
                    usable.append(Usable(c, loc, stock, km or 0.0))
                    if missing and limited is not None:
                        limited.append((loc, service_reason(missing)))
                    continue
        excluded.append((loc, reason))
    return usable, excluded


def _dropship_stock(
    c: Candidate,
    stock: dict[str, int],
    rules: Mapping[str, tuple[str, ...]],
    categories: Mapping[str, str],
) -> dict[str, int]:
    allowed = set(rules.get(c.vendor_id or "", ())) | set(rules.get("*", ()))
    return {s: q for s, q in stock.items() if categories[s] in allowed}


RawValue = Callable[[Usable], float | None]
Ranked = Callable[[Usable], float]


def raw_value(crit: Criterion, needs: Mapping[str, int], profile: SourcingProfile) -> RawValue:
    """The criterion's value for a location, as the explanation shows it."""
    name = crit.criterion
    if name == "distance":
        return lambda u: u.distance
    if name == "lead_time":
        return lambda u: u.candidate.lead_time_hours
    if name == "capacity":
        return _capacity_left
    if name == "performance":
        return lambda u: u.candidate.reject_rate + u.candidate.short_pick_rate
    if name == "cost":
        rates: dict[str, CostRate] = {}

        def cost(u: Usable) -> float:
            kind = u.candidate.type
            rate = rates.get(kind) or rates.setdefault(kind, profile.cost_rate(kind))
            return rate.per_parcel + rate.per_km * u.distance

        return cost
    if name == "stock_balance":
        return lambda u: _stock_left(u, needs)
    pos = {value: i for i, value in enumerate(crit.prefer)}
    if name == "location_type":
        return lambda u: pos.get(u.candidate.type, len(pos))
    return lambda u: pos.get(u.location_id, len(pos))


def _ranked(crit: Criterion, needs: Mapping[str, int], profile: SourcingProfile) -> Ranked:
    """The criterion's value for a location as it ranks: lower is better, banded."""
    raw = raw_value(crit, needs, profile)
    value: Ranked
    if crit.criterion == "capacity":
        value = lambda u: -(UNLIMITED if (left := raw(u)) is None else left)  # noqa: E731
    elif crit.criterion == "stock_balance":
        value = lambda u: -(raw(u) or 0.0)  # noqa: E731
    else:
        value = lambda u: raw(u) or 0.0  # noqa: E731
    band = crit.band
    if band:
        return lambda u: math.floor(value(u) / band)
    return value


def rank(
    usable: list[Usable],
    criteria: Sequence[Criterion],
    needs: Mapping[str, int],
    profile: SourcingProfile,
) -> None:
    """Score every usable location on each criterion and sort them, best first."""
    values = [_ranked(c, needs, profile) for c in criteria]
    for u in usable:
        u.key = tuple([value(u) for value in values])
    usable.sort(key=lambda u: (u.key, u.location_id))


def _capacity_left(u: Usable) -> float | None:
    c = u.candidate
    return None if c.daily_capacity is None else c.daily_capacity - c.capacity_used - c.open_work


def _cost(rate: CostRate, km: float) -> float:
    return rate.per_parcel + rate.per_km * km


def _stock_left(u: Usable, needs: Mapping[str, int]) -> float:
    on_hand = u.candidate.on_hand
    available = u.candidate.available
    low = 1.0
    for sku, offered in u.stock.items():
        atp = available[sku]
        need = needs[sku]
        base = atp if on_hand is None else max(on_hand.get(sku, atp), atp)
        share = (atp - (offered if offered < need else need)) / (base or 1)
        if share < low:
            low = share
    return low if u.stock else 0.0


def plan_key_of(usable: Sequence[Usable], criteria: Sequence[Criterion]) -> Any:
    """Orders sets of locations (indices into ``usable``) of the same size: smaller is better."""
    sums_only = [crit.criterion == "cost" for crit in criteria]

    def plan_key(chosen: tuple[int, ...]) -> tuple[Any, ...]:
        keys = [usable[loc].key for loc in chosen]
        out: list[Any] = []
        for j, only_sum in enumerate(sums_only):
            column = [k[j] for k in keys]
            if not only_sum:
                out.append(max(column))
            out.append(sum(column))
        out.append(sorted(usable[loc].location_id for loc in chosen))
        return tuple(out)

    return plan_key
