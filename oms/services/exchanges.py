"""An exchange's replacement order: built from the return and its original order, checked by
the same rules as POST /orders (oms.services.order_intake), stored in the return's transaction
and started like any order once the return's run is (the stranded-order sweep starts it if
Temporal was away)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from oms.db import orders as order_repo
from oms.db import payments
from oms.db.tables import Order, Product
from oms.domain.errors import ErrorCode, FieldError
from oms.domain.exchanges import ExchangeTerms, replacement_prices, terms
from oms.domain.order import OrderIn, OrderLine, OrderStatus
from oms.domain.order.charges import ExchangeOf
from oms.domain.order.model import STORED_PAYMENT_TOKEN
from oms.domain.returns import ReturnRequest, asked_refund
from oms.keys import exchange_line_id, exchange_order_id
from oms.services import order_intake


class ExchangeRefused(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.reason for e in errors))
        self.errors = errors


def _catalogue_prices(s: Session, skus: set[str], currency: str) -> dict[str, int]:
    rows = s.exec(select(Product.sku, Product.prices).where(col(Product.sku).in_(skus)))
    return {sku: prices[currency] for sku, prices in rows if currency in (prices or {})}


def exchange_order(
    s: Session, placed: OrderIn, return_id: str, body: ReturnRequest
) -> tuple[OrderIn, ExchangeTerms]:
    """The replacement order and what it costs over the returned goods.

    Raises:
        ExchangeRefused: a replacement POST /orders would refuse (an unknown or inactive SKU
            at ``exchange[i].sku``), one without a price, or a dearer exchange without a
            payment token.
    """
    ordered = {line.sku: line.unit_price for line in placed.lines}
    skus = {line.sku for line in body.exchange}
    prices, unpriced = replacement_prices(
        body.exchange, ordered=ordered, catalogue=_catalogue_prices(s, skus, placed.currency)
    )
    returned = asked_refund(body.lines, {line.line_id: line.unit_price for line in placed.lines})
    deal = terms(returned, sum(p * r.quantity for p, r in zip(prices, body.exchange, strict=True)))
    order = _replacement(placed, return_id, body, prices, deal)
    # What POST /orders would refuse comes first: an unknown or inactive SKU is that, not a
    # SKU without a price.
    problems = [_as_exchange(e) for e in order_intake.problems(s, order)]
    refused = {e.field for e in problems}
    errors = problems + [e for e in unpriced if e.field not in refused]
    if errors:
        raise ExchangeRefused(errors)
    if deal.charge and body.payment_token is None:
        raise ExchangeRefused(
            [
                FieldError(
                    field="payment_token",
                    code=ErrorCode.PAYMENT_TOKEN_REQUIRED,
                    reason=f"the replacement costs {deal.charge} more than the returned goods: "
                    "a payment token pays it",
                )
            ]
        )
    return order, deal


def _replacement(
    placed: OrderIn, return_id: str, body: ReturnRequest, prices: list[int], deal: ExchangeTerms
) -> OrderIn:
    return OrderIn(
        id=exchange_order_id(return_id),
        channel=placed.channel,
        customer=placed.customer,
        lines=[
            OrderLine(line_id=exchange_line_id(i + 1), sku=r.sku, quantity=r.quantity, unit_price=p)
            for i, (r, p) in enumerate(zip(body.exchange, prices, strict=True))
        ],
        currency=placed.currency,
        delivery=placed.delivery.model_copy(
            update={"address": placed.delivery.address.whole() if placed.delivery.address else None}
        ),
        # Nothing to authorize when the returned goods pay it all: the token is never used.
        payment_token=body.payment_token or STORED_PAYMENT_TOKEN,
        billing_address=placed.billing_address.whole() if placed.billing_address else None,
        exchange=ExchangeOf(return_id=return_id, credit=deal.credit),
    )


def _as_exchange(error: FieldError) -> FieldError:
    """A problem of the replacement order, named by the request's field (``lines[0].sku`` of
    the order is ``exchange[0].sku`` of the return)."""
    field = error.field
    if field.startswith("lines["):
        field = "exchange[" + field.removeprefix("lines[")
    return error.model_copy(update={"field": field})


def store(s: Session, order: OrderIn, *, received_at: datetime) -> None:
    """The replacement order's row (RECEIVED): its run starts once the return's has (the
    return's run announces it, ``return.exchange_created``)."""
    order_repo.insert_order(s, order, received_at=received_at)


def forget(s: Session, order_id: str) -> None:
    """Remove a replacement order whose return was withdrawn before either run started."""
    row = s.get(Order, order_id)
    if row is not None and row.status == OrderStatus.RECEIVED.value:
        s.delete(row)
        payments.forget_token(s, order_id)
