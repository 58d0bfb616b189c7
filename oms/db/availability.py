"""What available-to-promise is computed from, read from the database: a channel's network,
the rules and exclusions that touch the SKUs asked about, and their positions. It loads and
decides nothing: ``oms.domain.availability_lookup`` and ``oms.domain.availability`` decide.

Every call reads the rules afresh, so a rule or exclusion takes effect on the next request.
A few small indexed queries per call, whatever the number of SKUs (up to the API's 500).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from oms.db import tables as t
from oms.domain.availability import (
    Channel,
    Exclusion,
    LocationInfo,
    ProductInfo,
    Stock,
)
from oms.domain.availability_lookup import AtpFacts, ChannelSetup
from oms.domain.geo import GeoPoint
from oms.domain.safety import SafetyQuantity, SafetyRule


class UnknownChannel(LookupError):
    def __init__(self, channel_id: str) -> None:
        super().__init__(f"no channel {channel_id!r}")
        self.channel_id = channel_id


def location_info(loc: t.Location) -> LocationInfo:
    return _info(loc.id, loc.type, loc.vendor_id, loc.country, loc.is_open)


def _info(id_: str, type_: str, vendor: str | None, country: str, is_open: bool) -> LocationInfo:
    # Rows the admin API validated on the way in: constructed, not validated again.
    return LocationInfo.model_construct(
        id=id_,
        type=type_,  # type: ignore[arg-type]
        vendor_id=vendor if type_ == "dropship" else None,
        country=country,
        is_open=is_open,
    )


def channel_buffer_of(row: t.Channel) -> SafetyQuantity | None:
    if row.buffer_quantity is not None:
        return SafetyQuantity(quantity=row.buffer_quantity)
    if row.buffer_percent is not None:
        return SafetyQuantity(percent=row.buffer_percent)
    return None


# Channels, networks and locations change seldom and are read on every lookup: each process
# keeps them for TOPOLOGY_TTL_S. The admin API forgets them on every write, so a change is
# seen at once by the process that made it and within TOPOLOGY_TTL_S by the others. Rules and
# exclusions are not cached: they are read on every lookup.
TOPOLOGY_TTL_S = 2.0
_topology: dict[tuple[str, str], tuple[float, ChannelSetup]] = {}


def forget_topology() -> None:
    """Drop the cached channels (after a location, network or channel changed)."""
    _topology.clear()


def everywhere(session: Session, channel_id: str) -> ChannelSetup:
    """A channel no one configured, as sourcing sees it: every location, no buffer."""
    loc = t.Location
    rows = session.execute(select(*map(col, _LOCATION_COLUMNS)).order_by(col(loc.id))).all()
    return _setup(
        Channel(id=channel_id or "*", market="*", network=[r[0] for r in rows]),
        network_id="",
        rows=rows,
    )


def load_channel(session: Session, channel_id: str) -> ChannelSetup:
    """The channel and its network's locations (cached, see above). Raises UnknownChannel."""
    key = (str(session.get_bind().engine.url), channel_id)
    cached = _topology.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < TOPOLOGY_TTL_S:
        return cached[1]
    setup = _read_channel(session, channel_id)
    _topology[key] = (now, setup)
    return setup


def _read_channel(session: Session, channel_id: str) -> ChannelSetup:
    row = session.get(t.Channel, channel_id)
    if row is None:
        raise UnknownChannel(channel_id)
    rows = session.execute(
        select(*map(col, _LOCATION_COLUMNS))
        .join(t.NetworkLocation, col(t.NetworkLocation.location_id) == col(t.Location.id))
        .where(col(t.NetworkLocation.network_id) == row.network_id)
        .order_by(col(t.Location.id))
    ).all()
    channel = Channel(
        id=row.id,
        market=row.market,
        network=[r[0] for r in rows],
        buffer=channel_buffer_of(row),
    )
    return _setup(channel, network_id=row.network_id, rows=rows, low_stock=row.low_stock)


_LOCATION_COLUMNS = (
    t.Location.id,
    t.Location.type,
    t.Location.vendor_id,
    t.Location.country,
    t.Location.is_open,
    t.Location.lat,
    t.Location.lon,
)


def _setup(
    channel: Channel, *, network_id: str, rows: Sequence[Any], low_stock: int = 0
) -> ChannelSetup:
    return ChannelSetup(
        channel=channel,
        network_id=network_id,
        locations={r[0]: _info(*r[:5]) for r in rows},
        points={r[0]: GeoPoint(lat=r[5], lon=r[6]) for r in rows},
        low_stock=low_stock,
    )


# The lookups below run on every ATP request, a few thousand times a second: plain SQL on the
# driver's cursor (SQLAlchemy's statement and row handling cost more than the database's work
# here), the same text on SQLite and PostgreSQL but for the placeholder.
_RULE_COLUMNS = (
    "id",
    "scope",
    "sku",
    "category",
    "location_id",
    "vendor_id",
    "location_type",
    "channel",
    "quantity",
    "percent",
)
_EXCLUSION_COLUMNS = ("id", "channel", "market", "sku", "category", "location_id")


