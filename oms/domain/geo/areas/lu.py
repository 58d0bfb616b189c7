"""Luxembourg: four-digit codes (written ``L-1234`` too), by their first digit."""

from oms.domain.geo.areas import Areas

AREAS: Areas = {
    "1": (49.611, 6.130),  # Luxembourg City
    "2": (49.611, 6.130),  # Luxembourg City
    "3": (49.480, 6.087),  # Dudelange
    "4": (49.496, 5.981),  # Esch-sur-Alzette
    "5": (49.545, 6.367),  # Remich
    "6": (49.681, 6.441),  # Grevenmacher
    "7": (49.749, 6.105),  # Mersch
    "8": (49.627, 6.024),  # Mamer
    "9": (49.847, 6.104),  # Ettelbruck
}
