"""Where an order goes: the delivery method, the address, the store, and the identifiers
and country codes they are written with. Below the order and the fulfilment, which both use it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.domain.geo import GeoPoint, Located, PointSource
from oms.domain.geo.postal import locate

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class DeliveryMethod(StrEnum):
    SHIP = "ship"
    COLLECT = "collect"


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: str | None = Field(default=None, max_length=200)
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    country: CountryCode
    # Optional, together: where the storefront geocoded the address. Without them the postal
    # code places it.
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    def locate(self) -> Located | None:
        """Where the address is and how we know: its coordinates if the storefront sent both,
        else the centre of its postal area, else of its country (None: a country unknown)."""
        if self.lat is not None and self.lon is not None:
            point = GeoPoint(lat=self.lat, lon=self.lon)
            return Located(point=point, source=PointSource.COORDINATES)
        return locate(self.country, self.postal_code)

    def point(self) -> GeoPoint | None:
        """The point of ``locate``, what distances are measured to."""
        located = self.locate()
        return located.point if located is not None else None


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: DeliveryMethod
    address: Address | None = None
    store_id: Identifier | None = None
    express: bool = False

    @model_validator(mode="after")
    def _method_needs_its_target(self) -> Delivery:
        if self.method is DeliveryMethod.SHIP and self.address is None:
            raise ValueError("a 'ship' delivery needs an address")
        if self.method is DeliveryMethod.COLLECT and self.store_id is None:
            raise ValueError("a 'collect' delivery needs a store_id")
        return self
