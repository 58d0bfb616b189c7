"""Networks and channels as an admin sets them up for a new market."""

from __future__ import annotations

from tests.api.conftest import Api, error_of


async def test_an_admin_sets_up_a_network_and_a_channel_selling_into_it(api: Api) -> None:
    admin = api.auth("admin")
    net = await api.http.post(
        "/networks",
        headers=admin,
        json={"id": "FR-STORES", "name": "French stores", "locations": ["ST-OPERA", "ST-BASTILLE"]},
    )
    assert net.status_code == 201, net.text
    assert net.json()["locations"] == ["ST-BASTILLE", "ST-OPERA"]

    channel = await api.http.post(
        "/channels",
        headers=admin,
        json={"id": "web-fr", "name": "Web France", "market": "FR", "network_id": "FR-STORES"},
    )
    assert channel.status_code == 201, channel.text
    assert channel.headers["location"] == "/channels/web-fr"

    moved = await api.http.patch(
        "/networks/FR-STORES", headers=admin, json={"locations": ["WH-PARIS", "ST-OPERA"]}
    )
    assert moved.json()["locations"] == ["ST-OPERA", "WH-PARIS"]
    listed = await api.http.get("/channels", headers=api.auth("storefront"))
    assert [(c["id"], c["network_id"]) for c in listed.json()["items"]] == [("web-fr", "FR-STORES")]


async def test_a_channels_language_is_set_kept_by_other_changes_and_removed_by_null(
    api: Api,
) -> None:
    admin = api.auth("admin")
    net = await api.http.post(
        "/networks", headers=admin, json={"id": "BE", "name": "Belgium", "locations": ["ST-OPERA"]}
    )
    assert net.status_code == 201, net.text
    made = await api.http.post(
        "/channels",
        headers=admin,
        json={"id": "web-be", "name": "Web Belgique", "market": "BE", "network_id": "BE"},
    )
    assert made.status_code == 201, made.text

    french = await api.http.patch("/channels/web-be", headers=admin, json={"locale": "fr"})
    renamed = await api.http.patch("/channels/web-be", headers=admin, json={"name": "Web BE"})
    removed = await api.http.patch("/channels/web-be", headers=admin, json={"locale": None})

    assert french.json()["locale"] == "fr"
    assert (renamed.json()["name"], renamed.json()["locale"]) == ("Web BE", "fr")
    assert removed.status_code == 200, removed.text
    assert (removed.json()["name"], removed.json()["locale"]) == ("Web BE", None)


async def test_unknown_locations_and_networks_are_named_in_the_error(api: Api) -> None:
    admin = api.auth("admin")
    bad_net = await api.http.post(
        "/networks",
        headers=admin,
        json={"id": "N1", "name": "N", "locations": ["ST-OPERA", "NOWHERE"]},
    )
    assert bad_net.status_code == 422
    assert (error_of(bad_net)["field"], error_of(bad_net)["code"]) == (
        "locations[1]",
        "location_not_found",
    )
    listed = await api.http.get("/networks", headers=admin)
    assert listed.json()["items"] == []  # nothing half-created

    bad_channel = await api.http.post(
        "/channels",
        headers=admin,
        json={"id": "app-fr", "name": "App", "market": "FR", "network_id": "NOPE"},
    )
    assert (bad_channel.status_code, error_of(bad_channel)["code"]) == (422, "network_not_found")


async def test_only_admins_set_up_channels(api: Api) -> None:
    r = await api.http.post(
        "/networks", headers=api.auth("integration"), json={"id": "N1", "name": "N"}
    )
    assert r.status_code == 403


async def test_deleting_refuses_what_is_still_in_use_and_removes_the_rest(api: Api) -> None:
    admin = api.auth("admin")
    await api.http.post(
        "/networks", headers=admin, json={"id": "N1", "name": "N", "locations": ["ST-LYON"]}
    )
    await api.http.post(
        "/channels",
        headers=admin,
        json={"id": "kiosk", "name": "Kiosk", "market": "FR", "network_id": "N1"},
    )
    await api.http.post(
        "/exclusions", headers=admin, json={"id": "x", "channel": "kiosk", "sku": "SKU-TEE"}
    )
    busy = await api.http.delete("/networks/N1", headers=admin)
    assert (busy.status_code, error_of(busy)["code"]) == (409, "in_use")
    named = await api.http.delete("/channels/kiosk", headers=admin)
    assert (named.status_code, error_of(named)["code"]) == (409, "in_use")
    in_network = await api.http.delete("/locations/ST-LYON", headers=admin)
    assert (in_network.status_code, error_of(in_network)["code"]) == (409, "in_use")
    stocked = await api.http.delete("/locations/ST-OPERA", headers=admin)
    assert "close it instead" in error_of(stocked)["reason"]

    assert (await api.http.delete("/exclusions/x", headers=admin)).status_code == 204
    assert (await api.http.delete("/channels/kiosk", headers=admin)).status_code == 204
    assert (await api.http.delete("/networks/N1", headers=admin)).status_code == 204
    assert (await api.http.delete("/locations/ST-LYON", headers=admin)).status_code == 204
    listed = await api.http.get("/locations", headers=admin)
    assert "ST-LYON" not in {loc["id"] for loc in listed.json()["items"]}
    gone = await api.http.delete("/channels/kiosk", headers=admin)
    assert (gone.status_code, error_of(gone)["code"]) == (404, "channel_not_found")
    gone = await api.http.delete("/networks/N1", headers=admin)
    assert (gone.status_code, error_of(gone)["code"]) == (404, "network_not_found")
    forbidden = await api.http.delete("/locations/WH-PARIS", headers=api.auth("integration"))
    assert forbidden.status_code == 403
