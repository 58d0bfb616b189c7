"""`oms simulate`'s pickers at a location whose profile picks in waves (docs/api.md "Picking in
waves"): a wave built with the profile's strategy and size, claimed, every SKU picked in full
(scanned where the profile scans each unit), then sorted to its fulfilments.

A wave takes every fulfilment waiting at the location, not only the run's, and the simulation
touches no order but its own: where other orders' fulfilments wait there too, or a wave someone
else built holds one of the run's, the run's fulfilments are picked on their own (which a wave
profile allows: the store's work list shows them as `fulfilment_to_pick`), and it says so.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from oms.simulate_api import Json, pages, refusal

if TYPE_CHECKING:
    from oms.simulate_staff import StoreStaff

OPEN = ("open", "claimed")


class WavePicker:
    """The run's pickers at locations that pick in waves, for ``StoreStaff``."""

    def __init__(self, staff: StoreStaff) -> None:
        self.staff = staff
        self.built: set[str] = set()  # the waves this run built of its own fulfilments only
        self.left: set[str] = set()  # built, but another order's fulfilment came in: not ours

    def pick(self, rows: list[Json]) -> list[Json]:
        """Pick these fulfilments (the run's, at a pick step worked in waves) in waves,
        location by location; answers those to pick on their own."""
        at: dict[str, list[Json]] = defaultdict(list)
        for row in rows:
            at[row["location_id"]].append(row)
        return [row for location, group in at.items() for row in self.at(location, group)]

    def at(self, location: str, rows: list[Json]) -> list[Json]:
        staff, http = self.staff, self.staff.http
        headers = staff.key_of(location)
        member_of: dict[str, str] = {}
        for status in OPEN:
            path = f"/locations/{location}/pick-waves"
            for wave in pages(http, path, {"status": status}, headers):
                full = http.get(f"/pick-waves/{wave['id']}", headers=headers)
                if full.status_code == 200:
                    member_of.update(dict.fromkeys(full.json()["fulfilment_ids"], wave["id"]))
        alone: list[Json] = []
        for wave_id in sorted({member_of[r["id"]] for r in rows if r["id"] in member_of}):
            mine = [r for r in rows if member_of.get(r["id"]) == wave_id]
            if wave_id in self.built:
                self.work(wave_id, headers, mine)  # one cut short in an earlier round
                continue
            if wave_id not in self.left:
                staff.note(
                    f"wave {wave_id} at {location} was built by someone else: "
                    f"{', '.join(r['id'] for r in mine)} picked on their own"
                )
            alone += mine
        loose = [r for r in rows if r["id"] not in member_of]
        if not loose:
            return alone
        path = f"/locations/{location}/fulfilments"
        waiting = {
            f["id"]: f["order_id"]
            for f in pages(http, path, {"status": "AWAITING_PICK"}, headers)
            if f["id"] not in member_of
        }
        theirs = [fid for fid, oid in waiting.items() if not staff.ours(oid)]
        if theirs:
            staff.note(
                f"{location} picks in waves, but fulfilments of other orders wait there too "
                f"({', '.join(theirs[:3])}{', ...' if len(theirs) > 3 else ''}): this run "
                "picks its own on their own rather than take those into a wave"
            )
            return alone + loose
        return alone + self.build(location, headers, loose, waiting)

    def build(
        self, location: str, headers: dict[str, str], rows: list[Json], waiting: dict[str, str]
    ) -> list[Json]:
        """A wave of the run's fulfilments (``waiting``: every fulfilment waiting at the
        location outside a wave, and its order), with the strategy and size of their profile;
        answers those left to pick on their own."""
        staff = self.staff
        setting = next((s for r in rows if (s := staff.wave_setting(r))), None)
        if setting is None:  # those that go in waves are in one already
            return rows
        body = {"strategy": setting["strategy"], "max_fulfilments": setting.get("max_size", 50)}
        r = staff.http.post(f"/locations/{location}/pick-waves", headers=headers, json=body)
        if r.status_code != 201:
            why = f"POST /locations/{location}/pick-waves refused {refusal(r)}"
            for row in rows:
                staff.stuck(row, row["current_step"]["key"], why)
            return rows
        wave: Json = r.json()
        theirs = [f for f in wave["fulfilment_ids"] if not staff.ours(waiting.get(f, ""))]
        if theirs:  # taken between the look and the build: the wave is left to the store
            self.left.add(wave["id"])
            staff.note(
                f"wave {wave['id']} at {location} took {', '.join(theirs)} of other orders: left"
                " to the store, this run's picked on their own"
            )
            return rows
        self.built.add(wave["id"])
        self.work(wave["id"], headers, [x for x in rows if x["id"] in wave["fulfilment_ids"]])
        return [x for x in rows if x["id"] not in wave["fulfilment_ids"]]

    def work(self, wave_id: str, headers: dict[str, str], rows: list[Json]) -> None:
        """Claim, pick every SKU in full, sort; each member's pick outcome is its own."""
        staff, http = self.staff, self.staff.http
        claimed = http.post(
            f"/pick-waves/{wave_id}/claim", headers=headers, json={"picker": staff.picker}
        )
        if claimed.status_code != 200:
            return self.refused(wave_id, rows, "claim", claimed)
        wave: Json = claimed.json()
        scanned = any(staff.pick_step(r).get("mode") == "scan_each" for r in rows)
        lines = [self.picked(sku["sku"], sku["quantity"], scanned) for sku in wave["skus"]]
        reported = http.post(f"/pick-waves/{wave_id}/picks", headers=headers, json={"lines": lines})
        if reported.status_code != 200:
            return self.refused(wave_id, rows, "picks", reported)
        done = http.post(f"/pick-waves/{wave_id}/sort", headers=headers)
        if done.status_code != 200:
            return self.refused(wave_id, rows, "sort", done)
        self.built.discard(wave_id)
        outcomes = {o["fulfilment_id"]: o for o in done.json()["outcomes"]}
        for row in rows:
            step, outcome = row["current_step"]["key"], outcomes.get(row["id"], {})
            if outcome.get("code"):
                why = f"wave {wave_id}'s sort refused its pick: {outcome['code']}"
                staff.stuck(row, step, f"{why}: {outcome['reason']}")
            else:
                staff.reported.add((row["id"], step))
                staff.problems.pop(row["id"], None)
        return None

    def picked(self, sku: str, quantity: int, scanned: bool) -> dict[str, Any]:
        barcode = self.staff.barcode(sku) if scanned else None
        if barcode is not None:
            return {"sku": sku, "barcodes": [barcode] * quantity}
        return {"sku": sku, "count": quantity}

    def refused(self, wave_id: str, rows: list[Json], action: str, r: Any) -> None:
        """A wave action refused: said for each of its fulfilments; unless Temporal was away
        for a moment (503: the same call carries on next round), they are picked on their own
        from the next round."""
        if r.status_code != 503:
            self.built.discard(wave_id)
        for row in rows:
            why = f"POST /pick-waves/{wave_id}/{action} refused {refusal(r)}"
            self.staff.stuck(row, row["current_step"]["key"], why)
