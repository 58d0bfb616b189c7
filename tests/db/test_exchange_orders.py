"""An exchange's replacement order copies its original's addresses, and is held to the rules of
POST /orders: what an original was accepted with must not refuse its replacement."""

from __future__ import annotations

from oms.db.engine import Database
from oms.domain.returns import ReturnMethod, ReturnRequest
from oms.services.exchanges import exchange_order
from tests.factories import PARIS, order, seed


def test_a_replacement_drops_half_a_point_its_original_was_accepted_with(db: Database) -> None:
    seed(db)
    address = {
        "name": "Alice",
        "line1": "1 rue de Rivoli",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
    }
    # Placed before intake refused a latitude without its longitude.
    placed = order(
        delivery={"method": "ship", "address": {**address, "lat": PARIS["lat"]}},
        billing_address={**address, "lon": PARIS["lon"]},
    )
    asked = ReturnRequest(
        lines=[{"line_id": "1", "quantity": 1}],
        reason_code="changed_mind",
        method=ReturnMethod.IN_STORE,
        location_id="ST-OPERA",
        exchange=[{"sku": "SKU-TEE", "quantity": 1}],
    )

    with db.session() as s:
        replacement, _terms = exchange_order(s, placed, "RET-1", asked)

    assert replacement.delivery.address is not None
    shipped_to = replacement.delivery.address
    assert (shipped_to.lat, shipped_to.lon, shipped_to.postal_code) == (None, None, "75001")
    assert replacement.billing_address is not None
    assert (replacement.billing_address.lat, replacement.billing_address.lon) == (None, None)
