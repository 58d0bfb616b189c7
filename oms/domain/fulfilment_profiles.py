"""Fulfilment profiles: how a retailer wants its locations to work an order, written as data.

A profile is a versioned document (JSON, validated here), immutable once published, like a
sourcing profile: ``draft``, ``active`` or ``inactive``, one active version per profile id.
Each active profile applies to a scope (a location, a location type, a channel, a delivery
method; any of them may be left open) and the most specific one that matches a fulfilment is
the one it runs (``select``): a boutique's own profile beats the profile of every store, which
beats the retailer's default.

A profile is an ordered list of steps from a catalogue (``StepType``). Each step is
``required`` or may be skipped by staff with a reason code; the pick step is worked order by
order or in ``waves`` across fulfilments (by item, category or zone); a step may be limited to one
delivery method (a collection is not handed to a carrier), and has a deadline of its own
(``due``, from the moment the step begins, shorter for express orders), after which it is
escalated, and a second limit (``reject_after``) past which the fulfilment is rejected and its
units sourced elsewhere. A collection waits ``collection.hold_for`` for the customer, with a
reminder after ``collection.remind_after``.

``DEFAULT_PROFILE`` is what every location did before profiles: pick by counting, pack, then
either the carrier or the customer's collection.

Pure: no I/O, safe to import inside the workflow sandbox.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from oms.domain.delivery import DeliveryMethod
from oms.domain.safety import LocationType

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
MAX_VERSION = 2**31 - 1
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
# Deadlines: at least a minute, at most a month (a step nobody may finish is no deadline).
Duration = Annotated[timedelta, Field(ge=timedelta(minutes=1), le=timedelta(days=31))]


class ProfileStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    INACTIVE = "inactive"


class StepType(StrEnum):
    """The catalogue of steps a profile is made of."""

    PICK = "pick"  # take the units from the shelves (``mode``: scan_each or fast)
    VERIFY = "verify"  # a second scan of every unit at the packing bench
    VAS = "vas"  # the value-added services the order's lines ask for, each a task
    PHOTO = "photo"  # a photo of what goes in the parcel
    PACK = "pack"  # parcels and their weights
    LABEL = "label"  # the carrier's label printed and stuck on each parcel
    HANDOVER = "handover"  # the parcel's label scanned when the carrier collects it
    # A transfer's arrival at the collection store, its label scanned there. Not a step a
    # profile lists: a transfer's run adds it between the source's steps and the store's.
    RECEIVE = "receive"
    READY_FOR_COLLECTION = "ready_for_collection"  # on the collection shelf, customer told
    COLLECTED = "collected"  # the customer's collection code checked at the counter


class PickMode(StrEnum):
    SCAN_EACH = "scan_each"  # every unit scanned by its barcode; another product is refused
    FAST = "fast"  # quantities confirmed


class WaveStrategy(StrEnum):
    """How a wave gathers the pick lines of several fulfilments."""

    PER_ORDER = "per_order"  # each fulfilment's lines on their own
    BY_ITEM = "by_item"  # one line per SKU, the total quantity
    BY_CATEGORY = "by_category"  # grouped by product category
    BY_ZONE = "by_zone"  # sorted in walking order through the location's zones and bins


class Service(StrEnum):
    """Value-added services an order line may ask for (``services: ["gift_wrap"]``)."""

    GIFT_WRAP = "gift_wrap"
    ENGRAVING = "engraving"
    PERSONALISATION = "personalisation"
    ASSEMBLY = "assembly"


# Steps that only make sense for one delivery method.
SHIP_ONLY = frozenset({StepType.LABEL, StepType.HANDOVER})
COLLECT_ONLY = frozenset({StepType.READY_FOR_COLLECTION, StepType.COLLECTED})
# Steps that must come in this order when a profile has them.
SEQUENCE = (
    StepType.PICK,
    StepType.VERIFY,
    StepType.VAS,
    StepType.PHOTO,
    StepType.PACK,
    StepType.LABEL,
    StepType.HANDOVER,
    StepType.RECEIVE,
    StepType.READY_FOR_COLLECTION,
    StepType.COLLECTED,
)
# A step that may be added more than once (two photo steps: before and after wrapping).
REPEATABLE = frozenset({StepType.PHOTO, StepType.VERIFY})


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deadline(_Doc):
    """How long a step may take from the moment it begins."""

    due: Duration | None = Field(default=None, description="Escalated past it")
    express_due: Duration | None = Field(
        default=None, description="For express orders (default: ``due``)"
    )
    reject_after: Duration | None = Field(
        default=None,
        description="Past due by this much more, the fulfilment is rejected and re-sourced",
    )

    def due_in(self, express: bool) -> timedelta | None:
        return (self.express_due or self.due) if express else self.due


class Waves(_Doc):
    """A pick step worked in waves across fulfilments rather than order by order."""

    strategy: WaveStrategy
    max_size: int = Field(default=50, ge=1, le=500, description="Fulfilments in one wave")


class Step(_Doc):
    type: StepType
    name: Name | None = Field(
        default=None, description="Unique in the profile; defaults to the type (photo-2...)"
    )
    required: bool = Field(default=True, description="False: staff may skip it with a reason")
    mode: PickMode | None = Field(default=None, description="pick only; default fast")
    waves: Waves | None = Field(
        default=None, description="pick only: picked in waves; default order by order"
    )
    services: tuple[Service, ...] | None = Field(
        default=None, description="vas only: the services this location performs"
    )
    deadline: Deadline = Field(default_factory=Deadline)

    @model_validator(mode="after")
    def _coherent(self) -> Step:
        if self.mode is not None and self.type is not StepType.PICK:
            raise ValueError(f"mode is for a pick step, not {self.type.value}")
        if self.waves is not None and self.type is not StepType.PICK:
            raise ValueError(f"waves are for a pick step, not {self.type.value}")
        if self.services is not None and self.type is not StepType.VAS:
            raise ValueError(f"services are for a vas step, not {self.type.value}")
        if self.type is StepType.VAS and not self.services:
            raise ValueError("a vas step names the services it performs")
        if self.type in (StepType.PICK, StepType.COLLECTED) and not self.required:
            raise ValueError(f"a {self.type.value} step cannot be skipped")
        return self

    @property
    def key(self) -> str:
        return self.name or self.type.value

    @property
    def pick_mode(self) -> PickMode:
        return self.mode or PickMode.FAST

    def applies_to(self, method: DeliveryMethod) -> bool:
        if self.type in SHIP_ONLY:
            return method is DeliveryMethod.SHIP
        if self.type in COLLECT_ONLY:
            return method is DeliveryMethod.COLLECT
        return True


class Scope(_Doc):
    """Where a profile applies; a field left open matches everything."""

    location_id: Name | None = None
    location_type: LocationType | None = None
    channel: Name | None = None
    delivery_method: DeliveryMethod | None = None

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        """Compared field by field: a location beats a location type, which beats a
        channel, which beats a delivery method."""
        return (
            self.location_id is not None,
            self.location_type is not None,
            self.channel is not None,
            self.delivery_method is not None,
        )

    def matches(
        self, *, location_id: str, location_type: str, channel: str, method: DeliveryMethod
    ) -> bool:
        return (
            self.location_id in (None, location_id)
            and self.location_type in (None, location_type)
            and self.channel in (None, channel)
            and self.delivery_method in (None, method)
        )


class CollectionPolicy(_Doc):
    remind_after: Duration = timedelta(days=2)
    hold_for: Duration = timedelta(days=7)

    @model_validator(mode="after")
    def _coherent(self) -> CollectionPolicy:
        if self.remind_after >= self.hold_for:
            raise ValueError("remind_after must be shorter than hold_for")
        return self


class FulfilmentProfile(_Doc):
    id: Name
    version: Version = 1
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    applies_to: Scope = Field(default_factory=Scope)
    steps: tuple[Step, ...] = Field(min_length=1, max_length=20)
    collection: CollectionPolicy = Field(default_factory=CollectionPolicy)

    @field_validator("steps")
    @classmethod
    def _coherent(cls, steps: tuple[Step, ...], info: ValidationInfo) -> tuple[Step, ...]:
        # A check of the steps, so that a refusal names them (``steps``), not the whole profile.
        types = [s.type for s in steps]
        if StepType.RECEIVE in types:
            raise ValueError("a receive step is added by a transfer to a store, not by a profile")
        if types.count(StepType.PICK) != 1 or types[0] is not StepType.PICK:
            raise ValueError("a profile begins with its one pick step")
        for t in set(types) - REPEATABLE:
            if types.count(t) > 1:
                raise ValueError(f"a profile has at most one {t.value} step")
        keys = [s.key for s in steps]
        if len(set(keys)) != len(keys):
            raise ValueError("step names must be unique (name repeated steps: photo-2...)")
        order = [SEQUENCE.index(t) for t in types]
        if order != sorted(order):
            raise ValueError("steps go in this order: " + ", ".join(t.value for t in SEQUENCE))
        scope = info.data.get("applies_to")
        method = scope.delivery_method if isinstance(scope, Scope) else None
        for s in steps:
            if method is not None and not s.applies_to(method):
                raise ValueError(f"a {s.type.value} step never applies to {method.value}")
        if StepType.COLLECTED in types and StepType.READY_FOR_COLLECTION not in types:
            raise ValueError("a collected step needs a ready_for_collection step before it")
        if not isinstance(scope, Scope):
            return steps  # the scope is refused on its own
        if method in (None, DeliveryMethod.COLLECT) and StepType.COLLECTED not in types:
            raise ValueError("a profile for collections ends with a collected step")
        if method in (None, DeliveryMethod.SHIP) and StepType.PACK not in types:
            raise ValueError("a profile for shipments has a pack step: a parcel leaves packed")
        return steps

    def steps_for(self, method: DeliveryMethod) -> list[Step]:
        """The steps a fulfilment of this delivery method goes through, in order."""
        return [s for s in self.steps if s.applies_to(method)]

    @property
    def pick_waves(self) -> Waves | None:
        """How its pick step is worked in waves; None: order by order."""
        return next((s.waves for s in self.steps if s.type is StepType.PICK), None)

    @property
    def services(self) -> frozenset[Service]:
        """The value-added services a location with this profile performs."""
        return frozenset(
            service for s in self.steps if s.type is StepType.VAS for service in s.services or ()
        )


DEFAULT_PROFILE = FulfilmentProfile(
    id="default",
    name="Pick by counting, pack, then the carrier or the customer",
    steps=(
        Step(type=StepType.PICK, mode=PickMode.FAST),
        Step(type=StepType.PACK),
        Step(type=StepType.READY_FOR_COLLECTION),
        Step(type=StepType.COLLECTED),
    ),
)


def select(
    active: list[FulfilmentProfile],
    *,
    location_id: str,
    location_type: str,
    channel: str,
    method: DeliveryMethod,
) -> FulfilmentProfile:
    """The most specific active profile whose scope matches; ``DEFAULT_PROFILE`` when none
    does. Two that are as specific are told apart by id, so the choice never depends on the
    order they were read in."""
    matching = [
        p
        for p in active
        if p.applies_to.matches(
            location_id=location_id, location_type=location_type, channel=channel, method=method
        )
    ]
    if not matching:
        return DEFAULT_PROFILE
    return max(matching, key=lambda p: (p.applies_to.specificity, p.id))
