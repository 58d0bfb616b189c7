"""Patches of the order run that are named here, not where their code asks them."""

from __future__ import annotations

from workflows.order_cancel import HANDLERS_FINISH
from workflows.order_payments import ORDER_INVOICED, PAYMENT_RECOVERY
from workflows.order_steps import (
    AUTHORIZE_TO_THE_END,
    EDITS_AWAITING_STOCK,
    SERVICES_SOURCED,
    STATUS_AFTER_STOCK_TRY,
)

# Since customer messages and recommendations: an ``order.confirmed`` event once the order is
# paid for and its fulfilments started (written with the next progress, no extra command).
ORDER_CONFIRMED = "order-confirmed-event"
# The patches on every order's path, asked as the run starts when its input says so
# (``patches_at_start``). Asked where the code first needs them, a patch right after a local
# activity is asked, on replay, in the activation the activity's marker resolves in; when the
# original run took a workflow task of its own for that (the activity ran again after a
# workflow task timed out, as when a worker dies), its marker lies in the next task and the
# replay misses it: a nondeterminism error on every later replay (a query, a worker's cache
# eviction). Asked before any local activity, the markers are all in the first task. A run of
# a patch level asks here those its level does not take as given (the patches since it), and
# so do the patches asked after a local activity on a path of their own (a try at units
# waiting for stock), not only those on every order's path (its end: HANDLERS_FINISH).
PATCHES_AT_START = (
    SERVICES_SOURCED,
    AUTHORIZE_TO_THE_END,
    ORDER_CONFIRMED,
    PAYMENT_RECOVERY,
    ORDER_INVOICED,
    STATUS_AFTER_STOCK_TRY,
    EDITS_AWAITING_STOCK,
    HANDLERS_FINISH,
)
