"""The Netherlands: codes ``1234 AB``, by their first two digits (the main town of each; an
area spanning several towns is placed at one of them, a few tens of km from the others)."""

from oms.domain.geo.areas import Areas

AREAS: Areas = {
    "10": (52.373, 4.893),  # Amsterdam
    "11": (52.303, 4.863),  # Amstelveen
    "12": (52.223, 5.176),  # Hilversum
    "13": (52.371, 5.222),  # Almere
    "14": (52.505, 4.959),  # Purmerend
    "15": (52.439, 4.826),  # Zaandam
    "16": (52.643, 5.060),  # Hoorn
    "17": (52.669, 4.830),  # Heerhugowaard
    "18": (52.632, 4.748),  # Alkmaar
    "19": (52.483, 4.657),  # Beverwijk
    "20": (52.381, 4.637),  # Haarlem
    "21": (52.303, 4.690),  # Hoofddorp
    "22": (52.141, 4.400),  # Wassenaar
    "23": (52.160, 4.497),  # Leiden
    "24": (52.129, 4.656),  # Alphen aan den Rijn
    "25": (52.078, 4.288),  # The Hague
    "26": (52.012, 4.357),  # Delft
    "27": (52.057, 4.493),  # Zoetermeer
    "28": (52.011, 4.711),  # Gouda
    "29": (51.929, 4.578),  # Capelle aan den IJssel
    "30": (51.922, 4.479),  # Rotterdam
    "31": (51.919, 4.399),  # Schiedam
    "32": (51.845, 4.329),  # Spijkenisse
    "33": (51.813, 4.690),  # Dordrecht
    "34": (52.029, 5.081),  # Nieuwegein
    "35": (52.091, 5.122),  # Utrecht
    "36": (52.135, 5.039),  # Maarssen
    "37": (52.090, 5.233),  # Zeist
    "38": (52.156, 5.389),  # Amersfoort
    "39": (52.029, 5.559),  # Veenendaal
    "40": (51.887, 5.429),  # Tiel
    "41": (51.955, 5.227),  # Culemborg
    "42": (51.835, 4.974),  # Gorinchem
    "43": (51.499, 3.611),  # Middelburg
    "44": (51.504, 3.889),  # Goes
    "45": (51.336, 3.828),  # Terneuzen
    "46": (51.495, 4.292),  # Bergen op Zoom
    "47": (51.531, 4.465),  # Roosendaal
    "48": (51.589, 4.776),  # Breda
    "49": (51.645, 4.860),  # Oosterhout
    "50": (51.556, 5.091),  # Tilburg
    "51": (51.683, 5.070),  # Waalwijk
    "52": (51.697, 5.304),  # 's-Hertogenbosch
    "53": (51.765, 5.518),  # Oss
    "54": (51.661, 5.619),  # Uden
    "55": (51.420, 5.404),  # Veldhoven
    "56": (51.441, 5.478),  # Eindhoven
    "57": (51.482, 5.661),  # Helmond
    "58": (51.526, 5.975),  # Venray
    "59": (51.370, 6.172),  # Venlo
    "60": (51.194, 5.987),  # Roermond
    "61": (51.000, 5.869),  # Sittard
    "62": (50.851, 5.691),  # Maastricht
    "63": (50.865, 5.831),  # Valkenburg
    "64": (50.888, 5.979),  # Heerlen
    "65": (51.842, 5.853),  # Nijmegen
    "66": (51.809, 5.726),  # Wijchen
    "67": (52.040, 5.665),  # Ede
    "68": (51.985, 5.899),  # Arnhem
    "69": (51.930, 6.071),  # Zevenaar
    "70": (51.965, 6.289),  # Doetinchem
    "71": (51.973, 6.720),  # Winterswijk
    "72": (52.139, 6.196),  # Zutphen
    "73": (52.211, 5.970),  # Apeldoorn
    "74": (52.255, 6.163),  # Deventer
    "75": (52.222, 6.894),  # Enschede
    "76": (52.357, 6.662),  # Almelo
    "77": (52.576, 6.619),  # Hardenberg
    "78": (52.785, 6.897),  # Emmen
    "79": (52.723, 6.476),  # Hoogeveen
    "80": (52.517, 6.083),  # Zwolle
    "81": (52.386, 6.277),  # Raalte
    "82": (52.518, 5.471),  # Lelystad
    "83": (52.711, 5.749),  # Emmeloord
    "84": (52.960, 5.920),  # Heerenveen
    "85": (52.966, 5.797),  # Joure
    "86": (53.033, 5.659),  # Sneek
    "87": (53.064, 5.531),  # Bolsward
    "88": (53.187, 5.542),  # Franeker
    "89": (53.201, 5.799),  # Leeuwarden
    "90": (53.094, 5.836),  # Grou
    "91": (53.327, 5.999),  # Dokkum
    "92": (53.107, 6.098),  # Drachten
    "93": (53.138, 6.421),  # Roden
    "94": (52.993, 6.563),  # Assen
    "95": (52.988, 6.950),  # Stadskanaal
    "96": (53.161, 6.761),  # Hoogezand
    "97": (53.219, 6.567),  # Groningen
    "98": (53.246, 6.405),  # Zuidhorn
    "99": (53.322, 6.858),  # Appingedam
}