def _fetch(session: Session, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql``, written with ``?`` placeholders, on the session's own connection."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values)) or "NULL"


def load_products(session: Session, skus: Iterable[str]) -> dict[str, ProductInfo]:
    wanted = sorted(set(skus))
    rows = _fetch(
        session, f"SELECT sku, category FROM products WHERE sku IN ({_marks(wanted)})", wanted
    )
    return {sku: ProductInfo.model_construct(sku=sku, category=category) for sku, category in rows}


def load_rules(session: Session, products: Collection[ProductInfo]) -> list[SafetyRule]:
    """The safety rules that can touch these products (all rules not narrowed to other SKUs
    or categories)."""
    skus = sorted({p.sku for p in products})
    categories = sorted({p.category for p in products})
    rows = _fetch(
        session,
        f"SELECT {', '.join(_RULE_COLUMNS)} FROM safety_rules"
        f" WHERE (sku IS NULL OR sku IN ({_marks(skus)}))"
        f" AND (category IS NULL OR category IN ({_marks(categories)})) ORDER BY id",
        [*skus, *categories],
    )
    return [_rule_from(row) for row in rows]


@lru_cache(maxsize=4096)
def _rule_from(row: tuple[Any, ...]) -> SafetyRule:
    # Rows the admin API validated: each distinct row is validated once per process.
    return _rule(dict(zip(_RULE_COLUMNS, row, strict=True)))


def _rule(values: Mapping[str, Any]) -> SafetyRule:
    return SafetyRule.model_validate({k: v for k, v in values.items() if v is not None})


def rule_of(row: t.SafetyRule) -> SafetyRule:
    return _rule(row.model_dump(exclude={"note", "created_at", "updated_at"}))


def exclusion_of(row: t.Exclusion) -> Exclusion:
    return Exclusion.model_validate(row.model_dump(exclude={"note", "created_at"}))


def load_exclusions(session: Session, channel: Channel) -> list[Exclusion]:
    rows = _fetch(
        session,
        f"SELECT {', '.join(_EXCLUSION_COLUMNS)} FROM exclusions"
        " WHERE channel = ? OR market = ? ORDER BY id",
        [channel.id, channel.market],
    )
    return [_exclusion_from(row) for row in rows]


@lru_cache(maxsize=4096)
def _exclusion_from(row: tuple[Any, ...]) -> Exclusion:
    return Exclusion.model_validate(dict(zip(_EXCLUSION_COLUMNS, row, strict=True)))


def load_positions(session: Session, skus: Iterable[str]) -> list[Stock]:
    """Every position of the SKUs: one range of the primary key per SKU. Positions outside a
    channel's network are left out by the ATP computation (cheaper than a join here)."""
    wanted = sorted(set(skus))
    rows = _fetch(
        session,
        "SELECT sku, location_id, on_hand, reserved, in_transit, quarantined"
        " FROM inventory_positions"
        f" WHERE sku IN ({_marks(wanted)})",
        wanted,
    )
    return [Stock._make(row) for row in rows]


def channel_setup(session: Session, channel_id: str) -> ChannelSetup:
    """The channel as configured, or, for a channel no one configured, every location (how
    sourcing sees an unknown channel)."""
    try:
        return load_channel(session, channel_id)
    except UnknownChannel:
        return everywhere(session, channel_id)


def load_facts(session: Session, setup: ChannelSetup, skus: Collection[str]) -> AtpFacts:
    """What a lookup of these SKUs in the channel needs: products, the rules and exclusions
    that can touch them, their positions. ``oms.domain.availability_lookup.atp_for`` decides."""
    products = load_products(session, skus)
    by_sku: dict[str, list[Stock]] = {}
    for pos in load_positions(session, products):
        by_sku.setdefault(pos.sku, []).append(pos)
    return AtpFacts(
        products=products,
        rules=load_rules(session, products.values()),
        exclusions=load_exclusions(session, setup.channel),
        positions=by_sku,
    )


def sku_positions(
    session: Session, sku: str
) -> tuple[ProductInfo | None, list[SafetyRule], list[tuple[t.InventoryPosition, t.Location]]]:
    """One SKU's product, the safety rules that can touch it, and its positions with their
    locations, in location order."""
    product = load_products(session, [sku]).get(sku)
    if product is None:
        return None, [], []
    rows = session.exec(
        select(t.InventoryPosition, t.Location)  # type: ignore[call-overload]
        .join(t.Location, col(t.Location.id) == col(t.InventoryPosition.location_id))
        .where(col(t.InventoryPosition.sku) == sku)
        .order_by(col(t.Location.id))
    ).all()
    return product, load_rules(session, [product]), [(pos, loc) for pos, loc in rows]
