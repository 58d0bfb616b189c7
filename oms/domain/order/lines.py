"""Per-line bookkeeping of an order: where each unit is, what shipped, what was cancelled."""

from __future__ import annotations

from dataclasses import dataclass, field

from oms.domain.fulfilment import CancelledShort, FulfilmentProgress, FulfilmentStatus
from oms.domain.order.model import OrderLine
from oms.domain.order.status import CancelReason, LineState
from oms.domain.order.views import LineAllocationView, LineView, OrderView
from oms.domain.sourcing.models import Allocation, Demand

# Statuses of a fulfilment whose units went to the customer at the counter.
_COLLECTIONS = {
    FulfilmentStatus.COLLECTED,
    FulfilmentStatus.PARTIALLY_COLLECTED,
    FulfilmentStatus.NOT_COLLECTED,
}
# The most advanced state among a line's allocations wins when nothing has shipped yet.
_PROGRESS = [
    (FulfilmentStatus.PARTIALLY_COLLECTED, LineState.READY_FOR_COLLECTION),
    (FulfilmentStatus.READY_FOR_COLLECTION, LineState.READY_FOR_COLLECTION),
    (FulfilmentStatus.IN_TRANSIT, LineState.IN_TRANSIT),
    (FulfilmentStatus.PACKED, LineState.PACKED),
    (FulfilmentStatus.PICKED, LineState.PICKED),
    (FulfilmentStatus.AWAITING_PICK, LineState.RESERVED),
]


@dataclass
class _Line:
    line: OrderLine
    reserved: int = 0
    cancelled: int = 0
    cancel_reason: CancelReason | None = None
    allocations: dict[str, LineAllocationView] = field(default_factory=dict)

    @property
    def done_units(self) -> int:
        return sum(_units_out(a) for a in self.allocations.values())


def _units_out(a: LineAllocationView) -> int:
    """What an allocation handed over: what was collected when counted by line, else all it
    picked once shipped or collected."""
    if a.collected is not None:
        return a.collected
    return (a.picked or 0) if a.status.has_left_the_building else 0


