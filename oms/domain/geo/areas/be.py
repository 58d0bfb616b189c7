"""Belgium: four-digit codes, by their first two digits (the main town of each), with the
province's main city for the first digit alone (1 Brussels and the two Brabants, 2 Antwerp,
3 Flemish Brabant and Limburg, 4 Liège, 5 Namur, 6 Charleroi and Luxembourg, 7 Hainaut,
8 West Flanders, 9 East Flanders)."""

from oms.domain.geo.areas import Areas

AREAS: Areas = {
    "1": (50.847, 4.357),  # Brussels
    "10": (50.847, 4.357),  # Brussels
    "11": (50.847, 4.357),  # Brussels
    "12": (50.847, 4.357),  # Brussels
    "13": (50.717, 4.601),  # Wavre
    "14": (50.598, 4.329),  # Nivelles
    "15": (50.734, 4.234),  # Halle
    "16": (50.780, 4.244),  # Sint-Pieters-Leeuw
    "17": (50.848, 4.259),  # Dilbeek
    "18": (50.928, 4.425),  # Vilvoorde
    "19": (50.883, 4.473),  # Zaventem
    "2": (51.219, 4.402),  # Antwerp
    "20": (51.219, 4.402),  # Antwerp
    "21": (51.219, 4.402),  # Antwerp
    "22": (51.177, 4.836),  # Herentals
    "23": (51.322, 4.945),  # Turnhout
    "24": (51.162, 4.990),  # Geel
    "25": (51.131, 4.570),  # Lier
    "26": (51.219, 4.402),  # Antwerp
    "28": (51.026, 4.478),  # Mechelen
    "29": (51.290, 4.492),  # Brasschaat
    "3": (50.879, 4.701),  # Leuven
    "30": (50.879, 4.701),  # Leuven
    "31": (50.977, 4.637),  # Haacht
    "32": (50.985, 4.837),  # Aarschot
    "33": (50.807, 4.938),  # Tienen
    "34": (50.753, 5.082),  # Landen
    "35": (50.930, 5.338),  # Hasselt
    "36": (50.965, 5.500),  # Genk
    "37": (50.781, 5.464),  # Tongeren
    "38": (50.816, 5.186),  # Sint-Truiden
    "39": (51.230, 5.313),  # Lommel
    "4": (50.633, 5.567),  # Liège
    "40": (50.633, 5.567),  # Liège
    "41": (50.583, 5.500),  # Seraing
    "42": (50.672, 5.078),  # Hannut
    "43": (50.697, 5.255),  # Waremme
    "44": (50.660, 5.520),  # Ans
    "45": (50.519, 5.240),  # Huy
    "46": (50.737, 5.693),  # Visé
    "47": (50.628, 6.036),  # Eupen
    "48": (50.589, 5.862),  # Verviers
    "49": (50.492, 5.864),  # Spa
    "5": (50.467, 4.872),  # Namur
    "50": (50.467, 4.872),  # Namur
    "51": (50.467, 4.872),  # Namur
    "53": (50.489, 5.097),  # Andenne
    "55": (50.262, 4.912),  # Dinant
    "56": (50.196, 4.543),  # Philippeville
    "6": (50.411, 4.444),  # Charleroi
    "60": (50.411, 4.444),  # Charleroi
    "61": (50.411, 4.444),  # Charleroi
    "62": (50.405, 4.525),  # Châtelet
    "64": (50.048, 4.317),  # Chimay
    "65": (50.339, 4.286),  # Thuin
    "66": (50.000, 5.717),  # Bastogne
    "67": (49.683, 5.817),  # Arlon
    "68": (49.920, 5.379),  # Libramont
    "69": (50.227, 5.344),  # Marche-en-Famenne
    "7": (50.454, 3.952),  # Mons
    "70": (50.454, 3.952),  # Mons
    "71": (50.480, 4.187),  # La Louvière
    "73": (50.449, 3.818),  # Saint-Ghislain
    "75": (50.606, 3.389),  # Tournai
    "76": (50.509, 3.592),  # Péruwelz
    "77": (50.744, 3.214),  # Mouscron
    "78": (50.630, 3.778),  # Ath
    "79": (50.600, 3.617),  # Leuze-en-Hainaut
    "8": (51.209, 3.225),  # Bruges
    "80": (51.209, 3.225),  # Bruges
    "82": (51.209, 3.225),  # Bruges
    "83": (51.350, 3.266),  # Knokke-Heist
    "84": (51.230, 2.921),  # Ostend
    "85": (50.828, 3.265),  # Kortrijk
    "86": (51.033, 2.864),  # Diksmuide
    "87": (50.999, 3.327),  # Tielt
    "88": (50.946, 3.123),  # Roeselare
    "89": (50.851, 2.886),  # Ypres
    "9": (51.054, 3.717),  # Ghent
    "90": (51.054, 3.717),  # Ghent
    "91": (51.165, 4.143),  # Sint-Niklaas
    "92": (51.029, 4.101),  # Dendermonde
    "93": (50.938, 4.040),  # Aalst
    "94": (50.828, 4.025),  # Ninove
    "95": (50.773, 3.882),  # Geraardsbergen
    "96": (50.746, 3.601),  # Ronse
    "97": (50.845, 3.605),  # Oudenaarde
    "98": (50.984, 3.528),  # Deinze
    "99": (51.187, 3.560),  # Eeklo
}
