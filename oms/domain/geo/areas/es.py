"""Spain: five-digit codes, whose first two digits are the province (01 to 52, in INE order),
placed at its capital."""

from oms.domain.geo.areas import Areas

AREAS: Areas = {
    "01": (42.847, -2.672),  # Vitoria-Gasteiz (Álava)
    "02": (38.994, -1.856),  # Albacete
    "03": (38.345, -0.481),  # Alicante
    "04": (36.834, -2.463),  # Almería
    "05": (40.656, -4.700),  # Ávila
    "06": (38.879, -6.970),  # Badajoz
    "07": (39.570, 2.650),  # Palma (Illes Balears)
    "08": (41.385, 2.173),  # Barcelona
    "09": (42.344, -3.697),  # Burgos
    "10": (39.475, -6.372),  # Cáceres
    "11": (36.527, -6.289),  # Cádiz
    "12": (39.986, -0.051),  # Castellón de la Plana
    "13": (38.985, -3.927),  # Ciudad Real
    "14": (37.888, -4.779),  # Córdoba
    "15": (43.362, -8.411),  # A Coruña
    "16": (40.070, -2.137),  # Cuenca
    "17": (41.979, 2.821),  # Girona
    "18": (37.177, -3.599),  # Granada
    "19": (40.633, -3.167),  # Guadalajara
    "20": (43.318, -1.981),  # Donostia-San Sebastián (Gipuzkoa)
    "21": (37.261, -6.945),  # Huelva
    "22": (42.136, -0.409),  # Huesca
    "23": (37.780, -3.785),  # Jaén
    "24": (42.599, -5.567),  # León
    "25": (41.617, 0.620),  # Lleida
    "26": (42.465, -2.445),  # Logroño (La Rioja)
    "27": (43.012, -7.556),  # Lugo
    "28": (40.417, -3.704),  # Madrid
    "29": (36.721, -4.421),  # Málaga
    "30": (37.992, -1.131),  # Murcia
    "31": (42.812, -1.646),  # Pamplona (Navarra)
    "32": (42.336, -7.864),  # Ourense
    "33": (43.362, -5.849),  # Oviedo (Asturias)
    "34": (42.010, -4.532),  # Palencia
    "35": (28.124, -15.430),  # Las Palmas de Gran Canaria
    "36": (42.431, -8.645),  # Pontevedra
    "37": (40.970, -5.664),  # Salamanca
    "38": (28.464, -16.251),  # Santa Cruz de Tenerife
    "39": (43.462, -3.810),  # Santander (Cantabria)
    "40": (40.948, -4.118),  # Segovia
    "41": (37.389, -5.984),  # Seville
    "42": (41.764, -2.465),  # Soria
    "43": (41.119, 1.245),  # Tarragona
    "44": (40.345, -1.106),  # Teruel
    "45": (39.863, -4.027),  # Toledo
    "46": (39.470, -0.376),  # Valencia
    "47": (41.652, -4.724),  # Valladolid
    "48": (43.263, -2.935),  # Bilbao (Bizkaia)
    "49": (41.503, -5.745),  # Zamora
    "50": (41.649, -0.889),  # Zaragoza
    "51": (35.889, -5.320),  # Ceuta
    "52": (35.292, -2.938),  # Melilla
}
