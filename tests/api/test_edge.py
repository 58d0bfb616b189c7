"""The API's edge: a body is not read before its key is checked, nor beyond the size limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from tests.api.conftest import Api, error_of, order_body

MIB = 1024 * 1024
LIMIT = 2 * MIB  # OMS_MAX_BODY_BYTES by default


class Stream:
    """A request body of ``total`` bytes sent in 1 MiB chunks, counting what was pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0
        self.chunk = b"x" * MIB

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += len(self.chunk)
            yield self.chunk


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_a_body_without_a_valid_key_is_refused_before_a_byte_of_it_is_read(
    api: Api,
) -> None:
    before = rss()
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        body = Stream(100 * MIB)

        answer = await api.http.post(
            "/orders", content=body, headers={**headers, "Content-Type": "application/json"}
        )

        assert (answer.status_code, error_of(answer)["code"]) == (401, "unauthenticated")
        assert body.sent <= MIB  # at most the chunk in flight when the answer came
    assert rss() - before < 20 * MIB


async def test_a_body_over_the_limit_is_refused_unparsed(api: Api) -> None:
    shop = {**api.auth("storefront"), "Content-Type": "application/json"}

    declared = await api.http.post("/orders", content=b"{" * (LIMIT + 1), headers=shop)
    streamed_body = Stream(50 * MIB)
    streamed = await api.http.post("/orders", content=streamed_body, headers=shop)

    for answer in (declared, streamed):
        assert (answer.status_code, error_of(answer)["code"]) == (413, "payload_too_large")
    # What streams in is read up to the limit and no further.
    assert streamed_body.sent <= LIMIT + MIB
    # A body within the limit is read and answered as always.
    placed = await api.http.post("/orders", json=order_body(), headers=api.auth("storefront"))
    assert placed.status_code == 201, placed.text
