"""Sends deliveries to the subscribers' URLs: one signed POST each, many at once. A 2xx answer
is delivered; any other answer, a timeout or a refused connection is a failure to retry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx

from oms.domain.webhooks_out import Due, Outcome, envelope
from oms.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, sign_all

USER_AGENT = "oms-webhooks/1"


class WebhookSender:
    def __init__(
        self,
        *,
        timeout: float,
        concurrency: int,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), limits=limits, transport=transport
        )
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")

    def send(self, due: Due) -> Outcome:
        body = envelope(due.event_id, due.event_type, due.created_at, due.payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign_all(due.secrets, body),
            EVENT_ID_HEADER: due.event_id,
        }
        try:
            answer = self._client.post(due.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return Outcome(due.delivery_id, False, None, "timeout")
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return Outcome(due.delivery_id, False, None, (str(exc) or type(exc).__name__)[:500])
        ok = 200 <= answer.status_code < 300
        error = None if ok else f"HTTP {answer.status_code}: {answer.text[:200]}"
        return Outcome(due.delivery_id, ok, answer.status_code, error)

    def send_all(self, dues: Sequence[Due]) -> Iterator[Outcome]:
        """Each delivery's outcome, in the order given, as they come in (``concurrency`` in
        flight at once)."""
        return self._pool.map(self.send, dues)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._client.close()
