"""Money is integer minor units plus an ISO 4217 currency code."""

from __future__ import annotations

# ISO 4217 codes the OMS accepts, with their number of minor units.
CURRENCY_MINOR_UNITS: dict[str, int] = {
    "AUD": 2,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CNY": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "MXN": 2,
    "NOK": 2,
    "NZD": 2,
    "PLN": 2,
    "RON": 2,
    "SEK": 2,
    "SGD": 2,
    "USD": 2,
    "ZAR": 2,
    "MAD": 2,
    "TND": 3,
    "KWD": 3,
    "BHD": 3,
    "AED": 2,
    "SAR": 2,
    "TRY": 2,
}


def is_known_currency(code: str) -> bool:
    return code in CURRENCY_MINOR_UNITS


def format_minor(amount: int, currency: str) -> str:
    """Render an amount for people, e.g. ``format_minor(12345, "EUR") == "123.45 EUR"``."""
    digits = CURRENCY_MINOR_UNITS.get(currency, 2)
    if digits == 0:
        return f"{amount} {currency}"
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d} {currency}"
