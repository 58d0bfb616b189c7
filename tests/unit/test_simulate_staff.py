"""`oms simulate`'s store staff against a scripted API (httpx MockTransport): each step of the
fulfilment's profile worked with its own action, a refusal said and kept for the summary, a
skippable step skipped, waves built only of the run's own fulfilments, and the customer's code
heard through a signed webhook."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from typing import Any

import httpx

from oms.simulate import Run
from oms.simulate_inbox import CodeInbox
from oms.webhooks import sign

Json = dict[str, Any]
KEYS = {
    "storefront": "shop",
    "analyst": "analyst",
    "admin": "admin",
    "store:ST-OPERA": "opera",
}
ORDER = "SIM-abc-00001"


class FakeApi:
    """Answers by (method, path), records every request sent."""

    def __init__(self, routes: dict[tuple[str, str], Callable[[httpx.Request], Any]]) -> None:
        self.routes = routes
        self.sent: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return httpx.Response(404, json={"code": "not_found", "reason": "no", "field": None})
        made = answer(request)
        return made if isinstance(made, httpx.Response) else httpx.Response(200, json=made)

    def posted(self) -> list[tuple[str, Any]]:
        return [(path, body) for method, path, body in self.sent if method == "POST"]


def _step(key: str, type_: str, status: str = "active", **extra: Any) -> Json:
    return {"key": key, "type": type_, "status": status, "required": True, **extra}


def _row(steps: list[Json], location: str = "ST-OPERA", **extra: Any) -> Json:
    current = next(s for s in steps if s["status"] not in ("done", "skipped"))
    return {
        "id": f"{ORDER}.F1",
        "order_id": ORDER,
        "location_id": location,
        "status": "AWAITING_PICK",
        "delivery_method": "ship",
        "lines": [{"line_id": "1", "sku": "HOM-002", "quantity": 2, "picked": None}],
        "profile": "boutique@1",
        "steps": steps,
        "current_step": {"key": current["key"], "type": current["type"], "mode": None},
        "tracking_number": None,
        "transfer_to": None,
        **extra,
    }


def _view(location: str = "ST-OPERA") -> Json:
    return {
        "order_id": ORDER,
        "status": "IN_FULFILMENT",
        "delivery_method": "ship",
        "lines": [],
        "timeline": [{"type": "fulfilments_created"}],
        "fulfilments": [
            {"fulfilment_id": f"{ORDER}.F1", "location_id": location, "status": "AWAITING_PICK"}
        ],
    }


def _run(api: FakeApi, view: Json | None = None) -> tuple[Run, io.StringIO]:
    api.routes.setdefault(("GET", "/tasks"), lambda _: {"items": []})
    api.routes.setdefault(("GET", f"/orders/{ORDER}"), lambda _: view or _view())
    http = httpx.Client(base_url="http://oms", transport=httpx.MockTransport(api))
    out = io.StringIO()
    run = Run(http=http, keys=KEYS, rng=random.Random(0), out=out, run="abc")
    run.placed.append(ORDER)
    return run, out


def test_a_refused_step_is_said_once_and_the_summary_names_it_for_the_order_left_open() -> None:
    row = _row([_step("pick", "pick", "done"), _step("pack", "pack")])
    refused = {"code": "invalid_state", "field": None, "reason": "not the step under way"}
    api = FakeApi(
        {
            ("GET", f"/fulfilments/{ORDER}.F1"): lambda _: row,
            ("POST", f"/fulfilments/{ORDER}.F1/pack"): lambda _: httpx.Response(409, json=refused),
        }
    )
    run, out = _run(api)

    run.poll()
    run.poll()
    run.report(60)

    told = out.getvalue()
    said = f"{ORDER}.F1 at ST-OPERA, step pack: POST /fulfilments/{ORDER}.F1/pack refused 409"
    assert told.count(said) == 2  # once as it happened, once in the summary
    assert f"  {ORDER}: still IN_FULFILMENT after 60 s (last event: fulfilments_created): " in told
    assert "outcomes: 0 collected in store, 0 shipped (0 delivered), 0 cancelled, 1 still open" in (
        told
    )
    assert (
        api.posted().count((f"/fulfilments/{ORDER}.F1/pack", {"parcels": [{"weight_grams": 900}]}))
        == 2
    )


def test_a_step_the_profile_does_not_require_is_skipped_with_a_code_that_leaves_stock_alone() -> (
    None
):
    steps = [_step("pick", "pick", "done"), {**_step("photo", "photo"), "required": False}]
    codes = [
        {"code": "other", "stock_effect": "recount", "active": True},
        {"code": "not_requested", "stock_effect": "none", "active": True},
    ]
    api = FakeApi(
        {
            ("GET", f"/fulfilments/{ORDER}.F1"): lambda _: _row(steps),
            ("GET", "/reason-codes"): lambda _: {"items": codes},
            ("POST", f"/fulfilments/{ORDER}.F1/steps/photo/skip"): lambda _: {},
        }
    )
    run, _ = _run(api)

    run.poll()
    run.poll()  # the row has not moved on yet: the skip is not sent twice

    assert api.posted() == [
        (f"/fulfilments/{ORDER}.F1/steps/photo/skip", {"reason": "not_requested"})
    ]


def test_a_scan_each_pick_scans_every_unit_then_picks_what_was_scanned() -> None:
    row = _row([_step("pick", "pick")])
    row["current_step"]["mode"] = "scan_each"
    scanned = {"n": 0}

    def scan(_: httpx.Request) -> Json:
        scanned["n"] += 1
        line = {"line_id": "1", "sku": "HOM-002", "expected": 2, "scanned": scanned["n"]}
        return {"fulfilment_id": row["id"], "step": "pick", "lines": [line]}

    api = FakeApi(
        {
            ("GET", f"/fulfilments/{ORDER}.F1"): lambda _: row,
            ("GET", "/products/HOM-002"): lambda _: {
                "sku": "HOM-002",
                "barcodes": ["2000000000012"],
            },
            ("POST", f"/fulfilments/{ORDER}.F1/scans"): scan,
            ("POST", f"/fulfilments/{ORDER}.F1/pick"): lambda _: {},
        }
    )
    run, _ = _run(api)

    run.poll()

    assert api.posted() == [
        (f"/fulfilments/{ORDER}.F1/scans", {"barcode": "2000000000012"}),
        (f"/fulfilments/{ORDER}.F1/scans", {"barcode": "2000000000012"}),
        (f"/fulfilments/{ORDER}.F1/pick", None),
    ]


def test_the_carriers_label_is_scanned_at_the_handover() -> None:
    steps = [
        _step("pick", "pick", "done"),
        _step("pack", "pack", "done"),
        _step("handover", "handover"),
    ]
    api = FakeApi(
        {
            ("GET", f"/fulfilments/{ORDER}.F1"): lambda _: _row(steps, tracking_number="SIM123"),
            ("POST", f"/fulfilments/{ORDER}.F1/handover"): lambda _: {},
        }
    )
    run, _ = _run(api)

    run.poll()

    assert api.posted() == [(f"/fulfilments/{ORDER}.F1/handover", {"label": "SIM123"})]


def _wave_api(waiting: list[Json]) -> FakeApi:
    profile = {
        "profile": {
            "steps": [
                {"type": "pick", "mode": "fast", "waves": {"strategy": "by_zone", "max_size": 30}}
            ]
        }
    }
    wave = {
        "id": "wave-1",
        "fulfilment_ids": [f"{ORDER}.F1"],
        "skus": [{"sku": "HOM-002", "quantity": 2, "picked": 0}],
        "outcomes": [],
    }
    sorted_ = {**wave, "outcomes": [{"fulfilment_id": f"{ORDER}.F1", "status": "PICKED"}]}
    return FakeApi(
        {
            ("GET", f"/fulfilments/{ORDER}.F1"): lambda _: _row([_step("pick", "pick")], "WH-LYON"),
            ("GET", "/fulfilment/profiles/boutique/versions/1"): lambda _: profile,
            ("GET", "/locations/WH-LYON/pick-waves"): lambda _: {"items": []},
            ("GET", "/locations/WH-LYON/fulfilments"): lambda _: {"items": waiting},
            ("POST", "/locations/WH-LYON/pick-waves"): lambda _: httpx.Response(201, json=wave),
            ("POST", "/pick-waves/wave-1/claim"): lambda _: wave,
            ("POST", "/pick-waves/wave-1/picks"): lambda _: wave,
            ("POST", "/pick-waves/wave-1/sort"): lambda _: sorted_,
            ("POST", f"/fulfilments/{ORDER}.F1/pick"): lambda _: {},
        }
    )


def test_a_wave_profile_is_picked_in_a_wave_of_the_runs_own_fulfilments() -> None:
    api = _wave_api([{"id": f"{ORDER}.F1", "order_id": ORDER}])
    run, _ = _run(api, _view("WH-LYON"))

    run.poll()

    assert api.posted() == [
        ("/locations/WH-LYON/pick-waves", {"strategy": "by_zone", "max_fulfilments": 30}),
        ("/pick-waves/wave-1/claim", {"picker": "simulate abc"}),
        ("/pick-waves/wave-1/picks", {"lines": [{"sku": "HOM-002", "count": 2}]}),
        ("/pick-waves/wave-1/sort", None),
    ]


def test_with_other_orders_waiting_there_the_run_picks_its_own_alone_and_says_why() -> None:
    theirs = {"id": "WEB-1002.F1", "order_id": "WEB-1002"}
    api = _wave_api([{"id": f"{ORDER}.F1", "order_id": ORDER}, theirs])
    run, out = _run(api, _view("WH-LYON"))

    run.poll()

    picked = {"lines": [{"line_id": "1", "picked": 2}]}
    assert api.posted() == [(f"/fulfilments/{ORDER}.F1/pick", picked)]
    assert (
        "WH-LYON picks in waves, but fulfilments of other orders wait there too (WEB-1002.F1)"
        in (out.getvalue())
    )


def test_the_inbox_keeps_the_codes_of_the_runs_orders_from_signed_deliveries_only() -> None:
    inbox = CodeInbox(ours=lambda order_id: order_id == ORDER)

    def delivery(order_id: str, code: str) -> bytes:
        data = {"fulfilment_id": f"{order_id}.F1", "order_id": order_id, "collection_code": code}
        return json.dumps({"type": "fulfilment.ready_for_collection", "data": data}).encode()

    ours, theirs = delivery(ORDER, "042917"), delivery("WEB-1002", "111111")
    assert inbox.take(ours, "t=1,v1=00") == 401
    assert inbox.code(f"{ORDER}.F1") is None
    assert inbox.take(ours, sign(inbox.secret, ours)) == 204
    assert inbox.take(theirs, sign(inbox.secret, theirs)) == 204
    assert inbox.code(f"{ORDER}.F1") == "042917"
    assert inbox.code("WEB-1002.F1") is None
