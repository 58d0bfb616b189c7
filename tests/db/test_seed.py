"""The demo data `oms dev` starts with: channels a storefront can ask about at once."""

from __future__ import annotations

from sqlmodel import Session

from oms.db import availability as av
from oms.db import catalogue, waves
from oms.db.engine import Database
from oms.domain.availability import ChannelAtp
from oms.seed import products, seed_catalog, seed_channels
from oms.services.availability import channel_figures


def channel_atp(
    s: Session, channel: str, skus: list[str], *, detail: bool = False
) -> dict[str, ChannelAtp | None]:
    setup = av.load_channel(s, channel)
    return channel_figures(s, setup, skus, detail=detail)


def test_the_demo_sells_gift_cards_on_the_web_but_not_on_the_marketplace(db: Database) -> None:
    assert seed_catalog(db) is True
    with db.session() as s:
        web = channel_atp(s, "web-fr", ["GIF-001", "ELE-001"])
        market = channel_atp(s, "marketplace-x", ["GIF-001", "ELE-001"])
        kiosk = channel_atp(s, "kiosk", ["ELE-001"], detail=True)
    assert web["GIF-001"] is not None
    assert web["GIF-001"].atp > 0
    assert market["GIF-001"] is not None
    assert market["GIF-001"].atp == 0
    assert market["GIF-001"].terms.excluded_by == "no-gift-cards-on-marketplace"
    assert market["ELE-001"] is not None
    assert market["ELE-001"].atp > 0
    # Kiosks sell from the stores only, each keeping its last unit.
    kiosk_phone = kiosk["ELE-001"]
    assert kiosk_phone is not None
    assert {line.location.terms.safety for line in kiosk_phone.locations} == {1}
    assert all(loc.startswith("ST-") for loc in kiosk_phone.by_location)


def test_seeding_again_adds_nothing_twice(db: Database) -> None:
    assert seed_catalog(db) is True
    assert seed_catalog(db) is False
    with db.session() as s:
        seed_channels(s)  # already there: nothing happens, no duplicate key


def test_the_demo_stores_know_where_each_product_sits_and_scans_find_it(db: Database) -> None:
    assert seed_catalog(db) is True
    skus = [p["sku"] for p in products()]

    with db.reading() as s:
        placed = waves.places(s, "ST-PARIS-OPERA", skus)
        scanned = catalogue.skus_of_barcodes(s, [products()[0]["barcodes"][0]])

    assert all(placed[sku].zone is not None for sku in skus)
    # The walk goes through the catalogue zone by zone.
    walk = sorted(skus, key=lambda sku: placed[sku].walk_order or 0)
    assert [placed[sku].zone for sku in walk] == sorted(placed[sku].zone or "" for sku in walk)
    assert scanned == {products()[0]["barcodes"][0]: skus[0]}
