"""A collection's store changed, as an order edit: ``change_pickup_store`` has the customer
collect at another store until a store starts picking the order (``oms.domain.order.pickup``).

Before sourcing, the order's delivery names the new store and it is sourced for it when its
time comes. After, every open fulfilment is moved, or none: sourcing is first asked whether
the new store can have every unit (its own stock, or a transfer to it, the units held now
counted as available where they are: ``preview_sourcing``), then each fulfilment checks and
holds the edit (its pick waits), then the order's main flow takes their units out (their
reservation released) and sources them again for the new store (step ``edit-<n>``; new
fulfilments, transfers to the new store), as a delivery change moves a fulfilment. If a store
started on its fulfilment meanwhile (a wave took it), the others let their hold go and the
edit is refused; units already taken out are sourced again for the first store.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from oms.contracts.fulfilment import EditAnswer, FulfilmentEdit
    from oms.contracts.sourcing import ReleaseRequest, SourcingPreview
    from oms.domain.order import OrderStatus
    from oms.domain.order.edits import EditRefusal, EditRefused, EditResult
    from oms.domain.order.pickup import PickupStoreChange
    from oms.domain.sourcing import Demand, SourcingPlan
    from oms.keys import edit_back_step, edit_step, step_key
    from workflows import calls
    from workflows.order_delivery import DeliveryEdit, Move
    from workflows.order_edits import refusal, refused_by
    from workflows.order_steps import TRANSFER_TO_STORE
    from workflows.policies import DB_ACTIVITY, LOCAL_ACTIVITY

PICKUP_STORE_CHANGE = "order-edit-pickup-store"


class PickupStoreEdit(DeliveryEdit):
    """Mixed into ``OrderWorkflow``, over the delivery change."""

    # Store changes whose fulfilments the main flow is to move (held meanwhile), and how each
    # ended: accepted, or refused by a fulfilment.
    _store_edits: dict[int, PickupStoreChange]
    _store_outcomes: dict[int, EditAnswer | None]

    async def _act(
        self, activity: Any, arg: Any, options: dict[str, Any], summary: str
    ) -> Any:  # pragma: no cover
        raise NotImplementedError

    @workflow.update
    async def change_pickup_store(self, req: PickupStoreChange) -> EditResult:
        state = self.state
        if not self._patched(PICKUP_STORE_CHANGE):  # pragma: no cover
            return EditResult(accepted=False, status=state.status, reason=EditRefusal.ORDER_BUSY)
        self._editing = True
        try:
            await self._read_progress()
            try:
                if not state.check_pickup_store_change(req.store_id):
                    return EditResult(accepted=True, status=state.status)  # there already
            except EditRefused as err:
                return EditResult.refused(state.status, err)
            before = self.order.delivery.store_id
            edit = state.next_edit()
            moves = self._store_moves(edit)
            if not moves:
                state.pickup_store_changed(req, workflow.now())
            else:
                if not await self._store_can_have(req.store_id, moves):
                    return EditResult(
                        accepted=False,
                        status=state.status,
                        reason=EditRefusal.NOT_AVAILABLE_AT_STORE,
                        message=f"store {req.store_id} cannot have every unit of the order "
                        "(its own stock, or a transfer to it)",
                    )
                answer = await self._hold_all(moves)
                if answer is not None:
                    return refused_by(state.status, answer)
                self._store_edits[edit] = req
                self._to_move.extend(moves)
                await workflow.wait_condition(
                    lambda: (
                        edit in self._store_outcomes or self._cancel is not None or self._closing
                    )
                )
                if edit not in self._store_outcomes:
                    return EditResult(
                        accepted=False,
                        status=state.status,
                        reason=EditRefusal.ORDER_FINAL,
                        message="the order is being cancelled",
                    )
                answer = self._store_outcomes[edit]
                if answer is not None:
                    return refused_by(state.status, answer)
            self._emit_edit(
                "order.pickup_store_changed",
                edit,
                {"from": before, "to": req.store_id, "resourced": self._moved.get(edit, [])},
            )
            await self._flush()
            return EditResult(accepted=True, status=state.status, edit=edit)
        finally:
            self._editing = False

    @change_pickup_store.validator
    def _validate_change_pickup_store(self, req: PickupStoreChange) -> None:
        self._busy()
        try:
            self.state.check_pickup_store_change(req.store_id)
        except EditRefused as err:
            raise refusal(err) from None

    def _store_moves(self, edit: int) -> list[Move]:
        """Every open fulfilment's units (none before sourcing)."""
        state = self.state
        moves: list[Move] = []
        for fid in state.open_fulfilments():
            allocs = state.book.allocations_of(fid)
            if allocs:
                demands = [Demand(line_id=a.line_id, sku=a.sku, qty=a.qty) for a in allocs]
                moves.append((fid, demands, edit))
        return moves

    async def _store_can_have(self, store_id: str, moves: list[Move]) -> bool:
        """Whether sourcing would place every unit for the new store now, the units the
        fulfilments hold counted as available where they are (reserves nothing)."""
        units = [d for _, demands, _ in moves for d in demands]
        holdings: dict[str, dict[str, int]] = {}
        for fid, demands, _ in moves:
            held = holdings.setdefault(self.state.fulfilments[fid].location_id, {})
            for d in demands:
                held[d.sku] = held.get(d.sku, 0) + d.qty
        request = self._sourcing_request(units, edit_step(moves[0][2]))
        to_store = self._patched(TRANSFER_TO_STORE)
        request = request.model_copy(
            update={
                "destination": None,
                "only_locations": None if to_store else [store_id],
                "collect_store": store_id if to_store else None,
            }
        )
        first = next(iter(holdings))
        chosen: list[str] = await workflow.execute_local_activity(
            calls.preview_sourcing,
            SourcingPreview(
                request=request, held_at=first, held=holdings[first], holdings=holdings
            ),
            summary=f"whether {store_id} can have the order",
            **LOCAL_ACTIVITY,
        )
        return bool(chosen)

    async def _hold_all(self, moves: list[Move]) -> EditAnswer | None:
        """Each fulfilment checks it can let its units go and holds them (its pick waits);
        the first refusal lets the others go."""
        held: list[str] = []
        for fid, demands, edit in moves:
            req = FulfilmentEdit(edit=edit, drop=_drop(demands), stage="hold")
            answer = await self._ask(fid, req)
            if not answer.accepted:
                for other in held:
                    await self._let_hold_go(other, req)
                return answer
            held.append(fid)
        return None

    async def _move_all(self, pending: dict[asyncio.Future[Any], str]) -> None:
        """The main flow's moves: a store change's its own way, a delivery change's as
        before."""
        moves = self._take_moves()
        ours = [m for m in moves if m[2] in self._store_edits]
        self._to_move = [m for m in moves if m[2] not in self._store_edits]
        by_edit: dict[int, list[Move]] = {}
        for move in ours:
            by_edit.setdefault(move[2], []).append(move)
        for edit, group in by_edit.items():
            await self._move_to_store(edit, group, pending)
        if self._to_move:
            await super()._move_all(pending)

    async def _move_to_store(
        self, edit: int, moves: list[Move], pending: dict[asyncio.Future[Any], str]
    ) -> None:
        """Take the held units out of each fulfilment and source them for the new store; a
        fulfilment that refuses (its store started on it) ends the edit: the holds left go,
        what was taken out is sourced again for the store it was at."""
        req = self._store_edits.pop(edit)
        state = self.state
        moved: list[str] = []
        units: list[Demand] = []
        refused: EditAnswer | None = None
        for fid, demands, _ in moves:
            ask = FulfilmentEdit(edit=edit, drop=_drop(demands), stage="apply")
            if refused is not None:
                await self._let_hold_go(fid, ask)
                continue
            answer = await self._ask(fid, ask)
            if not answer.accepted:
                refused = answer
                continue
            for d in demands:
                state.book.drop(fid, d.line_id, d.qty)
            moved.append(fid)
            units.extend(demands)
        before = state.order.delivery.store_id
        if refused is None:
            state.pickup_store_changed(req, workflow.now())
        if units:
            step = edit_step(edit)
            # Refused: the units taken out go back to the first store's sourcing at once.
            plan = await self._source(units, step, apply=refused is not None)
            if refused is None and plan.unplaced:
                plan, step = await self._back_to(before, edit, units, step)
                refused = EditAnswer(
                    fulfilment_id=moved[0],
                    edit=edit,
                    accepted=False,
                    reason=EditRefusal.NOT_AVAILABLE_AT_STORE.value,
                    message=f"store {req.store_id} no longer has every unit of the order: "
                    f"it stays collected at {before}",
                )
            elif refused is None:
                state.sourced(plan, step, workflow.now())
            froms = [state.fulfilments[fid].location_id for fid in moved]
            detail = {"from": froms, "step": step}
            await self._set_status(OrderStatus.IN_FULFILMENT, "resourced", "edit", detail)
            pending.update(await self._start_children(plan, step))
        self._moved[edit] = moved
        self._store_outcomes[edit] = refused

    async def _back_to(
        self, store_id: str | None, edit: int, units: list[Demand], step: str
    ) -> tuple[SourcingPlan, str]:
        """The new store lost units between the preview and the move (another order took
        them): let go what it took, collect at the first store again, and source every unit
        for it (step ``edit-<n>-back``): the edit is refused, and nothing is lost to it."""
        await self._act(
            calls.release_reservations,
            ReleaseRequest(order_id=self.order.id, step_key=step_key(self.order.id, step)),
            DB_ACTIVITY,
            f"let go what {step} took",
        )
        self.state.pickup_store_restored(store_id, edit, workflow.now())
        back = edit_back_step(edit)
        return await self._source(units, back), back


def _drop(demands: list[Demand]) -> dict[str, int]:
    drop: dict[str, int] = {}
    for d in demands:
        drop[d.line_id] = drop.get(d.line_id, 0) + d.qty
    return drop
