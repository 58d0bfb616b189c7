"""The activities the workflows call, declared by name and signature only.

A workflow schedules an activity by its name; what runs it lives in ``activities/`` and is
registered by ``workers/``. Declaring the calls here keeps the workflow modules free of what
the activities import (database drivers, HTTP clients), so the sandbox loads none of it; a
test checks that every declaration matches a registered activity, name and types alike.
"""

from __future__ import annotations

from typing import NoReturn

from temporalio import activity

from oms.contracts.appeasements import AppeasementOutcome, RecordAppeasement, RefundAppeasement
from oms.contracts.atp_watch import WatchRequest, WatchResult
from oms.contracts.cart_holds import HoldDue, HoldState
from oms.contracts.customer_messages import MessagesRequest, MessagesResult
from oms.contracts.fraud import FraudCheck
from oms.contracts.fulfilment import CommitPick, ConsumeRequest, SaveFulfilment
from oms.contracts.inventory_sync import ApplyChunks, SyncFailure, SyncRef
from oms.contracts.payment_recovery import RecoveryInput, RecoveryPayment, Released
from oms.contracts.payments import (
    Authorization,
    AuthorizeRequest,
    Capture,
    CaptureRequest,
    PartialVoid,
    PartialVoidRequest,
    Refund,
    RefundRequest,
    Void,
    VoidRequest,
)
from oms.contracts.read_model import EmitEvent, RecordNotes, RecordProgress
from oms.contracts.recommendations import RefreshRequest, RefreshResult
from oms.contracts.returns import ApplyGrades, RecordReturn, RefundOutcome, RefundReturn
from oms.contracts.shipping import (
    Booking,
    CancelShipment,
    ReturnLabelRequest,
    ShipmentRequest,
)
from oms.contracts.sourcing import ReleaseRequest, SourcingPreview, SourcingRequest
from oms.contracts.tasks import CloseTask, OpenTask
from oms.contracts.webhooks_out import RelayRequest, RelayResult
from oms.domain.fraud import FraudAssessment
from oms.domain.fulfilment import FulfilmentProgress
from oms.domain.snapshots import SyncProgress
from oms.domain.sourcing import SourcingPlan


def _declared_only(name: str) -> NoReturn:
    raise NotImplementedError(f"{name} runs in a worker; this is its declaration")


# -- read model and events ------------------------------------------------------------------


@activity.defn(name="record_progress")
def record_progress(req: RecordProgress) -> int:
    _declared_only("record_progress")


@activity.defn(name="emit_event")
def emit_event(req: EmitEvent) -> bool:
    _declared_only("emit_event")


@activity.defn(name="record_notes")
def record_notes(req: RecordNotes) -> int:
    _declared_only("record_notes")


@activity.defn(name="fulfilment_progress")
def fulfilment_progress(order_id: str) -> list[FulfilmentProgress]:
    _declared_only("fulfilment_progress")


@activity.defn(name="save_fulfilment")
def save_fulfilment(req: SaveFulfilment) -> None:
    _declared_only("save_fulfilment")


# -- human tasks ----------------------------------------------------------------------------


@activity.defn(name="open_task")
def open_task(req: OpenTask) -> None:
    _declared_only("open_task")


@activity.defn(name="escalate_task")
def escalate_task(task_id: str) -> None:
    _declared_only("escalate_task")


@activity.defn(name="close_task")
def close_task(req: CloseTask) -> None:
    _declared_only("close_task")


@activity.defn(name="close_order_tasks")
def close_order_tasks(order_id: str) -> int:
    _declared_only("close_order_tasks")


# -- fraud ----------------------------------------------------------------------------------


@activity.defn(name="assess_fraud")
def assess_fraud(req: FraudCheck) -> FraudAssessment:
    _declared_only("assess_fraud")


# -- sourcing and the reservation ledger ----------------------------------------------------


@activity.defn(name="source_and_reserve")
def source_and_reserve(req: SourcingRequest) -> SourcingPlan:
    _declared_only("source_and_reserve")


@activity.defn(name="preview_sourcing")
def preview_sourcing(req: SourcingPreview) -> list[str]:
    _declared_only("preview_sourcing")


@activity.defn(name="commit_pick")
def commit_pick(req: CommitPick) -> None:
    _declared_only("commit_pick")


