"""Points on Earth for sourcing: distances, and where an address is when it comes without
coordinates (the centre of its postal area, ``oms.domain.geo.postal``, else of its country)."""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, Field

EARTH_RADIUS_KM = 6371.0088


class GeoPoint(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle (haversine) distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# Rough centroids used when an address comes without coordinates and its postal code names no
# area we know, so that sourcing still prefers nearby countries' locations over far ones.
COUNTRY_CENTROIDS: dict[str, GeoPoint] = {
    "FR": GeoPoint(lat=46.6, lon=2.4),
    "BE": GeoPoint(lat=50.6, lon=4.6),
    "NL": GeoPoint(lat=52.2, lon=5.5),
    "DE": GeoPoint(lat=51.1, lon=10.4),
    "ES": GeoPoint(lat=40.4, lon=-3.7),
    "IT": GeoPoint(lat=42.8, lon=12.6),
    "CH": GeoPoint(lat=46.8, lon=8.2),
    "LU": GeoPoint(lat=49.8, lon=6.1),
    "GB": GeoPoint(lat=54.0, lon=-2.0),
    "PT": GeoPoint(lat=39.6, lon=-8.0),
    "US": GeoPoint(lat=39.8, lon=-98.6),
}


class PointSource(StrEnum):
    """Where a destination point came from."""

    COORDINATES = "coordinates"  # the address's own lat and lon
    POSTAL_AREA = "postal_area"  # the centre of its postal area (FR-75)
    COUNTRY = "country"  # the centre of its country: a postal code we cannot place
    STORE = "store"  # a collection's store, where a transfer goes


class Located(BaseModel):
    """A point and where it came from: ``area`` is the postal area (``FR-75``) or the country
    (``FR``) whose centre it is, or the store's id; None for coordinates sent."""

    point: GeoPoint
    source: PointSource
    area: str | None = None
