"""Every identifier and idempotency key the OMS composes, built and parsed here only (the
keys sent to payment gateways in ``oms.gateway_keys``).

Workflow ids, fulfilment ids, sourcing step keys, task ids, outbox event ids and the keys
sent to carriers: each has one builder and, where some layer needs the parts back, one typed
parser. Nothing else in the code puts an id together from pieces or splits one apart. Pure:
safe to import inside the workflow sandbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# -- workflow ids -------------------------------------------------------------------------

ATP_WATCH_WORKFLOW_ID = "atp-watch"
AFFINITY_REFRESH_WORKFLOW_ID = "affinity-refresh"
WEBHOOK_RELAY_WORKFLOW_ID = "webhook-relay"
CUSTOMER_MESSAGES_WORKFLOW_ID = "customer-messages"
_ORDER_RUN = "order-"
_FULFILMENT_RUN = "fulfilment-"


def order_workflow_id(order_id: str) -> str:
    return f"{_ORDER_RUN}{order_id}"


def fulfilment_workflow_id(fulfilment_id: str) -> str:
    return f"{_FULFILMENT_RUN}{fulfilment_id}"


def order_of_workflow(workflow_id: str) -> str | None:
    """The order an order's or one of its fulfilments' run is about (log lines carry it);
    None for any other run."""
    if workflow_id.startswith(_ORDER_RUN):
        return workflow_id.removeprefix(_ORDER_RUN) or None
    if workflow_id.startswith(_FULFILMENT_RUN):
        return order_of_fulfilment(workflow_id.removeprefix(_FULFILMENT_RUN))
    return None


def webhook_subscription_id(token: str) -> str:
    return f"whsub_{token}"


def cart_hold_workflow_id(cart_id: str) -> str:
    return f"cart-hold-{cart_id}"


def sync_workflow_id(sync_id: str) -> str:
    return f"inventory-sync-{sync_id}"


def payment_recovery_workflow_id(task_id: str) -> str:
    """The run that carries out customer service's decision on a reversed capture's task: one
    per task, so a decision sent twice is carried out once."""
    return f"payment-recovery-{task_id}"


# -- fulfilments --------------------------------------------------------------------------


_FULFILMENT_SEQ = ".F"


def fulfilment_id(order_id: str, seq: int) -> str:
    """The n-th fulfilment of an order, counting from 1 (``WEB-1.F2``)."""
    return f"{order_id}{_FULFILMENT_SEQ}{seq}"


def order_of_fulfilment(fulfilment_id: str) -> str | None:
    """The order of a fulfilment id, or None when it is not one."""
    order_id, sep, seq = fulfilment_id.rpartition(_FULFILMENT_SEQ)
    return order_id if sep and order_id and seq.isdigit() else None


# -- exchanges ---------------------------------------------------------------------------

_EXCHANGE = ".X"
_MAX_ORDER_ID = 64


def exchange_order_id(return_id: str) -> str:
    """The replacement order of a return's exchange (``WEB-1.R1.X``); a return id too long
    for an order id gives a hash of itself instead (``X-<24 hex>``), the same every time."""
    plain = f"{return_id}{_EXCHANGE}"
    if len(plain) <= _MAX_ORDER_ID:
        return plain
    return f"X-{hashlib.sha256(return_id.encode()).hexdigest()[:24]}"


def exchange_line_id(n: int) -> str:
    """The n-th replacement line of an exchange order, counting from 1."""
    return f"X{n}"


# -- sourcing steps -----------------------------------------------------------------------

INITIAL_STEP = "initial"


def reroute_step(n: int) -> str:
    """The n-th re-route of short-picked or rejected units."""
    return f"reroute-{n}"


def stock_step(n: int) -> str:
    """The n-th try at placing units an order waits for (backorder or hold)."""
    return f"stock-{n}"


def edit_step(n: int) -> str:
    """The sourcing step of the n-th order edit (a delivery change re-sourced)."""
    return f"edit-{n}"


def edit_back_step(n: int) -> str:
    """The sourcing step that takes the units of the n-th edit back where they were (a store
    change whose new store lost them before they were placed there)."""
    return f"edit-{n}-back"


def edit_update_id(kind: str, token: str) -> str:
    """The id of an order edit's update for a request under a client's Idempotency-Key (its
    ``idempotency_token``): Temporal answers a second update of the same id on a run with the
    first one's outcome, and attaches one sent while the first is under way to it."""
    return f"edit:{kind}:{token}"


def edit_ledger_part(edit: int) -> int:
    """The reservation ledger's part that holds the units the n-th edit released (negative:
    apart from the pick's 1 and the collections' 2 and up)."""
    return -edit


