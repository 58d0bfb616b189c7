"""Where an order goes: the delivery method, the address, the store, and the identifiers
and country codes they are written with. Below the order and the fulfilment, which both use it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from oms.domain.errors import ErrorCode, FieldError
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
    # code places it. One without the other is refused at intake (``coordinate_problems``),
    # not here: orders stored and runs recorded with one alone must still read.
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

    def whole(self) -> Address:
        """The address without a lat or a lon sent alone (accepted before intake refused it):
        it placed nothing, and an order copying the address must not be refused for it."""
        if (self.lat is None) == (self.lon is None):
            return self
        return self.model_copy(update={"lat": None, "lon": None})


def coordinate_problems(lat: object, lon: object, at: str) -> list[FieldError]:
    """A latitude without its longitude (or the reverse), refused at the one missing (``at``:
    where the address is in the request, ``delivery.address``): half a point is no point, and
    ignoring it silently would place the address elsewhere than the sender believes."""
    if (lat is None) == (lon is None):
        return []
    missing, given = ("lon", "lat") if lon is None else ("lat", "lon")
    return [
        FieldError(
            field=f"{at}.{missing}",
            code=ErrorCode.REQUIRED,
            reason=f"{given} was sent without {missing}: send both, or neither and the postal "
            "code places the address",
        )
    ]


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
