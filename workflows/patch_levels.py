"""Patch levels: the patches a run takes as given because its input says so, with no marker.

A ``workflow.patched(id)`` records a marker the first time a run asks it, and Temporal's SDK
upserts the ``TemporalChangeVersion`` search attribute beside it: two history events and a
visibility write per patch, in every run, for as long as the patch stays in the code. An
order asked six on its every path (twelve of its 35 events).

A run started by code that knows every patch of a level says so in its input
(``patch_level``): the input is in the run's first event, so the run and every replay of it
see the same level, and each patch of that level is simply on. Runs whose input names no level
(every run started before, ``patch_level`` 0) ask ``workflow.patched`` as they always did and
replay as recorded. A patch added after a level is asked as usual (runs of that level may be
in flight when it ships) until a new level takes it in: a level, once shipped, never changes.

Asking no marker also takes away the replay fault ``order_patches.PATCHES_AT_START`` worked
around: nothing can lie in the wrong workflow task when nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow

# The order run's levels; index = level, each the whole set it takes as given.
_ORDER_1 = frozenset(
    {
        "lean-order-run",
        "cancel-by-reason-code",
        "services-sourced",
        "transfer-to-store",
        "authorize-to-the-end",
        "order-confirmed-event",
        "reroute-at-pick",
        "short-routing-by-reason-code",
        "short-cancel-reasons",
        "fulfilment-profiles",
        "order-edit-line-cancel",
        "order-edit-service",
        "order-edit-fix-all-or-none",
        "order-edit-delivery",
        "order-edit-fix-move-before-capture",
        "payment-recovery",
        "aftersale-order-invoiced",
        "aftersale-fix-exchange-credit-told",
    }
)
# Since a collection's store can be changed (workflows/order_pickup.py).
_ORDER_2 = _ORDER_1 | {"order-edit-pickup-store"}
# Since the fixes of a first run from the README: the status after a try at units waiting
# for stock; edits while the order waits for stock; a cancel asked again while the order is
# being cancelled; the run's handlers finish before it ends.
_ORDER_3 = _ORDER_2 | {
    "status-after-stock-try",
    "order-edit-awaiting-stock",
    "cancel-asked-again",
    "handlers-finish-first",
}
ORDER_LEVELS: Sequence[frozenset[str]] = (frozenset(), _ORDER_1, _ORDER_2, _ORDER_3)

_FULFILMENT_1 = frozenset(
    {
        "cancel-booked-shipment",
        "fulfilment-db-steps-local",
        "cancel-during-progress-signal",
        "collect-hold-and-partial",
        "order-edit-fulfilment",
    }
)
# Level 3: the fixed flow's collections tell the customer they are ready.
_FULFILMENT_3 = _FULFILMENT_1 | {"ready-for-collection-told"}
FULFILMENT_LEVELS: Sequence[frozenset[str]] = (
    frozenset(),
    _FULFILMENT_1,
    _FULFILMENT_1,
    _FULFILMENT_3,
)

_RETURN_1 = frozenset(
    {
        "aftersale-shipping-refund",
        "aftersale-exchange-credit",
        "aftersale-fix-exchange-credit-used",
    }
)
RETURN_LEVELS: Sequence[frozenset[str]] = (frozenset(), _RETURN_1, _RETURN_1, _RETURN_1)

# The newest level this code knows: one number for the three types (a level ships for all
# of them at once, each with its own set).
NEWEST_PATCH_LEVEL = len(ORDER_LEVELS) - 1
assert len(FULFILMENT_LEVELS) == len(RETURN_LEVELS) == len(ORDER_LEVELS)


def starting_level(configured: int) -> int:
    """The level a run starts at: the one configured (``OMS_PATCH_LEVEL``), at most the newest
    this code knows."""
    return max(0, min(configured, NEWEST_PATCH_LEVEL))


class UnknownPatchLevel(RuntimeError):
    """A run of a level this code does not know: started by newer code. Its workflow task
    fails (and is retried) until a worker that knows the level takes it, rather than taking
    the branches of before and failing on replay later."""


def check_level(levels: Sequence[frozenset[str]], level: int) -> None:
    """Raised as a run is created (its ``@workflow.init``): before it does anything."""
    if level >= len(levels):
        raise UnknownPatchLevel(f"patch level {level}: this worker knows up to {len(levels) - 1}")


def patched(levels: Sequence[frozenset[str]], level: int, patch_id: str) -> bool:
    """``workflow.patched(patch_id)``, except in a run whose level takes the patch as given."""
    check_level(levels, level)
    if level > 0 and patch_id in levels[level]:
        return True
    return workflow.patched(patch_id)


class OrderPatches:
    """What the order run's parts ask a patch through (its level is set as the run begins)."""

    _patch_level = 0

    def _take_level(self, level: int) -> None:
        """The run's level, from its input: checked as the run is created."""
        check_level(ORDER_LEVELS, level)
        self._patch_level = level

    def _patched(self, patch_id: str) -> bool:
        return patched(ORDER_LEVELS, self._patch_level, patch_id)


class FulfilmentPatches:
    """The same for the fulfilment run's parts."""

    _patch_level = 0

    def _take_level(self, level: int) -> None:
        check_level(FULFILMENT_LEVELS, level)
        self._patch_level = level

    def _patched(self, patch_id: str) -> bool:
        return patched(FULFILMENT_LEVELS, self._patch_level, patch_id)
