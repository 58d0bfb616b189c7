"""The edit half of ``OrderState``: whether the order can still be cancelled; plan an edit by
the rules of ``oms.domain.order.edits``, then record what was done (in the timeline)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment import FulfilmentStatus
from oms.domain.fulfilment_profiles import Service
from oms.domain.order.edits import (
    CancelPlan,
    DeliveryChange,
    LineCancel,
    plan_line_cancel,
    refuse_delivery_change,
    refuse_service,
    take_awaiting,
)
from oms.domain.order.lines import LineBook
from oms.domain.order.model import OrderIn
from oms.domain.order.pickup import PickupStoreChange, pickup_store_to_change
from oms.domain.order.status import OrderStatus
from oms.domain.order.views import FulfilmentSummary, PaymentView
from oms.domain.sourcing.models import Demand


class EditRules:
    order: OrderIn
    book: LineBook
    status: OrderStatus
    awaiting: list[Demand]
    payment: PaymentView
    fulfilments: dict[str, FulfilmentSummary]
    # Edits accepted so far: the n-th edit's keys (events, ledger parts) carry n.
    edits: int = 0
    # The run takes edits while the order waits for stock (runs recorded before took none).
    edits_while_awaiting_stock: bool = False

    def open_fulfilments(self) -> list[str]:
        raise NotImplementedError

    def log(
        self, type_: str, actor: str, at: datetime, detail: dict[str, Any] | None = None
    ) -> None:
        raise NotImplementedError

    # -- the whole order -----------------------------------------------------------------

    def cancel_refusal(self, *, already_cancelling: bool) -> str | None:
        """Why a cancel cannot be accepted now, or None: it can until something has left the
        building, or (for a shipment) been packed for the carrier."""
        if self.status.is_final:
            return f"order is already {self.status.value}"
        if already_cancelling:
            return "order is already being cancelled"
        summaries = self.fulfilments.values()
        if any(f.status.has_left_the_building for f in summaries):
            return "part of the order has already shipped or been collected"
        if any(f.status is FulfilmentStatus.IN_TRANSIT for f in summaries):
            return "part of the order is on its way to the collection store"
        if self.order.delivery.method is DeliveryMethod.SHIP and any(
            f.status is FulfilmentStatus.PACKED for f in summaries
        ):
            return "part of the order is packed and being handed to the carrier"
        return None

    # -- line cancels --------------------------------------------------------------------

    def plan_cancel(self, req: LineCancel) -> CancelPlan:
        """Raises ``EditRefused`` when the units cannot all be taken."""
        return plan_line_cancel(
            self.status,
            self.book.line_view(req.line_id),
            req.quantity,
            self.awaiting,
            while_awaiting_stock=self.edits_while_awaiting_stock,
        )

    def next_edit(self) -> int:
        self.edits += 1
        return self.edits

    def line_cancelled(
        self,
        req: LineCancel,
        awaiting: int,
        dropped: dict[str, int],
        before_sourcing: int,
        at: datetime,
    ) -> int:
        """Units taken: ``awaiting`` from those waiting for stock, ``dropped`` out of
        fulfilments (by id), ``before_sourcing`` from a line not sourced yet. Answers the
        units cancelled."""
        if awaiting:
            self.awaiting = take_awaiting(self.awaiting, req.line_id, awaiting)
        for fid, qty in dropped.items():
            self.book.drop(fid, req.line_id, qty)
        units = awaiting + sum(dropped.values()) + before_sourcing
        if units:
            self.book.cancel_units(req.line_id, units, req.reason)
        self.log(
            "line_cancelled",
            req.actor,
            at,
            {
                "edit": self.edits,
                "line_id": req.line_id,
                "quantity": units,
                "reason_code": req.code,
                "customer_message": req.customer_message,
                "fulfilments": dropped,
            },
        )
        return units

    def cancels_everything(self, plan: CancelPlan) -> bool:
        """The cancel leaves no unit of the order: nothing handed over, and every other line
        already cancelled."""
        if self.book.shipped_units():
            return False
        return all(
            v.cancelled + (plan.quantity if v.line_id == plan.line_id else 0) >= v.quantity
            for v in self.book.views()
        )

    def amount_left(self) -> int:
        """What the authorization must still cover, counted as ``authorization_amount`` counts
        it: the lines' open value (shipped ones included) and the shipping charge while any of
        them is open, less the exchange credit, less what was captured (the shipping with the
        first capture, net of the credit it spent) or written off."""
        p = self.payment
        goods = self.book.open_amount()
        due = goods + (self.order.shipping_amount if goods else 0) - self.order.credit
        return max(due - p.captured - p.written_off, 0)

    def authorization_too_high(self) -> int:
        """The lower amount to authorize after an edit, or 0 when nothing is to change."""
        p = self.payment
        if p.authorization_id is None or p.exceptions:
            return 0
        held = p.authorized - p.captured - p.written_off
        left = self.amount_left()
        return left if 0 < left < held else 0

    # -- delivery ------------------------------------------------------------------------

    def check_delivery_change(self) -> None:
        refuse_delivery_change(
            self.status,
            self.order.delivery.method,
            [f.status for f in self.fulfilments.values()],
            while_awaiting_stock=self.edits_while_awaiting_stock,
        )

    def delivery_changed(self, req: DeliveryChange, at: datetime) -> None:
        express = self.order.delivery.express if req.express is None else req.express
        delivery = self.order.delivery.model_copy(
            update={"address": req.address, "express": express}
        )
        self.order = self.order.model_copy(update={"delivery": delivery})
        self.log(
            "delivery_changed",
            req.actor,
            at,
            {
                "edit": self.edits,
                "country": req.address.country,
                "city": req.address.city,
                "express": express,
            },
        )

    # -- a collection's store ------------------------------------------------------------

    def check_pickup_store_change(self, store_id: str) -> bool:
        """Whether the collection moves to ``store_id`` (False: it is there already); raises
        ``EditRefused`` when it cannot."""
        open_ = set(self.open_fulfilments())
        return pickup_store_to_change(
            self.status,
            self.order.delivery.method,
            self.order.delivery.store_id,
            store_id,
            [f.status for f in self.fulfilments.values()],
            pick_started=any(
                a.picked is not None
                for v in self.book.views()
                for a in v.allocations
                if a.fulfilment_id in open_
            ),
            unassigned=self.book.unassigned(),
            while_awaiting_stock=self.edits_while_awaiting_stock,
        )

    def pickup_store_changed(self, req: PickupStoreChange, at: datetime) -> str | None:
        """The order is collected at ``req.store_id`` from now on; answers the store before."""
        before = self.order.delivery.store_id
        delivery = self.order.delivery.model_copy(update={"store_id": req.store_id})
        self.order = self.order.model_copy(update={"delivery": delivery})
        self.log(
            "pickup_store_changed",
            req.actor,
            at,
            {"edit": self.edits, "from": before, "to": req.store_id},
        )
        return before

    def pickup_store_restored(self, store_id: str | None, edit: int, at: datetime) -> None:
        """A store change undone by the order itself: the new store could not have every unit
        when they came to be placed there, so the order is collected at ``store_id`` again."""
        delivery = self.order.delivery.model_copy(update={"store_id": store_id})
        self.order = self.order.model_copy(update={"delivery": delivery})
        self.log("pickup_store_change_undone", "system", at, {"edit": edit, "to": store_id})

    # -- services ------------------------------------------------------------------------

    def check_service(self, line_id: str, service: Service) -> None:
        try:
            asked = list(self.order.line(line_id).services)
        except KeyError:
            asked = []
        refuse_service(
            self.status,
            self.book.line_view(line_id),
            service,
            asked,
            while_awaiting_stock=self.edits_while_awaiting_stock,
        )

    def service_added(self, line_id: str, service: Service, actor: str, at: datetime) -> None:
        line = self.order.line(line_id)
        line = line.model_copy(update={"services": [*line.services, service]})
        lines = [line if x.line_id == line_id else x for x in self.order.lines]
        self.order = self.order.model_copy(update={"lines": lines})
        self.book.add_service(line_id, line)
        self.log(
            "service_added",
            actor,
            at,
            {"edit": self.edits, "line_id": line_id, "service": service.value},
        )

    def allocated_fulfilments(self, line_id: str) -> list[str]:
        """The live fulfilments holding units of the line."""
        view = self.book.line_view(line_id)
        if view is None:
            return []
        return [a.fulfilment_id for a in view.allocations if not a.status.is_final]
