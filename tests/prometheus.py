"""Reading what a Prometheus endpoint answers, as a scraper would."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families


def names(text: str) -> set[str]:
    """Every sample name as the page spells it (``x_total``, ``x_bucket``...): the parser
    would add ``_total`` to a counter's samples that lack it."""
    return {
        m.group(0)
        for line in text.splitlines()
        if not line.startswith("#") and (m := re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line))
    }


def value(text: str, name: str, **labels: str) -> float | None:
    """The sum of the samples called ``name`` (as the parser has it) that carry these labels,
    and maybe others, or None when the page has none."""
    found = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    ]
    return sum(found) if found else None
