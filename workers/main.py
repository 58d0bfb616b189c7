"""The worker: which queue, which workflows, which activities with which dependencies.

`oms worker` (and `oms dev`) run it; see oms/cli.py."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker, WorkflowRunner

from activities.appeasements import AppeasementActivities
from activities.atp_watch import AtpWatchActivities
from activities.cart_holds import CartHoldActivities
from activities.customer_messages import CustomerMessageActivities
from activities.fraud import FraudActivities
from activities.inventory_sync import InventorySyncActivities
from activities.payment_recovery import PaymentRecoveryActivities
from activities.payments import PaymentActivities
from activities.read_model import ReadModelActivities
from activities.recommendations import AffinityActivities
from activities.returns import ReturnActivities
from activities.shipping import ShippingActivities
from activities.sourcing import ProfileChoice, SourcingActivities
from activities.tasks import TaskActivities
from activities.webhooks_out import WebhookRelayActivities
from oms.config import Settings
from oms.connectors.carriers import Carrier, HttpCarrier, SimulatedCarrier
from oms.connectors.email import EmailSender, SmtpSender, sender_domain
from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import HttpPaymentGateway, PaymentGateway
from oms.connectors.webhooks_out import WebhookSender
from oms.contracts.sourcing import SourcingRequest
from oms.db import fulfilment_profiles
from oms.db.engine import Database
from oms.domain.fraud import FraudPolicy
from workers import sandbox
from workflows.affinity_refresh import AffinityRefreshWorkflow, RefreshSettings
from workflows.appeasement import AppeasementWorkflow
from workflows.atp_watch import AtpWatchWorkflow, WatchSettings
from workflows.cart_hold import CartHoldWorkflow
from workflows.customer_messages import CustomerMessagesWorkflow, MessagesSettings
from workflows.fulfilment import FulfilmentWorkflow
from workflows.inventory_sync import InventorySyncWorkflow
from workflows.order import OrderWorkflow
from workflows.payment_recovery import PaymentRecoveryWorkflow
from workflows.returns import ReturnWorkflow
from workflows.webhook_relay import RelaySettings, WebhookRelayWorkflow

WORKFLOWS = [
    OrderWorkflow,
    FulfilmentWorkflow,
    InventorySyncWorkflow,
    CartHoldWorkflow,
    AtpWatchWorkflow,
    ReturnWorkflow,
    WebhookRelayWorkflow,
    CustomerMessagesWorkflow,
    AffinityRefreshWorkflow,
    PaymentRecoveryWorkflow,
    # Goodwill refunds without a return.
    AppeasementWorkflow,
]


@dataclass
class Dependencies:
    db: Database
    payments: PaymentGateway
    carrier: Carrier
    fraud_policy: FraudPolicy = field(default_factory=FraudPolicy)
    # Which fulfilment profile a location runs; None: fulfilments run the fixed flow.
    fulfilment_profiles: ProfileChoice | None = None
    # Sends webhooks out; None: one with the default timeout and concurrency.
    webhooks: WebhookSender | None = None
    # Sends customer messages by email; None: no mail server, messages recorded as skipped.
    mailer: EmailSender | None = None
    # The domain of the messages' Message-ID headers (the From address's).
    mail_domain: str = "oms.localhost"
    # The payment gateway's name, as finance events give it.
    gateway_name: str = "simulator"
    # Called before each sourcing step plans (tests: another order taking stock meanwhile).
    before_sourcing: Callable[[SourcingRequest], None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, db: Database | None = None) -> Dependencies:
        payments = payment_gateway(settings)
        tracks = settings.carrier_tracking_url and settings.carrier_tracking_secret
        carrier: Carrier = (
            SimulatedCarrier(pace=settings.carrier_tracking_pace if tracks else None)
            if settings.carrier_url == "simulator"
            else HttpCarrier(settings.carrier_url, settings.carrier_api_key)
        )
        policy = FraudPolicy(
            review_threshold=settings.fraud_review_threshold,
            reject_threshold=settings.fraud_reject_threshold,
            risky_categories=frozenset(settings.fraud_risky_categories),
        )
        return cls(
            db=db or Database(settings.db_url),
            payments=payments,
            carrier=carrier,
            fraud_policy=policy,
            gateway_name=settings.payment_gateway_name,
            fulfilment_profiles=fulfilment_profiles.choose,
            webhooks=WebhookSender(
                timeout=settings.webhook_timeout.total_seconds(),
                concurrency=settings.webhook_concurrency,
            ),
            mailer=(
                SmtpSender(
                    settings.smtp_url.get_secret_value(),
                    sender=settings.smtp_from,
                    timeout=settings.smtp_timeout.total_seconds(),
                )
                if settings.smtp_url
                else None
            ),
            mail_domain=sender_domain(settings.smtp_from),
        )


def payment_gateway(settings: Settings) -> PaymentGateway:
    """The gateway the settings name: the simulator (its state in a file of its own) or the
    real one over HTTP."""
    if settings.payment_gateway_url != "simulator":
        return HttpPaymentGateway(
            settings.payment_gateway_url,
            settings.payment_gateway_api_key,
            partial_voids=settings.payment_gateway_partial_voids,
        )
    path = settings.payment_simulator_file
    path.parent.mkdir(parents=True, exist_ok=True)
    return SimulatedPaymentGateway(path)


def activities_for(deps: Dependencies) -> list[Callable[..., Any]]:
    """Every activity the workflows call (workflows/calls.py declares them), grouped by concept."""
    read_model = ReadModelActivities(deps.db)
    tasks = TaskActivities(deps.db)
    fraud = FraudActivities(deps.db, deps.fraud_policy)
    sourcing = SourcingActivities(
        deps.db, profiles=deps.fulfilment_profiles, before_plan=deps.before_sourcing
    )
    payments = PaymentActivities(deps.payments, deps.db, gateway_name=deps.gateway_name)
    shipping = ShippingActivities(deps.carrier)
    syncs = InventorySyncActivities(deps.db)
    holds = CartHoldActivities(deps.db)
    watch = AtpWatchActivities(deps.db)
    affinity = AffinityActivities(deps.db)
    recovery = PaymentRecoveryActivities(payments)
    returns = ReturnActivities(deps.db, payments, deps.carrier)
    relay = WebhookRelayActivities(
        deps.db, deps.webhooks or WebhookSender(timeout=10.0, concurrency=16)
    )
    mail = CustomerMessageActivities(deps.db, deps.mailer, domain=deps.mail_domain)
    appeasements = AppeasementActivities(deps.db, payments)
    return [
        read_model.record_progress,
        read_model.emit_event,
        read_model.record_notes,
        read_model.save_fulfilment,
        read_model.fulfilment_progress,
        tasks.open_task,
        tasks.escalate_task,
        tasks.close_task,
        tasks.close_order_tasks,
        fraud.assess_fraud,
        sourcing.source_and_reserve,
        sourcing.preview_sourcing,
        sourcing.commit_pick,
        sourcing.consume_reservations,
        sourcing.release_reservations,
        payments.authorize_payment,
        payments.capture_payment,
        payments.void_payment,
        payments.void_part,
        payments.refund_payment,
        recovery.authorize_recovery,
        recovery.void_recovery,
        recovery.release_reversed,
        recovery.recaptured_by_gateway,
        shipping.book_shipment,
        shipping.cancel_shipment,
        syncs.plan_sync,
        syncs.apply_sync_chunks,
        syncs.finish_sync,
        syncs.fail_sync,
        holds.expire_cart_hold,
        watch.watch_atp,
        returns.record_return,
        returns.apply_return_grades,
        returns.refund_return,
        returns.book_return_label,
        relay.relay_webhooks,
        mail.send_customer_messages,
        affinity.refresh_affinity,
        # Goodwill refunds without a return.
        appeasements.refund_appeasement,
        appeasements.record_appeasement,
    ]


def build_worker(
    client: Client,
    task_queue: str,
    deps: Dependencies,
    *,
    max_concurrent_activities: int = 32,
    workflow_runner: WorkflowRunner | None = None,
) -> Worker:
    """The worker for every workflow and activity. The workflow sandbox passes the OMS's
    deterministic modules through (workers/sandbox.py); ``workflow_runner`` is for benchmarks
    that measure other set-ups."""
    # Activities are synchronous (database drivers and httpx.Client): they run on this pool.
    executor = ThreadPoolExecutor(max_workers=max_concurrent_activities)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(deps),
        workflow_runner=workflow_runner or sandbox.workflow_runner(converter=client.data_converter),
        activity_executor=executor,
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_local_activities=max_concurrent_activities,
    )


def watch_settings(settings: Settings) -> WatchSettings:
    return WatchSettings(
        interval_s=settings.atp_watch_interval.total_seconds(),
        overlap_s=settings.atp_watch_overlap.total_seconds(),
    )


def refresh_settings(settings: Settings) -> RefreshSettings:
    return RefreshSettings(interval_s=settings.recommendations_refresh_interval.total_seconds())


def relay_settings(settings: Settings) -> RelaySettings:
    return RelaySettings(
        run_for_s=settings.webhook_relay_run_for.total_seconds(),
        poll_s=settings.webhook_relay_poll.total_seconds(),
        batch=settings.webhook_relay_batch,
        retry_for_s=settings.webhook_retry_for.total_seconds(),
    )


def messages_settings(settings: Settings) -> MessagesSettings:
    return MessagesSettings(
        run_for_s=settings.messages_run_for.total_seconds(),
        poll_s=settings.messages_poll.total_seconds(),
        batch=settings.messages_batch,
        retry_for_s=settings.messages_retry_for.total_seconds(),
    )
