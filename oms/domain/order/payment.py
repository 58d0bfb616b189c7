"""The order's money: what is authorized, what to capture for a shipment, what to let go."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.domain.exchanges import credit_taken
from oms.domain.fulfilment import FulfilmentView
from oms.domain.order.model import OrderIn
from oms.domain.order.status import PaymentState
from oms.domain.order.views import PaymentException, PaymentView


class PaymentRules:
    """The payment half of ``OrderState``: each transition records itself in the timeline."""

    order: OrderIn
    payment: PaymentView

    def log(
        self, type_: str, actor: str, at: datetime, detail: dict[str, Any] | None = None
    ) -> None:
        raise NotImplementedError

    def payment_authorized(self, authorization_id: str, amount: int, at: datetime) -> None:
        self.payment.state = PaymentState.AUTHORIZED
        self.payment.authorization_id = authorization_id
        self.payment.authorized = amount
        self.payment.authorized_at = at
        self.log("payment_authorized", "payment_gateway", at, {"amount": amount})

    def authorization_stale(self, at: datetime, valid_for_s: float) -> int:
        """What is left to capture when the authorization is too old to capture against
        (0 when it is still good, or when nothing is left)."""
        p = self.payment
        if p.authorization_id is None or p.authorized_at is None:
            return 0
        if (at - p.authorized_at).total_seconds() <= valid_for_s:
            return 0
        # What was written off is not to be collected: never held again.
        return max(p.authorized - p.captured - p.written_off, 0)

    def payment_reauthorized(self, authorization_id: str, amount: int, at: datetime) -> None:
        """What was left of an authorization too old to capture, authorized afresh."""
        old = self.payment.authorization_id
        self.payment.authorization_id = authorization_id
        self.payment.authorized = self.payment.captured + amount
        self.payment.authorized_at = at
        self.log("payment_reauthorized", "payment_gateway", at, {"amount": amount, "replaces": old})

    def authorized_for_exception(self, amount: int) -> None:
        """A refused capture authorized afresh, on an authorization of its own."""
        self.payment.authorized += amount

    def capture_excepted(self, fid: str, amount: int, task_id: str, attempt: int) -> None:
        self.payment.exceptions = [e for e in self.payment.exceptions if e.fulfilment_id != fid]
        self.payment.exceptions.append(
            PaymentException(fulfilment_id=fid, amount=amount, attempt=attempt, task_id=task_id)
        )

    def exception_of(self, fid: str) -> PaymentException | None:
        return next((e for e in self.payment.exceptions if e.fulfilment_id == fid), None)

    def exception_resolved(self, fid: str, action: str, actor: str, at: datetime) -> None:
        self.payment.exceptions = [e for e in self.payment.exceptions if e.fulfilment_id != fid]
        if fid in self.payment.capture_failures:
            self.payment.capture_failures.remove(fid)
        self.log("payment_exception_resolved", actor, at, {"fulfilment_id": fid, "action": action})

    def payment_written_off(self, fid: str, amount: int, actor: str, at: datetime) -> None:
        self.payment.written_off += amount
        self.log("payment_written_off", actor, at, {"fulfilment_id": fid, "amount": amount})

    def payment_not_needed(self, at: datetime) -> None:
        """The order costs nothing (free lines only): there is nothing to authorize."""
        self.log("payment_not_needed", "system", at, {"amount": 0})

    def payment_declined(self, code: str, at: datetime) -> None:
        self.payment.state = PaymentState.DECLINED
        self.payment.decline_code = code
        self.log("payment_declined", "payment_gateway", at, {"code": code})

    def capture_amount(self, view: FulfilmentView) -> int:
        """What to charge for a fulfilment: the units that left the building (for a collection
        counted by line, those the customer took), at their price, and only against an
        authorization."""
        goods = sum(
            line.units_out(view.status) * self.order.line(line.line_id).unit_price
            for line in view.lines
        )
        amount = goods + self._shipping_with(view.fulfilment_id, goods)
        # An exchange's returned goods pay first; the card the rest.
        credit = credit_taken(self.order.credit - self.payment.credited, amount)
        self.payment.credited += credit
        if not self.payment.authorization_id:
            return 0
        return amount - credit

    def _shipping_with(self, fid: str, goods: int) -> int:
        """The shipping charge goes with the first capture of goods, and with no other."""
        if not goods or not self.order.shipping_amount:
            return 0
        if self.payment.shipping_fulfilment_id not in (None, fid):
            return 0
        self.payment.shipping_fulfilment_id = fid
        return self.order.shipping_amount

    def authorization_amount(self, goods: int) -> int:
        """What to authorize for the goods still open: them and the shipping charge (none
        when no goods are left to pay for)."""
        due = goods + (self.order.shipping_amount if goods else 0)
        return max(due - (self.order.credit - self.payment.credited), 0)

    def payment_captured(self, fid: str, amount: int, at: datetime) -> None:
        self.payment.captured += amount
        self.payment.state = PaymentState.PARTIALLY_CAPTURED
        self.log(
            "payment_captured", "payment_gateway", at, {"amount": amount, "fulfilment_id": fid}
        )

    def capture_failed(self, fid: str, amount: int, error: str, at: datetime) -> None:
        """The goods are gone: never compensated for; someone must collect the money by hand."""
        self.payment.capture_failures.append(fid)
        self.log(
            "payment_capture_failed",
            "payment_gateway",
            at,
            {"fulfilment_id": fid, "amount": amount, "error": error},
        )

    def should_void_at_completion(self) -> bool:
        """At the end, whatever was authorized and not captured is let go."""
        p = self.payment
        return bool(p.authorization_id) and p.captured < p.authorized

    def should_void_at_cancel(self) -> bool:
        p = self.payment
        return bool(p.authorization_id) and p.state not in (
            PaymentState.VOIDED,
            PaymentState.DECLINED,
        )

    def payment_partly_voided(self, amount: int, at: datetime) -> None:
        """Part of the authorization let go (an edit lowered what the order will capture)."""
        self.payment.authorized -= amount
        self.log("payment_partly_voided", "payment_gateway", at, {"amount": amount})

    def payment_voided(self, amount: int, at: datetime) -> None:
        self.payment.voided = amount
        if self.payment.captured == 0:
            self.payment.state = PaymentState.VOIDED
        self.log("payment_voided", "payment_gateway", at, {"amount": amount})

    def payment_settled(self) -> None:
        if self.payment.captured and self.payment.captured >= self.payment.authorized:
            self.payment.state = PaymentState.CAPTURED