class LineBook:
    def __init__(self, lines: list[OrderLine]) -> None:
        self._lines = {line.line_id: _Line(line) for line in lines}
        # (fulfilment, line) whose short units their reason code cancels instead of re-routing.
        self._cancel_short: set[tuple[str, str]] = set()
        # Why, when the fulfilment said: (fulfilment, line) -> the code and its message key.
        self._cancelled_for: dict[tuple[str, str], CancelledShort] = {}

    def demands(self) -> list[Demand]:
        """What the first sourcing looks for: each line less what an edit cancelled before."""
        return [
            Demand(line_id=b.line.line_id, sku=b.line.sku, qty=b.line.quantity - b.cancelled)
            for b in self._lines.values()
            if b.line.quantity > b.cancelled
        ]

    def line_view(self, line_id: str) -> LineView | None:
        b = self._lines.get(line_id)
        return None if b is None else self._view(b)

    def drop(self, fulfilment_id: str, line_id: str, qty: int) -> None:
        """An edit took ``qty`` units of the line out of a fulfilment before its pick."""
        b = self._lines[line_id]
        alloc = b.allocations.get(fulfilment_id)
        if alloc is None:
            return
        if alloc.qty <= qty:
            del b.allocations[fulfilment_id]
        else:
            alloc.qty -= qty

    def add_service(self, line_id: str, line: OrderLine) -> None:
        self._lines[line_id].line = line

    def reserve(self, allocations: list[Allocation]) -> None:
        for a in allocations:
            self._lines[a.line_id].reserved += a.qty

    def assign(self, fulfilment_id: str, location_id: str, allocations: list[Allocation]) -> None:
        for a in allocations:
            b = self._lines[a.line_id]
            b.reserved = max(0, b.reserved - a.qty)
            b.allocations[fulfilment_id] = LineAllocationView(
                fulfilment_id=fulfilment_id,
                location_id=location_id,
                qty=a.qty,
                status=FulfilmentStatus.AWAITING_PICK,
            )

    def unassigned(self) -> int:
        """Units reserved by a sourcing whose fulfilments are not started yet."""
        return sum(b.reserved for b in self._lines.values())

    def allocations_of(self, fulfilment_id: str) -> list[Allocation]:
        return [
            Allocation(location_id=a.location_id, line_id=b.line.line_id, sku=b.line.sku, qty=a.qty)
            for b in self._lines.values()
            if (a := b.allocations.get(fulfilment_id)) is not None
        ]

    def shorts(self, fulfilment_id: str) -> list[Demand]:
        """What a fulfilment picked less of than it was given, line by line (none before it
        reports its pick)."""
        return [
            Demand(line_id=b.line.line_id, sku=b.line.sku, qty=a.qty - a.picked)
            for b in self._lines.values()
            if (a := b.allocations.get(fulfilment_id)) is not None
            and a.picked is not None
            and a.picked < a.qty
        ]

    def progress(
        self,
        fulfilment_id: str,
        status: FulfilmentStatus,
        picked: dict[str, int],
        cancel_short: list[str] | None = None,
        collected: dict[str, int] | None = None,
        cancelled_for: dict[str, CancelledShort] | None = None,
    ) -> None:
        self._cancel_short.update((fulfilment_id, line_id) for line_id in cancel_short or ())
        for line_id, why in (cancelled_for or {}).items():
            self._cancelled_for[(fulfilment_id, line_id)] = why
        for line_id, b in self._lines.items():
            alloc = b.allocations.get(fulfilment_id)
            if alloc is None:
                continue
            alloc.status = status
            if line_id in picked:
                alloc.picked = picked[line_id]
            if collected and line_id in collected:
                alloc.collected = collected[line_id]

    def cancels_short(self, fulfilment_id: str) -> bool:
        """Some of what this fulfilment did not pick is to be cancelled, by its reason."""
        return any(f == fulfilment_id for f, _ in self._cancel_short)

    def why_cancelled(self, fulfilment_id: str, line_id: str) -> dict[str, str | None]:
        """The reason code a short was cancelled for and its message key, as the timeline
        shows them; empty when the fulfilment did not say."""
        why = self._cancelled_for.get((fulfilment_id, line_id))
        return why.model_dump() if why is not None else {}

    def cancel_short(self, fulfilment_id: str, shorts: list[Demand]) -> list[Demand]:
        """Cancel the short units whose reason code's routing is ``cancel_units``; answers
        the others, to be sourced again."""
        rest = []
        for d in shorts:
            if (fulfilment_id, d.line_id) in self._cancel_short:
                self.cancel_units(d.line_id, d.qty, CancelReason.SHORT_PICK)
            else:
                rest.append(d)
        return rest

    def cancel_units(self, line_id: str, qty: int, reason: CancelReason) -> None:
        b = self._lines[line_id]
        b.cancelled = min(b.line.quantity - b.done_units, b.cancelled + qty)
        b.cancel_reason = b.cancel_reason or reason

    def cancel_rest(self, reason: CancelReason) -> None:
        """Everything that has not shipped or been collected is cancelled."""
        for b in self._lines.values():
            rest = b.line.quantity - b.done_units
            if rest > b.cancelled:
                b.cancelled = rest
                b.cancel_reason = b.cancel_reason or reason

    def open_amount(self) -> int:
        return sum(
            (b.line.quantity - b.cancelled) * b.line.unit_price for b in self._lines.values()
        )

    def shipped_units(self) -> int:
        return sum(b.done_units for b in self._lines.values())

    def views(self) -> list[LineView]:
        return [self._view(b) for b in self._lines.values()]

    @staticmethod
    def _view(b: _Line) -> LineView:
        done = b.done_units
        qty = b.line.quantity
        if b.cancelled >= qty:
            state = LineState.CANCELLED
        elif done and done >= qty - b.cancelled:
            collected = any(a.status in _COLLECTIONS for a in b.allocations.values())
            state = LineState.COLLECTED if collected else LineState.SHIPPED
        elif done:
            state = LineState.PARTIALLY_SHIPPED
        else:
            live = {a.status for a in b.allocations.values() if not a.status.is_final}
            state = next(
                (ls for fs, ls in _PROGRESS if fs in live),
                LineState.RESERVED if b.reserved else LineState.PENDING,
            )
        return LineView(
            line_id=b.line.line_id,
            sku=b.line.sku,
            quantity=qty,
            unit_price=b.line.unit_price,
            taxes=b.line.taxes,
            state=state,
            shipped=done,
            cancelled=b.cancelled,
            cancel_reason=b.cancel_reason,
            allocations=list(b.allocations.values()),
        )


def with_progress(view: OrderView, progress: list[FulfilmentProgress]) -> OrderView:
    """The order's view brought up to where its fulfilments are.

    A lean order run hears from a fulfilment only when it must act (a short pick, a parcel
    ready for collection) and at its end, so its view may lag behind the fulfilments' own rows;
    the API and ops tools lay those rows over it. A fulfilment the order already saw end keeps
    the order's account of it."""
    live = {f.fulfilment_id for f in view.fulfilments if not f.status.is_final}
    news = {p.fulfilment_id: p for p in progress if p.fulfilment_id in live}
    if not news:
        return view
    lines = []
    for lv in view.lines:
        allocations: dict[str, LineAllocationView] = {}
        for a in lv.allocations:
            p = news.get(a.fulfilment_id)
            if p is not None:
                a = a.model_copy(
                    update={
                        "status": p.status,
                        "picked": p.picked.get(lv.line_id, a.picked),
                        "collected": p.collected.get(lv.line_id, a.collected),
                    }
                )
            allocations[a.fulfilment_id] = a
        line = OrderLine.model_construct(
            line_id=lv.line_id, sku=lv.sku, quantity=lv.quantity, unit_price=lv.unit_price
        )
        book = _Line(
            line=line,
            reserved=1 if lv.state is LineState.RESERVED else 0,
            cancelled=lv.cancelled,
            cancel_reason=lv.cancel_reason,
            allocations=allocations,
        )
        lines.append(LineBook._view(book))
    fulfilments = [
        f.model_copy(
            update={
                "status": news[f.fulfilment_id].status,
                "tracking_number": news[f.fulfilment_id].tracking_number or f.tracking_number,
                "carrier": news[f.fulfilment_id].carrier or f.carrier,
            }
        )
        if f.fulfilment_id in news
        else f
        for f in view.fulfilments
    ]
    return view.model_copy(update={"lines": lines, "fulfilments": fulfilments})
