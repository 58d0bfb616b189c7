"""Germany: five-digit codes, by their first two digits (the Leitregion), at its main city.
Regions 00, 05, 11, 43 and 62 are not in use."""

from oms.domain.geo.areas import Areas

AREAS: Areas = {
    "01": (51.050, 13.738),  # Dresden
    "02": (51.181, 14.424),  # Bautzen
    "03": (51.756, 14.333),  # Cottbus
    "04": (51.340, 12.375),  # Leipzig
    "06": (51.483, 11.970),  # Halle (Saale)
    "07": (50.928, 11.590),  # Jena
    "08": (50.718, 12.496),  # Zwickau
    "09": (50.833, 12.925),  # Chemnitz
    "10": (52.520, 13.405),  # Berlin
    "12": (52.520, 13.405),  # Berlin
    "13": (52.520, 13.405),  # Berlin
    "14": (52.391, 13.064),  # Potsdam
    "15": (52.347, 14.551),  # Frankfurt (Oder)
    "16": (52.754, 13.237),  # Oranienburg
    "17": (53.557, 13.261),  # Neubrandenburg
    "18": (54.092, 12.099),  # Rostock
    "19": (53.635, 11.401),  # Schwerin
    "20": (53.551, 9.994),  # Hamburg
    "21": (53.460, 9.980),  # Hamburg-Harburg
    "22": (53.551, 9.994),  # Hamburg
    "23": (53.866, 10.687),  # Lübeck
    "24": (54.323, 10.123),  # Kiel
    "25": (53.925, 9.516),  # Itzehoe
    "26": (53.143, 8.214),  # Oldenburg
    "27": (53.540, 8.581),  # Bremerhaven
    "28": (53.079, 8.801),  # Bremen
    "29": (52.625, 10.081),  # Celle
    "30": (52.376, 9.732),  # Hanover
    "31": (52.152, 9.951),  # Hildesheim
    "32": (52.115, 8.673),  # Herford
    "33": (52.021, 8.532),  # Bielefeld
    "34": (51.313, 9.480),  # Kassel
    "35": (50.584, 8.678),  # Gießen
    "36": (50.555, 9.680),  # Fulda
    "37": (51.541, 9.916),  # Göttingen
    "38": (52.269, 10.521),  # Braunschweig
    "39": (52.121, 11.628),  # Magdeburg
    "40": (51.227, 6.774),  # Düsseldorf
    "41": (51.180, 6.443),  # Mönchengladbach
    "42": (51.256, 7.151),  # Wuppertal
    "44": (51.514, 7.468),  # Dortmund
    "45": (51.456, 7.012),  # Essen
    "46": (51.470, 6.852),  # Oberhausen
    "47": (51.434, 6.762),  # Duisburg
    "48": (51.961, 7.626),  # Münster
    "49": (52.279, 8.047),  # Osnabrück
    "50": (50.938, 6.960),  # Cologne
    "51": (51.046, 6.984),  # Leverkusen
    "52": (50.776, 6.084),  # Aachen
    "53": (50.737, 7.098),  # Bonn
    "54": (49.750, 6.637),  # Trier
    "55": (49.993, 8.247),  # Mainz
    "56": (50.356, 7.589),  # Koblenz
    "57": (50.875, 8.024),  # Siegen
    "58": (51.367, 7.463),  # Hagen
    "59": (51.681, 7.815),  # Hamm
    "60": (50.110, 8.682),  # Frankfurt am Main
    "61": (50.227, 8.618),  # Bad Homburg
    "63": (50.133, 8.917),  # Hanau
    "64": (49.873, 8.651),  # Darmstadt
    "65": (50.078, 8.240),  # Wiesbaden
    "66": (49.240, 6.997),  # Saarbrücken
    "67": (49.477, 8.445),  # Ludwigshafen
    "68": (49.487, 8.466),  # Mannheim
    "69": (49.399, 8.672),  # Heidelberg
    "70": (48.776, 9.183),  # Stuttgart
    "71": (48.897, 9.192),  # Ludwigsburg
    "72": (48.492, 9.204),  # Reutlingen
    "73": (48.703, 9.652),  # Göppingen
    "74": (49.142, 9.219),  # Heilbronn
    "75": (48.892, 8.694),  # Pforzheim
    "76": (49.007, 8.404),  # Karlsruhe
    "77": (48.471, 7.944),  # Offenburg
    "78": (48.062, 8.494),  # Villingen-Schwenningen
    "79": (47.999, 7.842),  # Freiburg im Breisgau
    "80": (48.137, 11.575),  # Munich
    "81": (48.137, 11.575),  # Munich
    "82": (47.998, 11.340),  # Starnberg
    "83": (47.857, 12.128),  # Rosenheim
    "84": (48.537, 12.152),  # Landshut
    "85": (48.766, 11.426),  # Ingolstadt
    "86": (48.371, 10.898),  # Augsburg
    "87": (47.727, 10.314),  # Kempten
    "88": (47.782, 9.611),  # Ravensburg
    "89": (48.402, 9.987),  # Ulm
    "90": (49.452, 11.077),  # Nuremberg
    "91": (49.590, 11.004),  # Erlangen
    "92": (49.445, 11.857),  # Amberg
    "93": (49.013, 12.102),  # Regensburg
    "94": (48.567, 13.431),  # Passau
    "95": (49.946, 11.578),  # Bayreuth
    "96": (49.898, 10.902),  # Bamberg
    "97": (49.792, 9.953),  # Würzburg
    "98": (50.610, 10.693),  # Suhl
    "99": (50.978, 11.029),  # Erfurt
}
