"""The simulated carrier's tracking, sent to the OMS as a real carrier would: each planned
update, once due, POSTed to ``/webhooks/carriers/{carrier}`` signed with the carrier's secret
(oms.webhooks), until the OMS takes it.

A 2xx (applied, or a duplicate) ends an update. Anything else (the booking not recorded yet,
the API away, a secret not registered yet) leaves it for the next pass: a carrier retries.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime

import httpx
from pydantic import SecretStr

from oms.config import Settings
from oms.connectors.carriers import SIM_CARRIER, PlannedUpdate, SimulatedCarrier
from oms.domain.shipments import TrackingUpdate
from oms.keys import carrier_sender_id
from oms.logging import get_logger
from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, new_secret, sign

log = get_logger(__name__)


class TrackingSender:
    def __init__(self, carrier: SimulatedCarrier, client: httpx.AsyncClient, secret: str) -> None:
        self.carrier = carrier
        self.client = client
        self.secret = secret

    def _body(self, update: PlannedUpdate) -> bytes:
        return (
            TrackingUpdate(
                tracking_number=update.tracking_number,
                status=update.status,
                occurred_at=update.due_at,
                detail=update.detail,
            )
            .model_dump_json(exclude_none=True)
            .encode()
        )

    async def send(self, update: PlannedUpdate) -> bool:
        body = self._body(update)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            EVENT_ID_HEADER: update.event_id,
        }
        try:
            answer = await self.client.post(
                f"/webhooks/carriers/{self.carrier.name}", content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            log.info("tracking_not_sent", event_id=update.event_id, error=str(exc))
            return False
        if not answer.is_success:
            log.info("tracking_refused", event_id=update.event_id, status=answer.status_code)
            return False
        self.carrier.sent(update)
        return True

    async def send_due(self, now: datetime | None = None) -> int:
        """Send what is due; how many the OMS took."""
        taken = 0
        for update in self.carrier.due(now):
            taken += await self.send(update)
        return taken

    async def run(self, every_s: float = 1.0) -> None:
        """Send what falls due, for ever (cancel the task to stop)."""
        while True:
            await self.send_due()
            await asyncio.sleep(every_s)


def tracking_sender(settings: Settings, carrier: object) -> TrackingSender | None:
    """The simulated carrier's tracking reports, when the settings say where to send them."""
    url, secret = settings.carrier_tracking_url, settings.carrier_tracking_secret
    if not (isinstance(carrier, SimulatedCarrier) and url and secret):
        return None
    client = httpx.AsyncClient(base_url=url, timeout=10.0)
    return TrackingSender(carrier, client, secret.get_secret_value())


DEV_SECRET_FILE = "carrier-webhook-secret"
SENDER = carrier_sender_id(SIM_CARRIER)


def with_dev_tracking(settings: Settings, api_url: str) -> Settings:
    """`oms dev`'s simulated carrier reports to its own API: the sender ``carrier:simcarrier``
    registered with a secret made once under OMS_HOME. A real carrier, or tracking already
    set, is left as it is."""
    from oms.db import inbound
    from oms.db.engine import Database

    if settings.carrier_url != "simulator" or settings.carrier_tracking_url:
        return settings
    path = settings.home / DEV_SECRET_FILE
    if path.exists():
        secret = path.read_text().strip()
    else:
        secret = new_secret()
        path.write_text(secret + "\n")
        os.chmod(path, 0o600)
    db = Database(settings.db_url)
    try:
        with db.session() as s:
            if inbound.secret_of(s, SENDER) != secret:
                inbound.set_secret(s, SENDER, secret)
    finally:
        db.dispose()
    return settings.model_copy(
        update={"carrier_tracking_url": api_url, "carrier_tracking_secret": SecretStr(secret)}
    )
