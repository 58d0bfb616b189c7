"""What the customer was told, as the stored messages say: a message that failed or was
withdrawn told them nothing, so it does not stand for another (``has_message``)."""

from __future__ import annotations

import pytest

from oms.db import customer_messages as repo
from oms.db.engine import Database
from oms.db.tables import CustomerMessage
from oms.domain.messages import MessageStatus


@pytest.mark.parametrize(
    ("status", "told"),
    [
        (MessageStatus.PENDING, True),
        (MessageStatus.SENT, True),
        (MessageStatus.SKIPPED, True),
        (MessageStatus.FAILED, False),
        (MessageStatus.WITHDRAWN, False),
    ],
)
def test_a_message_stands_as_told_only_if_it_reached_or_will_reach_the_customer(
    db: Database, status: MessageStatus, told: bool
) -> None:
    with db.session() as s:
        s.add(
            CustomerMessage(
                key="m1",
                order_id="W1",
                event_id="e1",
                kind="not_collected",
                locale="en",
                to="sam@example.com",
                subject="Not collected",
                status=status.value,
            )
        )
    with db.reading() as s:
        assert repo.has_message(s, "W1", "not_collected") is told
        assert repo.has_message(s, "W1", "cancelled") is False
