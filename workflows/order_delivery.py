"""A delivery change, as an order edit: ``change_delivery`` ships the order to another address
until a parcel is packed. Every open fulfilment is told the new address (it books the
carrier with it); one that has not started its pick is moved when sourcing would now place
its units elsewhere: the main flow takes them out of it (their reservation released) and
sources them again for the new address (step ``edit-<n>``), as it re-sources a short pick.
A collection is refused (``not_a_shipment``): its store is not changed this way. The new
address is all the parcels' or none's: if one fulfilment refuses it (packed meanwhile), the
others let it go (``OrderEdits._ask_all``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import FulfilmentEdit
    from oms.contracts.sourcing import SourcingPreview, SourcingRequest
    from oms.domain.fulfilment import FulfilmentStatus, FulfilmentView
    from oms.domain.order import OrderStatus
    from oms.domain.order.edits import (
        BEFORE_SOURCING,
        DeliveryChange,
        EditRefusal,
        EditRefused,
        EditResult,
    )
    from oms.domain.sourcing import Demand, OrderFacts, SourcingPlan
    from oms.keys import edit_step, step_key
    from workflows import calls
    from workflows.order_edits import OrderEdits, refusal, refused_by
    from workflows.policies import LOCAL_ACTIVITY

DELIVERY_CHANGE = "order-edit-delivery"
# The main flow moves what a delivery change asks before a capture waits for the edit's end.
MOVE_BEFORE_CAPTURE = "order-edit-fix-move-before-capture"
# A fulfilment to move for a new address: (its id, its units, the edit).
Move = tuple[str, list[Demand], int]


class DeliveryEdit(OrderEdits):
    """Mixed into ``OrderWorkflow``, over the other edits."""

    # Fulfilments a delivery change moves, for the main flow; what each edit moved.
    _to_move: list[Move]
    _moved: dict[int, list[str]]

    async def _source(
        self, demands: list[Demand], step: str, *, apply: bool = True
    ) -> SourcingPlan:  # pragma: no cover
        raise NotImplementedError

    async def _set_status(
        self, status: OrderStatus, type_: str, actor: str, detail: dict[str, Any] | None = None
    ) -> None:  # pragma: no cover
        raise NotImplementedError

    async def _start_children(
        self, plan: SourcingPlan, step: str
    ) -> dict[Any, str]:  # pragma: no cover
        raise NotImplementedError

    async def _settle(self, view: FulfilmentView) -> None:  # pragma: no cover
        raise NotImplementedError

    @workflow.update
    async def change_delivery(self, req: DeliveryChange) -> EditResult:
        state = self.state
        if not self._patched(DELIVERY_CHANGE):  # pragma: no cover
            return EditResult(accepted=False, status=state.status, reason=EditRefusal.ORDER_BUSY)
        self._editing = True
        try:
            await self._read_progress()
            try:
                state.check_delivery_change()
            except EditRefused as err:
                return EditResult.refused(state.status, err)
            edit = state.next_edit()
            redirect = FulfilmentEdit(edit=edit, address=req.address, express=req.express)
            answer = await self._ask_all(state.open_fulfilments(), redirect)
            if answer is not None:  # no parcel takes the new address
                return refused_by(state.status, answer)
            state.delivery_changed(req, workflow.now())
            moves = await self._moves(edit)
            if moves:  # the main flow moves them, as it re-sources a short pick
                self._to_move.extend(moves)
                await workflow.wait_condition(
                    # Ending meanwhile (nothing left to move): they ship to the new address.
                    lambda: (
                        edit in self._moved
                        or self._cancel is not None
                        or self._finishing
                        or self._closing
                    )
                )
            self._emit_edit(
                "order.delivery_changed",
                edit,
                {
                    "country": req.address.country,
                    "express": state.order.delivery.express,
                    "resourced": self._moved.get(edit, []),
                },
            )
            await self._flush()
            return EditResult(accepted=True, status=state.status, edit=edit)
        finally:
            self._editing = False

    @change_delivery.validator
    def _validate_change_delivery(self, req: DeliveryChange) -> None:
        self._busy()
        try:
            self.state.check_delivery_change()
        except EditRefused as err:
            raise refusal(err) from None

    async def _moves(self, edit: int) -> list[Move]:
        """The fulfilments before their pick whose units sourcing would now place elsewhere,
        for the new address (their own units counted as available where they are)."""
        state = self.state
        if state.status in BEFORE_SOURCING:
            return []  # sourced for the new address when their time comes
        moves: list[Move] = []
        step = edit_step(edit)
        for fid in state.open_fulfilments():
            summary = state.fulfilments[fid]
            allocs = state.book.allocations_of(fid)
            if summary.status is not FulfilmentStatus.AWAITING_PICK or not allocs:
                continue
            demands = [Demand(line_id=a.line_id, sku=a.sku, qty=a.qty) for a in allocs]
            held: dict[str, int] = {}
            for a in allocs:
                held[a.sku] = held.get(a.sku, 0) + a.qty
            preview = SourcingPreview(
                request=self._sourcing_request(demands, step),
                held_at=summary.location_id,
                held=held,
            )
            chosen: list[str] = await workflow.execute_local_activity(
                calls.preview_sourcing,
                preview,
                summary=f"where {fid} would be sourced for the new address",
                **LOCAL_ACTIVITY,
            )
            if chosen and chosen != [summary.location_id]:
                moves.append((fid, demands, edit))
        return moves

    def _sourcing_request(self, demands: list[Demand], step: str) -> SourcingRequest:
        delivery = self.order.delivery
        return SourcingRequest(
            order_id=self.order.id,
            channel=self.order.channel,
            step_key=step_key(self.order.id, step),
            demands=demands,
            destination=delivery.address.point() if delivery.address else None,
            exclude=sorted(self.state.excluded),
            facts=OrderFacts.of(self.order, {}, lines=demands),
        )

    async def _move_all(self, pending: dict[asyncio.Future[Any], str]) -> None:
        """The main flow moves fulfilments' units for a new address: out of each (before its
        pick, their reservation released), then sourced again together (step ``edit-<n>``)."""
        by_edit: dict[int, list[tuple[str, list[Demand]]]] = {}
        for fid, demands, edit in self._take_moves():
            by_edit.setdefault(edit, []).append((fid, demands))
        for edit, moves in by_edit.items():
            moved: list[str] = []
            units: list[Demand] = []
            for fid, demands in moves:
                drop = {d.line_id: d.qty for d in demands}
                answer = await self._ask(fid, FulfilmentEdit(edit=edit, drop=drop))
                if not answer.accepted:  # the store started on it meanwhile: it ships
                    continue
                for d in demands:
                    self.state.book.drop(fid, d.line_id, d.qty)
                moved.append(fid)
                units.extend(demands)
            if units:
                step = edit_step(edit)
                plan = await self._source(units, step)
                froms = [self.state.fulfilments[fid].location_id for fid in moved]
                detail = {"from": froms, "step": step}
                await self._set_status(OrderStatus.IN_FULFILMENT, "resourced", "edit", detail)
                pending.update(await self._start_children(plan, step))
            self._moved[edit] = moved

    async def _settle_ended(
        self, view: FulfilmentView, pending: dict[asyncio.Future[Any], str]
    ) -> None:
        """The main flow settles an ended fulfilment. Its capture waits for an edit under way
        to end; a delivery change waits for the main flow to move fulfilments: the main flow
        moves them first, or each would wait for the other for ever."""
        if self._editing and self._patched(MOVE_BEFORE_CAPTURE):
            while self._editing:
                await workflow.wait_condition(lambda: not self._editing or bool(self._to_move))
                if self._to_move:
                    await self._move_all(pending)
        await self._settle(view)

    def _take_moves(self) -> list[Move]:
        moves, self._to_move = self._to_move, []
        return moves
