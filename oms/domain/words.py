"""Values listed in a reason for people: ``gold, vip`` or ``admin or storefront``, never a
Python list's brackets and quotes. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable


def listed(values: Iterable[object], last: str = "and") -> str:
    """``["a"]`` -> ``a``; ``["a", "b", "c"]`` -> ``a, b and c`` (``last="or"``: ``a, b or c``)."""
    words = [str(v) for v in values]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def with_article(word: str) -> str:
    """``analyst`` -> ``an analyst``, ``store`` -> ``a store``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
