"""Postal areas per country, as data: each area's prefix (the first digits of its codes) and
the latitude and longitude of its main city, to about a kilometre. One module per country,
named by its ISO code; ``oms.domain.geo.postal`` reads them.

Written from public facts (where a city is), not copied from a data set: an area's point is
its main city, not its geometric centre, since that is where most of its addresses are.
"""

Areas = dict[str, tuple[float, float]]
