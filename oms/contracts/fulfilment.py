"""The fulfilment workflow's input and the fulfilment activities' requests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from oms.contracts.read_model import EmitEvent
from oms.domain.fulfilment import FulfilmentLine, FulfilmentView
from oms.domain.fulfilment_profiles import FulfilmentProfile, Service
from oms.domain.order import Address, DeliveryMethod


class FulfilmentInput(BaseModel):
    fulfilment_id: str
    order_id: str
    location_id: str
    parent_workflow_id: str
    reservation_key: str
    delivery_method: DeliveryMethod
    express: bool = False
    address: Address | None = None
    lines: list[FulfilmentLine]
    pick_escalate_after_s: float = 7200.0
    # How the run goes. 1 (the default of every input recorded before there was a revision):
    # every change signalled to the order, database steps one by one. 2: the order hears only
    # what it must act on (a short pick, a parcel ready for collection) and learns the rest
    # from the result; each step's writes are one local activity.
    # 3: the steps of the location's fulfilment profile (``profile``), each with its deadline.
    revision: int = 1
    profile: FulfilmentProfile | None = None
    # A transfer (revision 3): picked, packed and shipped here as ``profile`` says for a
    # shipment (``address`` is the store's), received by scan at this store, then collected
    # there as its ``collection_profile`` says (None: the built-in profile).
    transfer_to: str | None = None
    collection_profile: FulfilmentProfile | None = None
    # The patches the run takes as given, with no marker (workflows.patch_levels): its order's
    # level. 0 in every run started before there were levels.
    patch_level: int = 0


class CommitPick(BaseModel):
    step_key: str
    location_id: str
    lines: list[FulfilmentLine]


class ConsumeRequest(BaseModel):
    step_key: str
    location_id: str


class CollectUnits(BaseModel):
    """A collection at the counter: its units leave the reservation ledger (consumed), as
    the ledger part of that collection, once."""

    step_key: str
    location_id: str
    part: int
    units: dict[str, int]


class Restock(BaseModel):
    """Units back on hand at a location, once per key and SKU: a transfer nobody collected
    is the collection store's stock from then on (its source consumed it when it left)."""

    key: str
    location_id: str
    units: dict[str, int]  # by SKU


class DropUnits(BaseModel):
    """An order edit takes units out of a fulfilment before its pick: their reservation is
    released (the ``part`` of the ledger the edit makes: ``-edit``), in the transaction that
    checks the pick has not started (no wave, no scan)."""

    step_key: str
    location_id: str
    units: dict[str, int]  # by line id
    part: int


class SaveFulfilment(BaseModel):
    view: FulfilmentView
    workflow_id: str
    pick_due_at: datetime | None = None
    # Express fulfilments go first in pick waves (with pick_due_at, the first one written).
    express: bool = False
    # In the same transaction as the row: the pick's effect on the reservation ledger, or
    # the consumption of what left the building.
    commit: CommitPick | None = None
    consume: ConsumeRequest | None = None
    # A collection's units consumed; what nobody came for released back to available stock.
    collect: CollectUnits | None = None
    release: ConsumeRequest | None = None
    restock: Restock | None = None
    # An order edit's units out of the fulfilment (refused, non-retryable, once picking began).
    drop: DropUnits | None = None
    # Outbox events announcing the change, in the same transaction (fulfilment.overdue...).
    emit: list[EmitEvent] = Field(default_factory=list)


class FulfilmentEdit(BaseModel):
    """An order's edit the fulfilment applies before its pick (signal ``edit``), and
    answers with ``EditAnswer`` (the order's ``edit_answered``)."""

    edit: int
    drop: dict[str, int] = Field(default_factory=dict)  # units to take out, by line id
    address: Address | None = None  # ship there instead
    express: bool | None = None  # with this carrier service (None: as it was)
    service: Service | None = None  # add this service to ``service_line``
    service_line: str | None = None
    # An edit to several fulfilments is all of theirs or none (``OrderEdits._ask_all``):
    # ``hold`` checks it and holds the fulfilment (no pick, no pack) without applying it,
    # ``apply`` applies the held edit, ``release`` lets the hold go (no answer). None: checked
    # and applied at once.
    stage: Literal["hold", "apply", "release"] | None = None


class EditAnswer(BaseModel):
    fulfilment_id: str
    edit: int
    accepted: bool
    reason: str | None = None  # an ``EditRefusal`` value
    message: str | None = None
