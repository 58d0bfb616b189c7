"""Database tables, one module per concept. Alembic migrations (``oms/db/migrations``) create
them; tests may too. Importing this package registers every table on SQLModel's metadata."""

from oms.db.tables.access import ApiKey, IdempotencyKey
from oms.db.tables.appeasements import AppeasementRow
from oms.db.tables.base import one_of, utcnow
from oms.db.tables.catalogue import Product, ProductBarcode
from oms.db.tables.fulfilment import FulfilmentProfile
from oms.db.tables.inventory import (
    CartHold,
    ChannelAtp,
    Exclusion,
    InventoryEvent,
    InventoryPosition,
    Reservation,
    SafetyRule,
)
from oms.db.tables.messages import CustomerMessage
from oms.db.tables.orders import (
    Fulfilment,
    ManualTask,
    Order,
    OrderEvent,
    OrderNote,
    OutboxEvent,
)
from oms.db.tables.payments import PaymentLedgerEntry, PaymentToken
from oms.db.tables.picking import FulfilmentScan, PickWave, PickWaveLine, ProductLocation
from oms.db.tables.places import Channel, Location, Network, NetworkLocation
from oms.db.tables.reasons import ReasonCodeRow
from oms.db.tables.recommendations import (
    AffinityNeighbour,
    AffinityRefresh,
    CopurchaseItem,
    CopurchasePair,
)
from oms.db.tables.returns import RefundClaim, ReturnPolicyRow, ReturnRow
from oms.db.tables.sourcing import SourcingDecision, SourcingProfile
from oms.db.tables.syncs import (
    InventorySync,
    InventorySyncChunk,
    InventorySyncError,
    InventorySyncRow,
)
from oms.db.tables.webhooks import InboundEvent, ShipmentEvent, WebhookSender
from oms.db.tables.webhooks_out import WebhookDelivery, WebhookSubscription

__all__ = [
    "AffinityNeighbour",
    "AffinityRefresh",
    "ApiKey",
    "AppeasementRow",
    "CartHold",
    "Channel",
    "CopurchaseItem",
    "CopurchasePair",
    "ChannelAtp",
    "CustomerMessage",
    "Exclusion",
    "Fulfilment",
    "FulfilmentProfile",
    "FulfilmentScan",
    "IdempotencyKey",
    "InboundEvent",
    "InventoryEvent",
    "InventoryPosition",
    "InventorySync",
    "InventorySyncChunk",
    "InventorySyncError",
    "InventorySyncRow",
    "Location",
    "ManualTask",
    "Network",
    "NetworkLocation",
    "Order",
    "OrderEvent",
    "OrderNote",
    "OutboxEvent",
    "PaymentLedgerEntry",
    "PaymentToken",
    "PickWave",
    "PickWaveLine",
    "Product",
    "ProductBarcode",
    "ReasonCodeRow",
    "ProductLocation",
    "Reservation",
    "RefundClaim",
    "ReturnPolicyRow",
    "ReturnRow",
    "SafetyRule",
    "ShipmentEvent",
    "SourcingDecision",
    "SourcingProfile",
    "WebhookDelivery",
    "WebhookSender",
    "WebhookSubscription",
    "one_of",
    "utcnow",
]