@activity.defn(name="consume_reservations")
def consume_reservations(req: ConsumeRequest) -> int:
    _declared_only("consume_reservations")


@activity.defn(name="release_reservations")
def release_reservations(req: ReleaseRequest) -> int:
    _declared_only("release_reservations")


# -- payment and shipping -------------------------------------------------------------------


@activity.defn(name="authorize_payment")
def authorize_payment(req: AuthorizeRequest) -> Authorization:
    _declared_only("authorize_payment")


@activity.defn(name="capture_payment")
def capture_payment(req: CaptureRequest) -> Capture:
    _declared_only("capture_payment")


@activity.defn(name="void_payment")
def void_payment(req: VoidRequest) -> Void:
    _declared_only("void_payment")


@activity.defn(name="cancel_shipment")
def cancel_shipment(req: CancelShipment) -> None:
    _declared_only("cancel_shipment")


# -- a reversed capture's recovery (activities/payment_recovery.py) ------------------------


@activity.defn(name="authorize_recovery")
def authorize_recovery(req: RecoveryPayment) -> Authorization:
    _declared_only("authorize_recovery")


@activity.defn(name="void_recovery")
def void_recovery(req: RecoveryPayment) -> Void:
    _declared_only("void_recovery")


@activity.defn(name="release_reversed")
def release_reversed(req: RecoveryPayment) -> Released | None:
    _declared_only("release_reversed")


@activity.defn(name="recaptured_by_gateway")
def recaptured_by_gateway(req: RecoveryInput) -> bool:
    _declared_only("recaptured_by_gateway")


@activity.defn(name="void_part")
def void_part(req: PartialVoidRequest) -> PartialVoid | None:
    _declared_only("void_part")


@activity.defn(name="refund_payment")
def refund_payment(req: RefundRequest) -> Refund:
    _declared_only("refund_payment")


@activity.defn(name="book_shipment")
def book_shipment(req: ShipmentRequest) -> Booking:
    _declared_only("book_shipment")


# -- inventory syncs, cart holds, the ATP watcher ------------------------------------------


@activity.defn(name="plan_sync")
def plan_sync(req: SyncRef) -> SyncProgress:
    _declared_only("plan_sync")


@activity.defn(name="apply_sync_chunks")
def apply_sync_chunks(req: ApplyChunks) -> SyncProgress:
    _declared_only("apply_sync_chunks")


@activity.defn(name="finish_sync")
def finish_sync(req: SyncRef) -> SyncProgress:
    _declared_only("finish_sync")


@activity.defn(name="fail_sync")
def fail_sync(req: SyncFailure) -> SyncProgress:
    _declared_only("fail_sync")


@activity.defn(name="expire_cart_hold")
def expire_cart_hold(req: HoldDue) -> HoldState:
    _declared_only("expire_cart_hold")


@activity.defn(name="watch_atp")
def watch_atp(req: WatchRequest) -> WatchResult:
    _declared_only("watch_atp")


@activity.defn(name="refresh_affinity")
def refresh_affinity(req: RefreshRequest) -> RefreshResult:
    _declared_only("refresh_affinity")


@activity.defn(name="relay_webhooks")
def relay_webhooks(req: RelayRequest) -> RelayResult:
    _declared_only("relay_webhooks")


@activity.defn(name="send_customer_messages")
def send_customer_messages(req: MessagesRequest) -> MessagesResult:
    _declared_only("send_customer_messages")


# -- returns ----------------------------------------------------------------------------------


@activity.defn(name="record_return")
def record_return(req: RecordReturn) -> None:
    _declared_only("record_return")


@activity.defn(name="apply_return_grades")
def apply_return_grades(req: ApplyGrades) -> dict[str, tuple[int, int]]:
    _declared_only("apply_return_grades")


@activity.defn(name="refund_return")
def refund_return(req: RefundReturn) -> RefundOutcome:
    _declared_only("refund_return")


@activity.defn(name="book_return_label")
def book_return_label(req: ReturnLabelRequest) -> Booking:
    _declared_only("book_return_label")


# -- appeasements ---------------------------------------------------------------------------


@activity.defn(name="refund_appeasement")
def refund_appeasement(req: RefundAppeasement) -> AppeasementOutcome:
    _declared_only("refund_appeasement")


@activity.defn(name="record_appeasement")
def record_appeasement(req: RecordAppeasement) -> int:
    _declared_only("record_appeasement")
