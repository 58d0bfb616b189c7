"""The role matrix, from the app's own route table: every route has a rule saying which roles
may call it, and every role gets what the rule says (403 for the others, never 401 with a valid
key, never a 5xx). A new route without a rule fails here."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from api.app import ROUTERS
from tests.api.conftest import Api

PUBLIC: frozenset[str] = frozenset()  # no key needed
ADMIN_ONLY: frozenset[str] = frozenset({"admin"})
# Webhooks in: no key opens them, only the sender's signature (401 without it, whatever key).
SIGNED: frozenset[str] = frozenset({"signed"})
# The roles that may call each route, besides admin, which may call them all. Store keys are
# checked with the test's "opera" key (ST-OPERA).
RULES: dict[tuple[str, str], frozenset[str] | set[str]] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    # Any key reads what it is (the console signs in with it).
    ("GET", "/keys/me"): {"analyst", "integration", "storefront", "store"},
    # The console's pages and modules hold no data: the sign-in page opens without a key.
    ("GET", "/console"): PUBLIC,
    ("GET", "/console/{name:path}"): PUBLIC,
    ("POST", "/keys"): ADMIN_ONLY,
    ("GET", "/keys"): ADMIN_ONLY,
    ("POST", "/keys/{key_id}/rotate"): ADMIN_ONLY,
    ("DELETE", "/keys/{key_id}"): ADMIN_ONLY,
    ("POST", "/orders"): {"storefront"},
    ("GET", "/orders/{order_id}"): {"analyst", "storefront"},
    ("GET", "/orders/{order_id}/sourcing"): {"analyst", "storefront"},
    ("GET", "/orders/{order_id}/messages"): {"analyst", "storefront"},
    ("GET", "/orders/{order_id}/messages/{message_id}"): {"analyst", "storefront"},
    ("POST", "/orders/{order_id}/messages/{message_id}/resend"): {"analyst", "storefront"},
    ("GET", "/orders"): {"analyst", "storefront"},
    ("POST", "/orders/{order_id}/cancel"): {"analyst", "storefront"},
    ("POST", "/orders/{order_id}/lines/{line_id}/cancel"): {"analyst", "storefront"},
    ("PATCH", "/orders/{order_id}/delivery"): {"analyst", "storefront"},
    ("POST", "/orders/{order_id}/lines/{line_id}/services"): {"analyst", "storefront"},
    ("GET", "/tasks"): {"analyst"},
    ("GET", "/tasks/{task_id}"): {"analyst"},
    ("POST", "/tasks/{task_id}/complete"): {"analyst"},
    ("POST", "/tasks/{task_id}/claim"): {"analyst"},
    ("POST", "/tasks/{task_id}/release"): {"analyst"},
    ("GET", "/webhooks/senders"): set(),
    ("PUT", "/webhooks/senders/{sender}"): set(),
    ("DELETE", "/webhooks/senders/{sender}"): set(),
    ("POST", "/webhooks/carriers/{carrier}"): SIGNED,
    ("POST", "/webhooks/payments/{gateway}"): SIGNED,
    ("POST", "/webhooks/wms"): SIGNED,
    ("POST", "/webhooks/pos"): SIGNED,
    ("GET", "/fulfilments/{fulfilment_id}/label"): {"store"},
    ("GET", "/fulfilments/{fulfilment_id}"): {"store"},
    ("POST", "/webhooks/subscriptions"): set(),
    ("GET", "/webhooks/subscriptions"): set(),
    ("GET", "/webhooks/subscriptions/{subscription_id}"): set(),
    ("DELETE", "/webhooks/subscriptions/{subscription_id}"): set(),
    ("POST", "/webhooks/subscriptions/{subscription_id}/rotate-secret"): set(),
    ("GET", "/webhooks/deliveries"): set(),
    ("POST", "/webhooks/deliveries/{delivery_id}/redeliver"): set(),
    ("POST", "/orders/{order_id}/returns"): {"analyst", "storefront"},
    ("GET", "/orders/{order_id}/returns"): {"analyst", "storefront"},
    ("GET", "/returns/{return_id}"): {"analyst", "storefront", "store"},
    ("POST", "/returns/{return_id}/receive"): {"analyst", "store"},
    ("GET", "/return-policies/{channel}"): {"analyst", "storefront"},
    ("POST", "/orders/{order_id}/appeasements"): {"analyst"},
    ("GET", "/orders/{order_id}/appeasements"): {"analyst"},
    ("GET", "/orders/{order_id}/appeasements/{appeasement_id}"): {"analyst"},
    ("PUT", "/return-policies/{channel}"): ADMIN_ONLY,
    ("GET", "/locations/{location_id}/fulfilments"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/pick"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/pack"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/collected"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/steps/{step}/complete"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/steps/{step}/skip"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/handover"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/collect"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/receive"): {"store"},
    ("POST", "/fulfilments/{fulfilment_id}/scans"): {"store"},
    ("POST", "/locations/{location_id}/pick-waves"): {"store"},
    ("GET", "/locations/{location_id}/pick-waves"): {"store"},
    ("GET", "/locations/{location_id}/work"): {"store", "analyst"},
    ("GET", "/pick-waves/{wave_id}"): {"store"},
    ("POST", "/pick-waves/{wave_id}/claim"): {"store"},
    ("POST", "/pick-waves/{wave_id}/picks"): {"store"},
    ("POST", "/pick-waves/{wave_id}/sort"): {"store"},
    # Where products sit and what their barcodes are: the retailer's systems set them.
    ("PUT", "/locations/{location_id}/bins"): {"integration"},
    ("PUT", "/products/barcodes"): {"integration"},
    # The catalogue: the PIM writes it (integration), storefronts read it.
    ("PUT", "/products/{sku}"): {"integration"},
    ("POST", "/products"): {"integration"},
    ("GET", "/products"): {"integration", "storefront"},
    ("GET", "/products/{sku}"): {"integration", "storefront"},
    ("POST", "/inventory/syncs"): {"integration"},
    ("GET", "/inventory/syncs"): {"analyst", "integration"},
    ("GET", "/inventory/syncs/{sync_id}"): {"analyst", "integration"},
    ("GET", "/inventory/syncs/{sync_id}/errors"): {"analyst", "integration"},
    ("POST", "/inventory/positions"): {"integration"},
    ("POST", "/inventory/deltas"): {"integration"},
    ("GET", "/inventory/{sku}"): {"analyst", "integration", "storefront"},
    ("GET", "/locations"): {"analyst", "integration", "storefront"},
    ("POST", "/locations"): ADMIN_ONLY,
    ("PATCH", "/locations/{location_id}"): ADMIN_ONLY,
    ("DELETE", "/locations/{location_id}"): ADMIN_ONLY,
    ("GET", "/networks"): {"analyst", "integration", "storefront"},
    ("POST", "/networks"): ADMIN_ONLY,
    ("PATCH", "/networks/{network_id}"): ADMIN_ONLY,
    ("GET", "/channels"): {"analyst", "integration", "storefront"},
    ("POST", "/channels"): ADMIN_ONLY,
    ("PATCH", "/channels/{channel_id}"): ADMIN_ONLY,
    ("DELETE", "/networks/{network_id}"): ADMIN_ONLY,
    ("DELETE", "/channels/{channel_id}"): ADMIN_ONLY,
    ("GET", "/safety-rules"): {"analyst", "integration", "storefront"},
    ("POST", "/safety-rules"): ADMIN_ONLY,
    ("GET", "/safety-rules/{rule_id}"): {"analyst", "integration", "storefront"},
    ("PUT", "/safety-rules/{rule_id}"): ADMIN_ONLY,
    ("DELETE", "/safety-rules/{rule_id}"): ADMIN_ONLY,
    ("GET", "/exclusions"): {"analyst", "integration", "storefront"},
    ("POST", "/exclusions"): ADMIN_ONLY,
    ("GET", "/exclusions/{exclusion_id}"): {"analyst", "integration", "storefront"},
    ("DELETE", "/exclusions/{exclusion_id}"): ADMIN_ONLY,
    ("GET", "/sourcing/profiles"): {"analyst", "integration"},
    ("GET", "/sourcing/profiles/in-force"): {"analyst", "integration"},
    ("POST", "/sourcing/profiles/validate"): ADMIN_ONLY,
    ("POST", "/sourcing/profiles/{profile_id}/versions"): ADMIN_ONLY,
    ("GET", "/sourcing/profiles/{profile_id}/versions/{version}"): {"analyst", "integration"},
    ("PUT", "/sourcing/profiles/{profile_id}/versions/{version}"): ADMIN_ONLY,
    ("POST", "/sourcing/profiles/{profile_id}/versions/{version}/publish"): ADMIN_ONLY,
    ("POST", "/sourcing/profiles/{profile_id}/rollback"): ADMIN_ONLY,
    ("POST", "/sourcing/profiles/{profile_id}/retire"): ADMIN_ONLY,
    ("POST", "/sourcing/simulate"): {"analyst"},
    ("GET", "/fulfilment/profiles"): {"analyst"},
    # A store key: what its own location runs (another location is 404).
    ("GET", "/fulfilment/profiles/in-force"): {"analyst", "store"},
    ("POST", "/fulfilment/profiles/validate"): ADMIN_ONLY,
    ("POST", "/fulfilment/profiles"): ADMIN_ONLY,
    ("GET", "/fulfilment/profiles/{profile_id}/versions/{version}"): {"analyst"},
    ("PUT", "/fulfilment/profiles/{profile_id}/versions/{version}"): ADMIN_ONLY,
    ("POST", "/fulfilment/profiles/{profile_id}/versions/{version}/publish"): ADMIN_ONLY,
    ("POST", "/fulfilment/profiles/{profile_id}/rollback"): ADMIN_ONLY,
    ("POST", "/fulfilment/profiles/{profile_id}/retire"): ADMIN_ONLY,
    ("POST", "/sourcing/replay"): ADMIN_ONLY,
    ("GET", "/availability/events"): {"analyst", "integration", "storefront"},
    ("GET", "/availability"): {"analyst", "integration", "storefront"},
    ("POST", "/availability/options"): {"analyst", "integration", "storefront"},
    ("GET", "/recommendations/product/{sku}"): {"integration", "storefront"},
    ("POST", "/recommendations/cart"): {"integration", "storefront"},
    ("PUT", "/carts/{cart_id}/hold"): {"storefront"},
    ("GET", "/carts/{cart_id}/hold"): {"storefront"},
    ("DELETE", "/carts/{cart_id}/hold"): {"storefront"},
    # A store app lists the codes a short pick may give; analysts read what history says.
    ("GET", "/reason-codes"): {"analyst", "store"},
    ("GET", "/reason-codes/{code}"): {"analyst", "store"},
    ("PUT", "/reason-codes/{code}"): ADMIN_ONLY,
    ("DELETE", "/reason-codes/{code}"): ADMIN_ONLY,
    # The Temporal UI's remote codec: it opens every order's payloads, customers' details
    # included, so analysts and admins only.
    ("POST", "/codec/decode"): {"analyst"},
    ("POST", "/codec/encode"): {"analyst"},
}
KEYS = {"storefront": "storefront", "analyst": "analyst", "store": "opera",
        "integration": "integration", "admin": "admin"}  # fmt: skip


def routes() -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    ]


def test_every_route_has_a_rule() -> None:
    missing = [f"{method} {path}" for method, path in routes() if (method, path) not in RULES]
    assert not missing, f"routes without a role rule: {missing}"
    gone = [f"{m} {p}" for m, p in RULES if (m, p) not in set(routes())]
    assert not gone, f"rules for routes that no longer exist: {gone}"


async def test_every_role_gets_what_the_rule_says_on_every_route(api: Api) -> None:
    wrong = []
    for method, path in routes():
        allowed = RULES[(method, path)]
        url = re.sub(r"\{[^}]+\}", "x", path)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        for role, key in KEYS.items():
            answer = await api.http.request(method, url, json=body, headers=api.auth(key))
            status = answer.status_code
            if allowed is SIGNED:
                if status != 401:
                    wrong.append(f"{role} {method} {path}: {status}, should be 401 (unsigned)")
                continue
            may = allowed is PUBLIC or role == "admin" or role in allowed
            if may and (status in (401, 403) or status >= 500):
                wrong.append(f"{role} {method} {path}: {status}, should be allowed")
            if not may and status != 403:
                wrong.append(f"{role} {method} {path}: {status}, should be 403")
    assert not wrong, "\n".join(wrong)
