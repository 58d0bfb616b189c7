"""Exchanges over HTTP: a return with replacement lines places a new order for them (same
channel and customer, sourced as usual), paid first by the returned goods; only the difference
is refunded or charged."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from oms.db.tables import CustomerMessage, OutboxEvent
from oms.domain.messages import MessageKind
from oms.services.customer_messages import write_messages
from tests.api.conftest import Api, Json, error_of, full_pick, order_body
from tests.api.test_returns import (
    MUG,
    PARCELS,
    TEE,
    _ask,
    _delivered,
    _grade,
    _qc_task,
    _refunds,
    _return,
    _until_return,
)


async def _exchanged(
    api: Api, order_id: str, ask: Json, *, cancel_replacement: bool = False
) -> tuple[Json, Json]:
    """Ask the exchange, ship its replacement (or cancel it), bring the units back graded
    resellable: the completed return (it settles once the replacement has ended) and its
    replacement order once it is in fulfilment."""
    asked = await _return(api, order_id, ask)
    assert asked.status_code == 201, asked.text
    ret = asked.json()
    assert ret["exchange_order_id"] == f"{ret['return_id']}.X"
    replacement = await api.until(
        ret["exchange_order_id"], lambda v: v["status"] == "IN_FULFILMENT"
    )
    if cancel_replacement:
        cancelled = await api.http.post(
            f"/orders/{ret['exchange_order_id']}/cancel", headers=api.auth("storefront")
        )
        assert cancelled.json()["accepted"] is True, cancelled.text
        await api.until(ret["exchange_order_id"], lambda v: v["status"] == "CANCELLED")
    else:
        await _shipped(api, ret["exchange_order_id"])
    received = await api.http.post(
        f"/returns/{ret['return_id']}/receive",
        json={"lines": ask["lines"]},
        headers=api.auth("opera"),
    )
    assert received.status_code == 200, received.text
    task = await _qc_task(api, ret["return_id"])
    grades = [(li["line_id"], "qc_resellable", li["quantity"]) for li in ask["lines"]]
    assert (await _grade(api, task["id"], grades)).status_code == 200
    return await _until_return(api, ret["return_id"], "COMPLETED"), replacement


async def _shipped(api: Api, order_id: str) -> None:
    fulfilment = await api.until_fulfilment(order_id, "AWAITING_PICK")
    url = f"/fulfilments/{fulfilment['id']}"
    for step, payload in (("pick", full_pick(fulfilment)), ("pack", PARCELS)):
        done = await api.http.post(f"{url}/{step}", json=payload, headers=api.auth("opera"))
        assert done.status_code == 200, done.text
    await api.until(order_id, lambda v: v["status"] == "COMPLETED")


async def test_a_same_price_exchange_refunds_nothing_and_places_the_replacement(
    api: Api,
) -> None:
    order = await _delivered(api)

    done, replacement = await _exchanged(
        api, order["order_id"], _ask([("1", 1)], exchange=[{"sku": "SKU-TEE", "quantity": 1}])
    )

    assert (done["refunded"], done["refund_state"]) == (0, "none")
    assert _refunds(api, order["order_id"]) == []
    assert replacement["exchange_of"] == done["return_id"]
    assert (replacement["channel"], replacement["customer_id"]) == (
        order["channel"],
        order["customer_id"],
    )
    assert [(li["sku"], li["quantity"], li["unit_price"]) for li in replacement["lines"]] == [
        ("SKU-TEE", 1, TEE)
    ]
    # The returned goods pay it all: nothing to authorize on a card.
    assert (replacement["payment"]["state"], replacement["payment"]["authorized"]) == ("none", 0)
    with api.db.reading() as s:
        types = [e.type for e in s.exec(select(OutboxEvent)) if e.type.startswith("return.")]
    assert "return.exchange_created" in types


async def test_a_same_price_exchange_whose_replacement_is_cancelled_refunds_the_goods(
    api: Api,
) -> None:
    order = await _delivered(api)

    done, _ = await _exchanged(
        api,
        order["order_id"],
        _ask([("1", 1)], exchange=[{"sku": "SKU-TEE", "quantity": 1}]),
        cancel_replacement=True,
    )

    # The replacement never shipped: the customer has the returned goods' money back.
    assert (done["refunded"], done["refund_state"]) == (TEE, "refunded")
    assert [r.amount for r in _refunds(api, order["order_id"])] == [TEE]


async def test_a_cheaper_replacement_refunds_the_difference(api: Api) -> None:
    order = await _delivered(api)

    done, replacement = await _exchanged(
        api, order["order_id"], _ask([("1", 1)], exchange=[{"sku": "SKU-MUG", "quantity": 1}])
    )

    assert (done["refunded"], done["refund_state"]) == (TEE - MUG, "refunded")
    assert [r.amount for r in _refunds(api, order["order_id"])] == [TEE - MUG]
    assert replacement["payment"]["authorized"] == 0


async def test_a_dearer_replacement_charges_the_difference_on_a_new_token(api: Api) -> None:
    order = await _delivered(api)
    dearer = _ask([("2", 1)], exchange=[{"sku": "SKU-TEE", "quantity": 1}])

    refused = await _return(api, order["order_id"], dearer)
    done, replacement = await _exchanged(
        api, order["order_id"], {**dearer, "payment_token": "tok_ok"}
    )

    assert refused.status_code == 422, refused.text
    assert (error_of(refused)["field"], error_of(refused)["code"]) == (
        "payment_token",
        "payment_token_required",
    )
    assert (done["refunded"], done["refund_state"]) == (0, "none")
    assert (replacement["payment"]["state"], replacement["payment"]["authorized"]) == (
        "authorized",
        TEE - MUG,
    )


async def test_a_replacement_the_catalogue_has_no_price_for_is_refused(api: Api) -> None:
    order = await _delivered(api)
    pounds_only = {"name": "Lamp", "category": "home", "prices": {"GBP": 1999}}
    made = await api.http.put(
        "/products/LAMP-GB", json=pounds_only, headers=api.auth("integration")
    )
    assert made.status_code == 201, made.text

    refused = await _return(
        api, order["order_id"], _ask([("1", 1)], exchange=[{"sku": "LAMP-GB", "quantity": 1}])
    )

    assert refused.status_code == 422, refused.text
    assert (error_of(refused)["field"], error_of(refused)["code"]) == (
        "exchange[0].sku",
        "no_price",
    )
    listed = await api.http.get(f"/orders/{order['order_id']}/returns", headers=api.auth("analyst"))
    assert listed.json()["items"] == []


async def test_an_unknown_or_inactive_replacement_is_refused_as_post_orders_would(
    api: Api,
) -> None:
    order = await _delivered(api)
    gone = {"name": "Old", "category": "home", "prices": {"EUR": 999}, "active": False}
    await api.http.put("/products/OLD-1", json=gone, headers=api.auth("integration"))
    exchange = [{"sku": "NOPE", "quantity": 1}, {"sku": "OLD-1", "quantity": 1}]

    refused = await _return(api, order["order_id"], _ask([("1", 1)], exchange=exchange))

    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["code"]) for e in error_of(refused)["errors"]] == [
        ("exchange[0].sku", "unknown_sku"),
        ("exchange[1].sku", "product_inactive"),
    ]


async def test_a_return_refunded_twice_sends_a_refund_message_for_each_refund(api: Api) -> None:
    body = order_body()
    body["customer"]["tier"] = "vip"
    order = await _delivered(api, body)
    await api.http.put(
        "/return-policies/web-fr", json={"instant_refund_tiers": ["vip"]}, headers=api.auth("admin")
    )

    # Refunded at once for what the cheaper replacement leaves; the rest once it is cancelled.
    done, _ = await _exchanged(
        api,
        order["order_id"],
        _ask([("1", 1)], exchange=[{"sku": "SKU-MUG", "quantity": 1}]),
        cancel_replacement=True,
    )

    assert (done["refunded"], [r.amount for r in _refunds(api, order["order_id"])]) == (
        TEE,
        [TEE - MUG, MUG],
    )
    with api.db.session() as s:
        write_messages(s, now=datetime.now(UTC), limit=500)
    with api.db.reading() as s:
        refunded = list(
            s.exec(
                select(OutboxEvent)
                .where(OutboxEvent.type == "return.refunded")
                .order_by(col(OutboxEvent.created_at))
            )
        )
        sent = list(
            s.exec(select(CustomerMessage).where(CustomerMessage.kind == MessageKind.REFUNDED))
        )
    assert [e.payload["refund_amount"] for e in refunded] == [TEE - MUG, MUG]
    assert sorted(m.event_id for m in sent) == sorted(e.id for e in refunded)
