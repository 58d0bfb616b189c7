"""GET /availability/events: the stock-event feed storefronts poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.testing import ActivityEnvironment

from activities.atp_watch import AtpWatchActivities
from oms.contracts.atp_watch import WatchRequest
from oms.db import outbox
from oms.db.tables import OutboxEvent
from oms.domain.stock_events import WatchCursor
from tests.api.conftest import Api, Json, error_of, new_id
from tests.holds import add_channel

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def add_events(api: Api, channel: str, skus: list[str], start: int = 0) -> None:
    with api.db.session() as s:
        for n, sku in enumerate(skus, start=start):
            s.add(
                OutboxEvent(
                    id=f"atp:{channel}:{sku}:out_of_stock:0:{n}",
                    type="inventory.out_of_stock",
                    payload={
                        "channel": channel,
                        "sku": sku,
                        "previous_atp": 3,
                        "atp": 0,
                        "low_stock": 0,
                    },
                    created_at=T0 + timedelta(seconds=n),
                )
            )
        # Not a stock event: never in this feed.
        outbox.emit(s, event_id=new_id("E"), type="order.cancelled", order_id="O1", payload={})


async def feed(api: Api, query: str = "", role: str = "storefront") -> Json:
    response = await api.http.get(f"/availability/events?{query}", headers=api.auth(role))
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def test_the_feed_pages_oldest_first_and_a_poller_resumes_from_its_cursor(api: Api) -> None:
    add_channel(api.db)
    add_events(api, "web-fr", ["A", "B", "C", "D", "E"])

    first = await feed(api, "limit=2")
    second = await feed(api, f"limit=2&after={first['next_cursor']}")
    third = await feed(api, f"limit=2&after={second['next_cursor']}")
    quiet = await feed(api, f"limit=2&after={third['next_cursor']}")
    add_events(api, "web-fr", ["F"], start=5)
    news = await feed(api, f"limit=2&after={quiet['next_cursor']}")

    assert [e["sku"] for e in first["items"]] == ["A", "B"]
    assert [e["sku"] for e in second["items"]] == ["C", "D"]
    assert [e["sku"] for e in third["items"]] == ["E"]
    assert [p["has_more"] for p in (first, second, third, quiet)] == [True, True, False, False]
    assert quiet["items"] == []
    assert quiet["next_cursor"] == third["next_cursor"]
    assert [e["sku"] for e in news["items"]] == ["F"]
    assert first["items"][0] == {
        "id": "atp:web-fr:A:out_of_stock:0:0",
        "type": "inventory.out_of_stock",
        "channel": "web-fr",
        "sku": "A",
        "previous_atp": 3,
        "atp": 0,
        "low_stock": 0,
        "at": "2026-11-26T12:00:00Z",
    }


async def test_the_feed_keeps_to_one_channel_when_asked(api: Api) -> None:
    add_channel(api.db, "web-fr")
    add_channel(api.db, "app-fr")
    add_events(api, "web-fr", ["A", "B"])
    add_events(api, "app-fr", ["C"], start=2)

    web = await feed(api, "channel=web-fr")
    everything = await feed(api, "", role="integration")

    assert [e["sku"] for e in web["items"]] == ["A", "B"]
    assert [e["sku"] for e in everything["items"]] == ["A", "B", "C"]


async def test_an_unknown_channel_a_foreign_cursor_and_a_bad_limit_are_refused(api: Api) -> None:
    channel = await api.http.get(
        "/availability/events?channel=nowhere", headers=api.auth("storefront")
    )
    cursor = await api.http.get(
        "/availability/events?after=not-a-cursor", headers=api.auth("storefront")
    )
    limit = await api.http.get("/availability/events?limit=501", headers=api.auth("storefront"))

    assert (channel.status_code, error_of(channel)["code"]) == (404, "channel_not_found")
    assert (cursor.status_code, error_of(cursor)["code"]) == (422, "invalid_cursor")
    assert error_of(cursor)["field"] == "after"
    assert (limit.status_code, error_of(limit)["field"]) == (422, "limit")


async def test_storefronts_integrations_and_analysts_read_the_feed_and_no_one_else(
    api: Api,
) -> None:
    allowed = [
        (await api.http.get("/availability/events", headers=api.auth(role))).status_code
        for role in ("storefront", "integration", "analyst", "admin")
    ]
    store = await api.http.get("/availability/events", headers=api.auth("opera"))
    anonymous = await api.http.get("/availability/events")

    assert allowed == [200, 200, 200, 200]
    assert (store.status_code, error_of(store)["code"]) == (403, "forbidden")
    assert anonymous.status_code == 401


async def test_a_cart_hold_taking_the_last_units_reaches_the_feed_once_watched(api: Api) -> None:
    add_channel(api.db, low_stock=20)
    watch = AtpWatchActivities(api.db)

    def watch_once(cursor: WatchCursor) -> WatchCursor:
        request = WatchRequest(cursor=cursor, overlap_s=10)
        return ActivityEnvironment().run(watch.watch_atp, request).cursor

    cursor = watch_once(WatchCursor())
    held = await api.http.put(
        f"/carts/{new_id('CART')}/hold",
        json={"channel": "web-fr", "lines": [{"sku": "SKU-PHONE", "quantity": 85}]},
        headers=api.auth("storefront"),
    )
    assert held.status_code == 200, held.text
    watch_once(watch_once(cursor))

    body = await feed(api, "channel=web-fr")

    assert [(e["type"], e["sku"], e["previous_atp"], e["atp"]) for e in body["items"]] == [
        ("inventory.low_stock", "SKU-PHONE", 100, 15)
    ]
