"""Countries by their ISO 3166-1 alpha-2 code, the code a channel's market is written with.

The officially assigned codes only: ``GB``, not ``UK``; no region such as ``EU``. A market is
the country a channel sells into (its customers' country when an order gives none, the country
of a profile's ``regions``), so it must be one a postal address can have. Pure: no I/O.
"""

from __future__ import annotations

ISO_3166_ALPHA_2 = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET
    FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
    HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP
    KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ
    OM
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA
    RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
    UA UG UM US UY UZ
    VA VC VE VG VI VN VU
    WF WS
    YE YT
    ZA ZM ZW
    """.split()
)
# Codes people write for a country that ISO 3166-1 spells otherwise.
_SPELT_OTHERWISE = {"UK": "GB", "EL": "GR"}


def is_country(code: str) -> bool:
    return code in ISO_3166_ALPHA_2


def country_problem(code: str) -> str | None:
    """Why ``code`` is not a country's code, in words; None when it is one."""
    if is_country(code):
        return None
    hint = _SPELT_OTHERWISE.get(code)
    also = f" ({hint} for {code})" if hint else ""
    return (
        f"{code!r} is not an ISO 3166-1 alpha-2 country code (FR, BE, DE, GB...){also}: "
        "a market is the country a channel sells into"
    )
