"""A per-key rate limit: past its bucket a key is answered 429 with Retry-After, other keys
are not, and the bucket fills again with time."""

from __future__ import annotations

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.errors import ApiError
from api.limits import RateLimiter
from oms.config import Settings
from oms.db import api_keys
from oms.db.engine import Database
from tests.factories import seed


async def test_a_key_past_its_rate_is_told_when_to_come_back_and_others_are_not(
    dev_env: WorkflowEnvironment, db: Database
) -> None:
    seed(db)
    with db.session() as s:
        busy = api_keys.create_key(s, role="integration", name="busy")
        calm = api_keys.create_key(s, role="integration", name="calm")
    # 60 a minute: bursts of 6.
    app = create_app(Settings(rate_limit_per_minute=60), db=db, client=dev_env.client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as http:
        answers = [
            await http.get("/locations", headers={"Authorization": f"Bearer {busy}"})
            for _ in range(7)
        ]
        other = await http.get("/locations", headers={"Authorization": f"Bearer {calm}"})
        posted = await http.post(
            "/inventory/deltas",
            json={"deltas": [{"sku": "SKU-TEE", "location_id": "ST-OPERA", "delta": 1}]},
            headers={"Authorization": f"Bearer {busy}"},
        )

    assert [a.status_code for a in answers] == [200] * 6 + [429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "1"
    assert other.status_code == 200
    # A request with a body is counted (and refused) before its body is read.
    assert (posted.status_code, posted.json()["code"]) == (429, "rate_limited")


def test_the_bucket_fills_again_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    for _ in range(6):
        limiter.admit("k")
    with pytest.raises(ApiError) as refused:
        limiter.admit("k")
    assert refused.value.headers == {"Retry-After": "1"}
    now[0] += 1.0  # one more request a second
    limiter.admit("k")
    with pytest.raises(ApiError):
        limiter.admit("k")
    RateLimiter(0).admit("k")  # 0: no limit
