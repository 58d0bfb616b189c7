"""A per-key rate limit: a token bucket per API key, in this API process.

Each key may make ``OMS_RATE_LIMIT_PER_MINUTE`` requests a minute, in bursts of up to a tenth
of that; past it a request is refused with 429 ``rate_limited`` and a ``Retry-After`` header
saying in how many seconds one more request will be accepted. Buckets live in memory: each API
replica counts its own, so a deployment of N replicas lets a key make up to N times the
figure. 0 turns the limit off.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from api.errors import ApiError
from oms.domain.errors import ErrorCode


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0  # tokens a second
        self.burst = max(1.0, per_minute / 10.0)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def admit(self, key_id: str) -> None:
        """Take one request from the key's bucket, or refuse it with 429."""
        if self.rate <= 0:
            return
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(tokens=self.burst, at=now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            wait = math.ceil((1 - bucket.tokens) / self.rate)
        raise ApiError(
            ErrorCode.RATE_LIMITED,
            f"this key made more than {round(self.rate * 60)} requests a minute; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
