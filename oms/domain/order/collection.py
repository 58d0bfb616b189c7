"""The order's side of click & collect: units a customer did not come for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms.domain.fulfilment import FulfilmentStatus, FulfilmentView
from oms.domain.order.lines import LineBook
from oms.domain.order.status import CancelReason
from oms.domain.order.views import FulfilmentSummary


class CollectionRules:
    """The collection half of ``OrderState``: each transition records itself in the timeline."""

    book: LineBook
    fulfilments: dict[str, FulfilmentSummary]

    def log(
        self, type_: str, actor: str, at: datetime, detail: dict[str, Any] | None = None
    ) -> None:
        raise NotImplementedError

    def capture_amount(self, view: FulfilmentView) -> int:
        raise NotImplementedError

    def fulfilment_not_collected(self, view: FulfilmentView, at: datetime) -> int:
        """The customer did not come for (all of) it: what was left went back to stock, and
        its units are cancelled ``not_collected``. Answers what to charge: what they took."""
        left = {line.line_id: line.left_to_collect for line in view.lines}
        for line_id, units in left.items():
            if units > 0:
                self.book.cancel_units(line_id, units, CancelReason.NOT_COLLECTED)
        units_left = {line_id: units for line_id, units in left.items() if units > 0}
        detail = {"fulfilment_id": view.fulfilment_id, "units": units_left}
        self.log("fulfilment_not_collected", view.location_id, at, detail)
        return self.capture_amount(view)

    def nothing_shipped_reason(self) -> CancelReason:
        """Why an order that handed nothing over ends cancelled: its customer did not come
        for it, or nothing could be found for it."""
        if any(f.status is FulfilmentStatus.NOT_COLLECTED for f in self.fulfilments.values()):
            return CancelReason.NOT_COLLECTED
        return CancelReason.OUT_OF_STOCK