_STEP_SEPARATOR = ":source:"


@dataclass(frozen=True)
class StepKey:
    """One sourcing step of one order: the idempotency key of its reservations."""

    order_id: str
    step: str

    def __str__(self) -> str:
        return f"{self.order_id}{_STEP_SEPARATOR}{self.step}"

    @classmethod
    def parse(cls, key: str) -> StepKey:
        """The parts of a stored step key; ValueError when it is not one."""
        order_id, sep, step = key.rpartition(_STEP_SEPARATOR)
        if not sep or not order_id or not step:
            raise ValueError(f"not a sourcing step key: {key!r}")
        return cls(order_id=order_id, step=step)


def step_key(order_id: str, step: str) -> str:
    return str(StepKey(order_id, step))


# -- sourcing profiles ---------------------------------------------------------------------


def profile_ref(profile_id: str, version: int) -> str:
    """How people read a profile version (``central@v2``). Stored as its two parts, never
    parsed back."""
    return f"{profile_id}@v{version}"


# -- cart holds ---------------------------------------------------------------------------

# Ledger entries of a cart's hold carry this in place of an order id.
CART_PREFIX = "cart:"


def cart_ledger_id(cart_id: str) -> str:
    return f"{CART_PREFIX}{cart_id}"


def cart_hold_step_key(cart_id: str, token: str) -> str:
    """One (re)placement of a cart's hold: each PUT reserves under a key of its own."""
    return f"{cart_ledger_id(cart_id)}:{token}"


# -- human tasks --------------------------------------------------------------------------


def fraud_review_task_id(order_id: str) -> str:
    return f"fraud-review-{order_id}"


def payment_exception_task_id(fulfilment_id: str) -> str:
    return f"payment-exception-{fulfilment_id}"


# The start of every reversed capture's task id (``reversed_capture_task_id``).
REVERSED_CAPTURE_TASK = "payment-reversed-"


def reversed_capture_task_id(idempotency_key: str, attempt: int = 0) -> str:
    """The payment exception of a capture the gateway reversed after the fact (its key,
    hashed to keep the id short); ``attempt`` n: the task of its n-th recovery, refused too."""
    base = f"{REVERSED_CAPTURE_TASK}{_digest(idempotency_key)}"
    return f"{base}-{attempt}" if attempt else base


def chargeback_task_id(gateway: str, chargeback_id: str) -> str:
    """The task of one chargeback, as its gateway names it."""
    return f"chargeback-{_digest(gateway, chargeback_id)}"


def pos_stock_event_id(sender: str, event_id: str, sku: str, *, set_apart: bool = False) -> str:
    """The inventory event of one SKU of a till's sale or return (the event hashed to fit
    the inventory events' ids); units set apart have their own."""
    return f"pos:{_digest(sender, event_id)}:{sku}" + (":q" if set_apart else "")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def pick_task_id(fulfilment_id: str) -> str:
    return f"pick-{fulfilment_id}"


def vas_task_id(fulfilment_id: str, line_id: str, service: str) -> str:
    """The task of one value-added service for one line of a fulfilment."""
    return f"vas-{fulfilment_id}-{line_id}-{service}"


def fulfilment_event_id(fulfilment_id: str, event_type: str, step: str | None = None) -> str:
    """An outbox event of a fulfilment, once per type, or per type and step for what each
    step can announce (``fulfilment.overdue``)."""
    return f"{fulfilment_id}:{event_type}" + (f":{step}" if step else "")


def recount_task_id(step_key: str, location_id: str, sku: str) -> str:
    """One recount per SKU a step's pick came up short of at a location: a retried commit
    finds the task it opened."""
    return f"recount-{location_id}-{sku}-{step_key}"


def skip_step_key(fulfilment_id: str, step: str) -> str:
    """A skipped step of a fulfilment, as what its reason code's recounts hang on."""
    return f"{fulfilment_id}:skip:{step}"


def adjustment_recount_task_id(location_id: str, sku: str, event_id: str) -> str:
    """The recount an inventory adjustment's reason code asked for: once per adjustment
    (its event id, hashed to keep the id short)."""
    digest = hashlib.sha256(event_id.encode()).hexdigest()[:16]
    return f"recount-{location_id}-{sku}-adj-{digest}"


# -- pick waves ---------------------------------------------------------------------------


def pick_wave_id(location_id: str, token: str) -> str:
    """A wave at a location; ``token`` makes it unique (the API passes a random one)."""
    return f"wave-{location_id}-{token}"


# -- outbox events ------------------------------------------------------------------------


