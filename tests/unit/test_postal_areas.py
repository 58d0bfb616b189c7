"""Where an address sent without coordinates is placed: its postal area's centre, else its
country's, and what an order's sourcing facts and explanation say of it."""

from __future__ import annotations

from typing import Any

import pytest

from oms.domain.geo import COUNTRY_CENTROIDS, GeoPoint, PointSource, distance_km
from oms.domain.geo.postal import SCHEMES, locate, region
from oms.domain.sourcing import Candidate, OrderFacts, source_order
from tests.factories import order

PARIS = GeoPoint(lat=48.8566, lon=2.3522)
MARSEILLE = GeoPoint(lat=43.2965, lon=5.3698)
LYON = GeoPoint(lat=45.7640, lon=4.8357)
AJACCIO = GeoPoint(lat=41.9192, lon=8.7386)
BASTIA = GeoPoint(lat=42.6973, lon=9.4509)
SAINT_DENIS_REUNION = GeoPoint(lat=-20.8823, lon=55.4504)
BRUSSELS = GeoPoint(lat=50.8467, lon=4.3525)


def km(country: str, postal_code: str | None, to: GeoPoint) -> float:
    found = locate(country, postal_code)
    assert found is not None
    return distance_km(found.point, to)


@pytest.mark.parametrize(
    ("country", "postal_code", "near", "area"),
    [
        ("FR", "75004", PARIS, "FR-75"),
        ("FR", "13001", MARSEILLE, "FR-13"),
        ("FR", "69002", LYON, "FR-69"),
        ("FR", "20000", AJACCIO, "FR-2A"),
        ("FR", "20167", AJACCIO, "FR-2A"),
        ("FR", "20200", BASTIA, "FR-2B"),
        ("FR", "20600", BASTIA, "FR-2B"),
        ("FR", "97400", SAINT_DENIS_REUNION, "FR-974"),
        ("BE", "1000", BRUSSELS, "BE-10"),
        ("BE", "1050", BRUSSELS, "BE-10"),
        ("NL", "1012 AB", GeoPoint(lat=52.3731, lon=4.8922), "NL-10"),
        ("LU", "L-2449", GeoPoint(lat=49.6116, lon=6.1319), "LU-2"),
        ("DE", "10117", GeoPoint(lat=52.5200, lon=13.4050), "DE-10"),
        ("CH", "1201", GeoPoint(lat=46.2044, lon=6.1432), "CH-12"),
        ("ES", "08001", GeoPoint(lat=41.3851, lon=2.1734), "ES-08"),
        ("IT", "20121", GeoPoint(lat=45.4642, lon=9.1900), "IT-20"),
    ],
)
def test_a_postal_code_places_the_address_at_its_area(
    country: str, postal_code: str, near: GeoPoint, area: str
) -> None:
    found = locate(country, postal_code)
    assert found is not None
    assert (found.source, found.area) == (PointSource.POSTAL_AREA, area)
    assert distance_km(found.point, near) < 5


def test_a_paris_address_is_nearer_a_paris_store_than_a_lyon_one() -> None:
    opera, lyon_store = GeoPoint(lat=48.8716, lon=2.3322), GeoPoint(lat=45.76, lon=4.8357)
    assert km("FR", "75004", opera) < 5
    assert km("FR", "75004", lyon_store) > 350


@pytest.mark.parametrize(
    "postal_code",
    ["7500", "750044", "ABCDE", "00001", "98000", "", "   ", "75O04"],
)
def test_a_code_that_names_no_area_falls_back_to_the_country(postal_code: str) -> None:
    found = locate("FR", postal_code)
    assert found is not None
    assert (found.source, found.area, found.point) == (
        PointSource.COUNTRY,
        "FR",
        COUNTRY_CENTROIDS["FR"],
    )


def test_codes_are_read_as_people_write_them() -> None:
    written = ["75004", " 75 004 ", "F-75004"]
    assert {locate("FR", code).area for code in written} == {"FR-75"}  # type: ignore[union-attr]
    assert locate("NL", "1012ab").area == "NL-10"  # type: ignore[union-attr]


def test_a_country_without_a_table_is_placed_at_its_centre_and_an_unknown_one_nowhere() -> None:
    found = locate("GB", "SW1A 1AA")
    assert found is not None
    assert (found.source, found.area) == (PointSource.COUNTRY, "GB")
    assert locate("JP", "100-0001") is None


# Each country's extent (south, north, west, east), to catch a latitude and a longitude swapped
# or a sign lost; France's overseas areas (three digits from 97) lie outside it.
EXTENTS = {
    "FR": (41.3, 51.1, -5.2, 9.6),
    "BE": (49.5, 51.5, 2.5, 6.4),
    "NL": (50.7, 53.6, 3.3, 7.3),
    "LU": (49.4, 50.2, 5.7, 6.6),
    "DE": (47.2, 55.1, 5.8, 15.1),
    "CH": (45.8, 47.9, 5.9, 10.5),
    "ES": (27.6, 43.8, -18.2, 4.4),
    "IT": (35.4, 47.1, 6.6, 18.6),
}


@pytest.mark.parametrize("country", sorted(SCHEMES))
def test_every_area_lies_in_its_country(country: str) -> None:
    south, north, west, east = EXTENTS[country]
    scheme = SCHEMES[country]
    for prefix, point in scheme.points.items():
        if country == "FR" and prefix[:2] in ("97", "98"):
            continue
        assert south <= point.lat <= north, (prefix, point)
        assert west <= point.lon <= east, (prefix, point)


def _paris_order(**address: Any) -> Any:
    base = {"name": "A", "line1": "12 rue de Rivoli", "city": "Paris", "country": "FR"}
    return order(delivery={"method": "ship", "address": {**base, **address}})


def test_the_sourcing_explanation_says_where_the_destination_came_from() -> None:
    stores = [
        Candidate(location_id="ST-LYON", type="store", point=LYON, available={"SKU-TEE": 9}),
        Candidate(location_id="ST-PARIS", type="store", point=PARIS, available={"SKU-TEE": 9}),
    ]

    def explained(**address: Any) -> tuple[list[str], dict[str, Any] | None]:
        facts = OrderFacts.of(_paris_order(**address), {})
        facts = facts.model_copy(update={"lines": facts.lines[:1]})  # the tees
        plan = source_order(facts, stores)
        assert plan.explanation is not None
        note = plan.explanation.destination
        return plan.locations, note.model_dump(mode="json") if note else None

    assert explained(postal_code="75004") == (
        ["ST-PARIS"],
        {"lat": 48.857, "lon": 2.352, "source": "postal_area", "area": "FR-75"},
    )
    assert explained(postal_code="75004", lat=45.75, lon=4.85) == (
        ["ST-LYON"],
        {"lat": 45.75, "lon": 4.85, "source": "coordinates", "area": None},
    )
    # A code that places nothing: the centre of France, nearer Lyon than Paris.
    assert explained(postal_code="XXXXX") == (
        ["ST-LYON"],
        {"lat": 46.6, "lon": 2.4, "source": "country", "area": "FR"},
    )


def test_a_code_written_with_its_countrys_letters_is_in_the_same_region() -> None:
    # A profile's regions condition and the postal area read the code alike.
    assert [region("FR", c) for c in ("75004", "F-75004", "75 004")] == ["FR-75"] * 3
    assert region("LU", "L-1234") == "LU-12"
    assert region("CH", "CH-8001") == "CH-80"
