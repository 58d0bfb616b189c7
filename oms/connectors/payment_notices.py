"""The simulated gateway's notices, sent to the OMS as a real gateway would: POSTed to
``/webhooks/payments/{gateway}`` signed with the gateway's secret (the sender
``payments:<gateway>``), one event id each.

``reverse`` makes a capture or a refund fail after the fact at the simulator and tells the OMS;
``recapture`` makes a reversed capture go through after all and tells it;
``chargeback`` tells it a card holder disputes a capture. A 2xx (applied, or a duplicate)
ends a notice; anything else is answered back for the caller to send again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from oms.connectors.payment_simulator import SimulatedPaymentGateway
from oms.connectors.payments import GatewayTransaction
from oms.domain.inbound import NoticeType, PaymentNotice
from oms.logging import get_logger
from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, sign

log = get_logger(__name__)


class NoticeSender:
    def __init__(
        self,
        gateway: SimulatedPaymentGateway,
        client: httpx.AsyncClient,
        secret: str,
        *,
        name: str = "simulator",
    ) -> None:
        self.gateway = gateway
        self.client = client
        self.secret = secret
        self.name = name

    def _done(self, idempotency_key: str) -> GatewayTransaction:
        found = next(
            (t for t in self.gateway.transactions() if t.idempotency_key == idempotency_key), None
        )
        if found is None:
            raise KeyError(idempotency_key)
        return found

    async def reverse(self, idempotency_key: str, code: str) -> httpx.Response:
        """The capture or the refund done under this key fails after the fact."""
        done = self.gateway.reverse(idempotency_key, code)
        failed = (
            NoticeType.CAPTURE_FAILED if done.operation == "capture" else NoticeType.REFUND_FAILED
        )
        return await self.send(
            PaymentNotice(
                type=failed,
                idempotency_key=idempotency_key,
                reference=done.reference,
                amount=done.amount,
                currency=done.currency,
                occurred_at=datetime.now(UTC),
                code=code,
            ),
            f"{failed.value}:{idempotency_key}",
        )

    async def recapture(self, idempotency_key: str) -> httpx.Response:
        """A reversed capture goes through after all: the gateway captured it again on its
        own (Adyen's "Transaction Recaptured") and says so."""
        done = self.gateway.recapture(idempotency_key)
        return await self.send(
            PaymentNotice(
                type=NoticeType.CAPTURE_SUCCEEDED,
                idempotency_key=idempotency_key,
                reference=done.reference,
                amount=done.amount,
                currency=done.currency,
                occurred_at=datetime.now(UTC),
            ),
            f"capture.recaptured:{idempotency_key}",
        )

    async def chargeback(
        self, capture_key: str, chargeback_id: str, amount: int, reason: str
    ) -> httpx.Response:
        """A card holder disputes ``amount`` of the capture done under this key."""
        capture = self._done(capture_key)
        return await self.send(
            PaymentNotice(
                type=NoticeType.CHARGEBACK_OPENED,
                reference=capture.reference,
                amount=amount,
                currency=capture.currency,
                occurred_at=datetime.now(UTC),
                code=reason,
                chargeback_id=chargeback_id,
            ),
            f"chargeback:{chargeback_id}",
        )

    async def send(self, notice: PaymentNotice, event_id: str) -> httpx.Response:
        body = notice.model_dump_json(exclude_none=True).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            EVENT_ID_HEADER: event_id,
        }
        answer = await self.client.post(
            f"/webhooks/payments/{self.name}", content=body, headers=headers
        )
        log.info(
            "payment_notice_sent",
            type=notice.type.value,
            event_id=event_id,
            status=answer.status_code,
        )
        return answer
