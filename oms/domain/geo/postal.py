"""Where a postal code is, for an address sent without coordinates: the centre of its postal
area (``oms.domain.geo.areas``), else of its country.

An area is named by the first digits of its codes and the longest prefix wins: a French code's
first two digits name its département, Corsica's and the overseas départements' three
(``20000`` is ``FR-2A``, ``97400`` ``FR-974``). The United Kingdom (lettered postcode areas),
the United States (close to a thousand ZIP prefixes) and Portugal (whose first digits mix
distant regions) have no table yet: their addresses are placed at the country's centre. So
are a code malformed for its country (``7500``, ``ABCDE`` in France) and one whose prefix
names no area in use (``00123``).

Pure: the tables are data, read once at import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from oms.domain.geo import COUNTRY_CENTROIDS, GeoPoint, Located, PointSource
from oms.domain.geo.areas import be, ch, de, es, fr, it, lu, nl

# "F-75004", "L-1234", "CH-8001": the old European form, the country's letters before a dash.
_LETTERS = re.compile(r"^[A-Z]{1,3}-")


@dataclass(frozen=True)
class _Scheme:
    """A country's codes: their form once upper-cased without spaces (the digits that name
    the area in group ``digits``) and the areas by prefix."""

    form: re.Pattern[str]
    areas: Mapping[str, tuple[float, float]]
    names: Mapping[str, str] = field(default_factory=dict)  # prefix -> area, if not itself
    points: dict[str, GeoPoint] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for prefix, (lat, lon) in self.areas.items():
            self.points[prefix] = GeoPoint(lat=lat, lon=lon)

    def area(self, digits: str) -> tuple[str, GeoPoint] | None:
        for size in range(len(digits), 0, -1):
            point = self.points.get(digits[:size])
            if point is not None:
                return self.names.get(digits[:size], digits[:size]), point
        return None


def _digits(n: int, letters: str = "") -> re.Pattern[str]:
    return re.compile(rf"(?P<digits>\d{{{n}}}){letters}")


SCHEMES: dict[str, _Scheme] = {
    "FR": _Scheme(_digits(5), fr.AREAS, fr.NAMES),
    "BE": _Scheme(_digits(4), be.AREAS),
    "NL": _Scheme(_digits(4, "(?:[A-Z]{2})?"), nl.AREAS),
    "LU": _Scheme(_digits(4), lu.AREAS),
    "DE": _Scheme(_digits(5), de.AREAS),
    "CH": _Scheme(_digits(4), ch.AREAS),
    "ES": _Scheme(_digits(5), es.AREAS),
    "IT": _Scheme(_digits(5), it.AREAS),
}


def plain_code(postal_code: str) -> str:
    """The code as the tables read it: upper case, no spaces, no country letters before it
    (``F-75004`` and ``75 004`` are ``75004``)."""
    return _LETTERS.sub("", "".join(postal_code.split()).upper())


def region(country: str, postal_code: str) -> str:
    """The region a sourcing profile's ``regions`` condition names: the country and the first
    two characters of the plain code (``FR-75``; ``F-75004`` too)."""
    return f"{country.upper()}-{plain_code(postal_code)[:2]}"


def postal_area(country: str, postal_code: str) -> Located | None:
    """The centre of the postal area the code is in (``FR-75``), or None: a country without a
    table, a code malformed for its country, a prefix naming no area."""
    scheme = SCHEMES.get(country.upper())
    if scheme is None:
        return None
    found = scheme.form.fullmatch(plain_code(postal_code))
    area = scheme.area(found["digits"]) if found else None
    if area is None:
        return None
    name, point = area
    return Located(point=point, source=PointSource.POSTAL_AREA, area=f"{country.upper()}-{name}")


def locate(country: str, postal_code: str | None) -> Located | None:
    """Where an address without coordinates is: the centre of its postal area, else of its
    country (``area`` the country), else nowhere (None: a country we do not know)."""
    found = postal_area(country, postal_code) if postal_code else None
    if found is not None:
        return found
    centre = COUNTRY_CENTROIDS.get(country.upper())
    if centre is None:
        return None
    return Located(point=centre, source=PointSource.COUNTRY, area=country.upper())