def return_event_id(event: str, return_id: str, refund_attempt: int | None = None) -> str:
    """The outbox id of a return's step event, written once per step: a refund's events
    (``return.refunded``, ``return.refund_failed``) once per refund attempt, the first as
    before attempts had one."""
    if refund_attempt:
        return f"{event}:{return_id}:{refund_attempt}"
    return f"{event}:{return_id}"


def order_event_id(order_id: str, event_type: str) -> str:
    """An order's event happens once per type (a capture failure names its fulfilment)."""
    return f"{order_id}:{event_type}"


def customer_message_key(kind: str, subject: str) -> str:
    """One customer message of a kind about one thing (an event, or a parcel): stored unique,
    so a retried pass never writes, nor sends, a second one."""
    return f"{kind}:{subject}"


def customer_message_resend_key(kind: str, original_id: int, token: str) -> str:
    """A customer message sent again on request: one copy per request, named by the request's
    ``idempotency_token`` (or a fresh token), so a retried request makes no second copy."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    return customer_message_key(kind, f"resend:{original_id}:{digest}")


def email_message_id(message_key: str, domain: str) -> str:
    """The Message-ID header of a customer message: the same on every attempt, so a mail
    server or a mail client can tell a resent copy from a new message."""
    digest = hashlib.sha256(message_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def recovery_event_id(task_id: str, event_type: str) -> str:
    """An event of a reversed capture's recovery: once per type per task decided (the order's
    own tries of the same fulfilment have theirs)."""
    return f"{task_id}:{event_type}"


def order_note_key(subject: str, entry_type: str) -> str:
    """A timeline entry written outside the order's run (a reversal, a recovery's outcome):
    once per type per subject (the payment key reversed, the task decided)."""
    return f"{subject}:{entry_type}"


def order_edit_event_id(order_id: str, event_type: str, edit: int) -> str:
    """An order edit's event: one per edit (an order may have a line cancelled twice)."""
    return f"{order_id}:{event_type}:{edit}"


def invoice_number(fulfilment_id: str) -> str:
    """The invoice of a fulfilment's goods (``INV-WEB-1.F2``): one per fulfilment."""
    return f"INV-{fulfilment_id}"


def stock_event_id(channel_id: str, sku: str, kind: str, atp: int, since_micros: int) -> str:
    """One crossing of a SKU's channel figure (``oms.domain.stock_events.event_id``)."""
    return f"atp:{channel_id}:{sku}:{kind}:{atp}:{since_micros}"


# -- appeasements (goodwill refunds without a return) -------------------------------------


def appeasement_id(order_id: str, seq: int) -> str:
    """The n-th appeasement of an order, counting from 1 (``WEB-1.A2``)."""
    return f"{order_id}.A{seq}"


def appeasement_seq(order_id: str, appeasement_id: str) -> int | None:
    """The n of one of the order's appeasement ids; None for another id."""
    head, sep, seq = appeasement_id.rpartition(".A")
    return int(seq) if sep and head == order_id and seq.isdigit() else None


def appeasement_workflow_id(appeasement_id: str) -> str:
    return f"appeasement-{appeasement_id}"


def appeasement_event_id(event: str, appeasement_id: str) -> str:
    """An appeasement's outbox event: once per type (refunded once, or failed once)."""
    return f"{event}:{appeasement_id}"


# -- demo API keys -------------------------------------------------------------------------

_STORE_KEY = "store:"


def store_key_name(location_id: str) -> str:
    """How the demo keys file (dev-keys.json) names a store's key."""
    return f"{_STORE_KEY}{location_id}"


def store_of_key_name(name: str) -> str | None:
    """The location a demo key's name is for, or None when it is not a store's key."""
    return name.removeprefix(_STORE_KEY) if name.startswith(_STORE_KEY) else None


# -- idempotency keys sent to payment gateways: oms.gateway_keys ---------------------------

# -- webhook senders ------------------------------------------------------------------------

CARRIER_SENDER = "carrier:"
PAYMENT_SENDER = "payments"


def carrier_sender_id(carrier: str) -> str:
    """The sender a carrier's tracking webhook is signed as."""
    return f"{CARRIER_SENDER}{carrier}"


def payment_sender_id(gateway: str) -> str:
    """The sender a payment gateway's notices are signed as."""
    return f"{PAYMENT_SENDER}:{gateway}"


def inbound_update_id(sender: str, event_id: str) -> str:
    """The workflow update a sender's event is sent as: Temporal runs one update id once, so
    the event sent again (or after a lost answer) is not applied twice."""
    return f"in:{sender}:{event_id}"


def booking_key(shipment_id: str) -> str:
    return f"{shipment_id}:book"
