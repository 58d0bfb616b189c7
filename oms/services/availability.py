"""What a channel can promise, read through oms.db and decided by oms.domain, for callers that
do it inside a transaction of their own: cart holds, the ATP watcher, sourcing and its trials.
(The API's lookups read in one step and compute outside the session.)"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlmodel import Session

from oms.db import availability, sourcing
from oms.domain.availability import ChannelAtp
from oms.domain.availability_lookup import ChannelSetup, atp_for
from oms.domain.delivery import DeliveryMethod
from oms.domain.fulfilment_profiles import FulfilmentProfile
from oms.domain.sourcing import Candidate, OrderFacts
from oms.domain.sourcing.candidates import candidates_from, with_facts
from oms.domain.sourcing.profiles import DeliveryKind

# (session, location id, channel, delivery method) -> the fulfilment profile that location runs
# (oms.db.fulfilment_profiles.choose for the worker as deployed).
ProfileChoice = Callable[[Session, str, str, DeliveryMethod], FulfilmentProfile]


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


def delivery_method(facts: OrderFacts | None) -> DeliveryMethod:
    """How the order leaves its locations, as fulfilment profiles' scopes say it."""
    collect = facts is not None and facts.delivery is DeliveryKind.COLLECT
    return DeliveryMethod.COLLECT if collect else DeliveryMethod.SHIP


def with_services(
    session: Session, candidates: list[Candidate], facts: OrderFacts, choose: ProfileChoice
) -> list[Candidate]:
    """The candidates with the value-added services each performs: those of the ``vas`` step
    of the fulfilment profile in force there for this order. Read only when a line asks a
    service (one profile lookup per candidate); otherwise the candidates as they are."""
    if not any(line.services for line in facts.lines):
        return candidates
    method = delivery_method(facts)
    return [
        c.model_copy(
            update={"services": choose(session, c.location_id, facts.channel, method).services}
        )
        for c in candidates
    ]
