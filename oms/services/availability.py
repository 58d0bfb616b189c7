"""What a channel can promise, read through oms.db and decided by oms.domain, for callers that
do it inside a transaction of their own: cart holds, the ATP watcher, sourcing and its trials.
(The API's lookups read in one step and compute outside the session.)"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from oms.db import availability, sourcing
from oms.domain.availability import ChannelAtp
from oms.domain.availability_lookup import ChannelSetup, atp_for
from oms.domain.sourcing import Candidate
from oms.domain.sourcing.candidates import candidates_from, with_facts


def channel_figures(
    session: Session, setup: ChannelSetup, skus: Collection[str], *, detail: bool = False
) -> dict[str, ChannelAtp | None]:
    """Each SKU's ATP in the channel (None: not in the catalogue)."""
    return atp_for(setup, availability.load_facts(session, setup, skus), skus, detail=detail)


def sourcing_candidates(
    session: Session,
    channel: str,
    skus: Collection[str],
    only: Collection[str] | None,
    now: datetime,
) -> list[Candidate]:
    """The locations an order of the channel may be sourced from, each with what it may
    promise and what else is known of it (networks, capacity, lead time, record)."""
    setup = availability.channel_setup(session, channel)
    found = candidates_from(setup, channel_figures(session, setup, skus), only)
    ids = [c.location_id for c in found]
    return with_facts(found, sourcing.location_facts(session, ids, now, skus))
