"""`oms simulate`'s store staff: each fulfilment of the run worked as a store app works it over
the API, step by step as the fulfilment's profile lays them out (docs/fulfilment.md "The store's
steps over the API"), and in waves where the profile picks in waves.

Each round reads every open fulfilment (`GET /fulfilments/{id}`) and works the step under way:
units scanned for a `scan_each` pick and for a verify, a step completed, a step the profile does
not require skipped with a reason code, the parcels packed, the carrier's label scanned at the
handover, the customer's code given at the counter (heard through ``CodeInbox``). A fulfilment
run before profiles is worked by its status (pick, pack, collected). A refusal is never passed
over: it is said once, tried again next round (a step whose skip is refused is completed
instead), and kept as the fulfilment's problem for the run's summary if the order does not end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from oms.keys import store_key_name
from oms.simulate_api import Json, refusal
from oms.simulate_inbox import CodeInbox
from oms.simulate_waves import WavePicker

FINAL = {"SHIPPED", "COLLECTED", "REJECTED", "CANCELLED", "NOT_COLLECTED"}
# Where a transfer is worked at its collection store rather than at its source.
AT_THE_STORE = {"IN_TRANSIT", "READY_FOR_COLLECTION", "PARTIALLY_COLLECTED"}
PARCELS = {"parcels": [{"weight_grams": 900}]}


@dataclass
class StoreStaff:
    """The staff of every location the run's orders go to."""

    http: httpx.Client
    keys: dict[str, str]
    ours: Callable[[str], bool]
    say: Callable[[str], None]
    inbox: CodeInbox | None = None
    picker: str = "simulated staff"
    # The last refusal or wait of each fulfilment that kept it from moving on.
    problems: dict[str, str] = field(default_factory=dict)
    # Steps reported done, whose row may not show it yet: not reported twice.
    reported: set[tuple[str, str]] = field(default_factory=set)
    said: set[str] = field(default_factory=set)
    barcodes: dict[str, str | None] = field(default_factory=dict)
    pick_steps: dict[str, Json | None] = field(default_factory=dict)
    skip_reason: str | None = None
    waves: WavePicker = field(init=False)

    def __post_init__(self) -> None:
        self.waves = WavePicker(self)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def key_of(self, location_id: str) -> dict[str, str]:
        # Warehouses have no demo store key: the admin key works their pick lists.
        name = store_key_name(location_id)
        return self.auth(name if name in self.keys else "admin")

    def headers(self, row: Json) -> dict[str, str]:
        """The key of the location working the fulfilment now (a transfer's collection store
        once it has left its source)."""
        at_store = row.get("transfer_to") and row["status"] in AT_THE_STORE
        return self.key_of(row["transfer_to"] if at_store else row["location_id"])

    def note(self, line: str) -> None:
        """Say it, once."""
        if line not in self.said:
            self.said.add(line)
            self.say(line)

    def stuck(self, row: Json, step: str, why: str) -> None:
        """Say a refusal once, and keep it as the fulfilment's problem."""
        self.note(f"{row['id']} at {row['location_id']}, step {step}: {why}")
        self.problems[row["id"]] = f"step {step}: {why}"

    def post(self, row: Json, step: str, path: str, body: Json | None = None) -> bool:
        """One action on the fulfilment; a refusal is said and kept, never passed over."""
        r = self.http.post(path, headers=self.headers(row), json=body)
        if r.status_code == 200:
            self.reported.add((row["id"], step))
            self.problems.pop(row["id"], None)
            return True
        self.stuck(row, step, f"POST {path} refused {refusal(r)}")
        return False

    # -- a round ---------------------------------------------------------------------------

    def work(self, views: list[Json]) -> None:
        """One round over the run's open orders (their `GET /orders/{id}` views)."""
        rows = [
            row
            for view in views
            for f in view.get("fulfilments", [])
            if f["status"] not in FINAL and (row := self.row(f)) is not None
        ]
        at_pick = [r for r in rows if self.at_step(r, "pick")]
        # A wave takes every fulfilment waiting at its location: so do the run's pickers there.
        waving = {r["location_id"] for r in at_pick if self.wave_setting(r)}
        in_waves = [r for r in at_pick if r["location_id"] in waving]
        for row in self.waves.pick(in_waves):
            self.pick(row, row["current_step"]["key"])  # picked on its own: waves.pick says why
        for row in rows:
            if row not in in_waves:
                self.step(row)

    def row(self, f: Json) -> Json | None:
        fid = f["fulfilment_id"]
        r = self.http.get(f"/fulfilments/{fid}", headers=self.key_of(f["location_id"]))
        if r.status_code == 404:  # a transfer gone to its collection store: the admin sees it
            r = self.http.get(f"/fulfilments/{fid}", headers=self.auth("admin"))
        if r.status_code != 200:
            self.problems[fid] = f"GET /fulfilments/{fid} answered {refusal(r)}"
            return None
        row: Json = r.json()
        return row

    def at_step(self, row: Json, kind: str | None = None) -> Json | None:
        """The step under way, once the run has begun it and it was not reported already."""
        current = row.get("current_step")
        if current is None or (kind is not None and current["type"] != kind):
            return None
        state: Json = next(s for s in row["steps"] if s["key"] == current["key"])
        if state["status"] != "active" or (row["id"], current["key"]) in self.reported:
            return None
        return state

    def step(self, row: Json) -> None:
        if row.get("profile") is None:
            self.by_status(row)
            return
        state = self.at_step(row)
        if state is None:
            return
        key, kind, fid = state["key"], state["type"], row["id"]
        if kind == "pick":
            self.pick(row, key)
        elif kind == "verify":
            if self.scan(row, key, {x["line_id"]: x.get("picked") or 0 for x in row["lines"]}):
                self.post(row, key, f"/fulfilments/{fid}/steps/{key}/complete")
        elif kind == "pack":
            self.post(row, key, f"/fulfilments/{fid}/pack", PARCELS)
        elif kind == "handover":
            if row.get("tracking_number"):
                self.post(
                    row, key, f"/fulfilments/{fid}/handover", {"label": row["tracking_number"]}
                )
            else:
                self.problems[fid] = f"step {key}: no label from the carrier yet"
        elif kind == "receive":
            if row.get("tracking_number"):
                self.post(
                    row, key, f"/fulfilments/{fid}/receive", {"label": row["tracking_number"]}
                )
        elif kind == "collected":
            self.collect(row, key)
        elif kind != "ready_for_collection":  # the run's own step
            self.other_step(row, state)

    def by_status(self, row: Json) -> None:
        """A fulfilment that runs no profile (started before profiles): pick, pack, collected."""
        fid, status = row["id"], row["status"]
        if (fid, status) in self.reported:
            return
        if status == "AWAITING_PICK":
            picked = [{"line_id": x["line_id"], "picked": x["quantity"]} for x in row["lines"]]
            self.post(row, status, f"/fulfilments/{fid}/pick", {"lines": picked})
        elif status == "PICKED":
            self.post(row, status, f"/fulfilments/{fid}/pack", PARCELS)
        elif status == "READY_FOR_COLLECTION":
            self.post(row, status, f"/fulfilments/{fid}/collected")

    def pick(self, row: Json, key: str) -> None:
        fid = row["id"]
        if row["current_step"].get("mode") == "scan_each":
            if self.scan(row, key, {x["line_id"]: x["quantity"] for x in row["lines"]}):
                self.post(row, key, f"/fulfilments/{fid}/pick")  # what was scanned
            return
        picked = [{"line_id": x["line_id"], "picked": x["quantity"]} for x in row["lines"]]
        self.post(row, key, f"/fulfilments/{fid}/pick", {"lines": picked})

    def scan(self, row: Json, key: str, units: dict[str, int]) -> bool:
        """Every unit of each line scanned for the step under way, as far as the step counts
        it (a round cut short carries on where it stopped); False once something is refused."""
        fid = row["id"]
        for line in row["lines"]:
            barcode = self.barcode(line["sku"])
            if barcode is None:
                self.stuck(row, key, f"{line['sku']} has no barcode to scan")
                return False
            for _ in range(units[line["line_id"]]):
                r = self.http.post(
                    f"/fulfilments/{fid}/scans",
                    headers=self.headers(row),
                    json={"barcode": barcode},
                )
                if r.status_code == 422 and r.json().get("code") == "pick_exceeds_requested":
                    break  # this line's units were all scanned already
                if r.status_code != 200:
                    self.stuck(row, key, f"POST /fulfilments/{fid}/scans refused {refusal(r)}")
                    return False
                counts = {x["line_id"]: x for x in r.json()["lines"]}
                if counts[line["line_id"]]["scanned"] >= counts[line["line_id"]]["expected"]:
                    break
        return True

    def barcode(self, sku: str) -> str | None:
        """A unit's barcode, as the scanner reads it off the product (its first GTIN)."""
        if sku not in self.barcodes:
            r = self.http.get(f"/products/{sku}", headers=self.auth("storefront"))
            found = r.json().get("barcodes") if r.status_code == 200 else None
            self.barcodes[sku] = found[0] if found else None
        return self.barcodes[sku]

    def collect(self, row: Json, key: str) -> None:
        fid = row["id"]
        code = self.inbox.code(fid) if self.inbox is not None else None
        if code is None:
            told = self.inbox.problem if self.inbox is not None else None
            self.problems[fid] = (
                f"step {key}: the customer has no collection code"
                f" ({told or 'no fulfilment.ready_for_collection event received'})"
            )
            return
        self.post(row, key, f"/fulfilments/{fid}/collect", {"code": code})

    def other_step(self, row: Json, state: Json) -> None:
        """A step with no action of its own (verify aside): skipped when the profile allows
        it, else completed (a photo step with a simulated photo)."""
        key, fid = state["key"], row["id"]
        if not state.get("required", True):
            reason = self.reason_to_skip()
            if reason is None:
                self.stuck(row, key, "no reason code for skipping a step (usage skip_step)")
            elif self.post(row, key, f"/fulfilments/{fid}/steps/{key}/skip", {"reason": reason}):
                return
        photo = {"photo": f"https://photos.invalid/simulate/{fid}.jpg"}
        body = photo if state["type"] == "photo" else None
        self.post(row, key, f"/fulfilments/{fid}/steps/{key}/complete", body)

    def reason_to_skip(self) -> str | None:
        """A reason code for skipping a step, one without effects on stock when there is one."""
        if self.skip_reason is None:
            r = self.http.get(
                "/reason-codes", params={"usage": "skip_step"}, headers=self.auth("analyst")
            )
            listed = r.json()["items"] if r.status_code == 200 else []
            codes = [c for c in listed if c.get("active", True)]
            plain = [c for c in codes if c.get("stock_effect", "none") == "none"]
            self.skip_reason = next((c["code"] for c in plain or codes), None)
        return self.skip_reason

    def pick_step(self, row: Json) -> Json:
        """The pick step of the profile the fulfilment runs (its `mode`, its `waves`); a
        published version never changes: read once."""
        profile = row.get("profile")
        if not profile or profile.startswith("default@"):
            return {}
        if profile not in self.pick_steps:
            pid, _, version = profile.rpartition("@")
            r = self.http.get(
                f"/fulfilment/profiles/{pid}/versions/{version}", headers=self.auth("analyst")
            )
            steps = r.json()["profile"]["steps"] if r.status_code == 200 else []
            self.pick_steps[profile] = next((s for s in steps if s["type"] == "pick"), None)
        return self.pick_steps[profile] or {}

    def wave_setting(self, row: Json) -> Json | None:
        """How the fulfilment's pick goes in waves (strategy, max_size); None: on its own."""
        waves: Json | None = self.pick_step(row).get("waves")
        return waves
