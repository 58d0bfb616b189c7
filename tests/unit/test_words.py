"""Reasons list values in words, never as a Python list or dict."""

from __future__ import annotations

from oms.domain.words import listed, with_article


def test_values_are_listed_in_words() -> None:
    assert listed([]) == ""
    assert listed(["vip"]) == "vip"
    assert listed(["gold", "vip"], last="or") == "gold or vip"
    assert listed(["a", "b", "c"]) == "a, b and c"


def test_a_role_takes_its_article() -> None:
    assert (with_article("analyst"), with_article("store")) == ("an analyst", "a store")
    assert with_article("admin or storefront") == "an admin or storefront"
