"""API keys as data: an admin issues, lists, rotates and revokes keys over the API; secrets are
shown once and kept hashed; `oms keys create` issues one for a deployment without demo data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from oms.db import api_keys
from oms.db.engine import Database
from oms.db.migrate import upgrade
from oms.db.tables import ApiKey
from tests.api.conftest import Api, error_of
from tests.factories import seed
from tests.holds import add_channel

ROOT = Path(__file__).resolve().parents[2]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_an_admin_issues_a_scoped_key_whose_secret_is_shown_once_and_kept_hashed(
    api: Api,
) -> None:
    add_channel(api.db, "web-fr")
    body = {"role": "storefront", "name": "shop-fr", "channels": ["web-fr"]}

    made = await api.http.post("/keys", json=body, headers=api.auth("admin"))

    assert made.status_code == 201, made.text
    key = made.json()
    assert made.headers["Location"] == f"/keys/{key['id']}"
    assert (key["role"], key["name"], key["channels"]) == ("storefront", "shop-fr", ["web-fr"])
    assert key["secret"].startswith("oms_storefront_")
    # The new key works at once, and says when it was last used.
    assert (await api.http.get("/orders", headers=bearer(key["secret"]))).status_code == 200
    listed = await api.http.get("/keys", headers=api.auth("admin"))
    mine = next(k for k in listed.json()["items"] if k["id"] == key["id"])
    assert "secret" not in mine
    assert mine["last_used_at"] is not None
    # Only its hash is stored.
    with api.db.reading() as s:
        row = s.get(ApiKey, key["id"])
        assert row is not None
        assert row.key_hash == api_keys.hash_key(key["secret"])
        assert key["secret"] not in json.dumps(row.model_dump(mode="json"))


async def test_only_an_admin_manages_keys(api: Api) -> None:
    for role in ("storefront", "analyst", "integration", "opera"):
        listed = await api.http.get("/keys", headers=api.auth(role))
        made = await api.http.post(
            "/keys", json={"role": "admin", "name": "me"}, headers=api.auth(role)
        )
        assert (listed.status_code, made.status_code) == (403, 403), role


async def test_a_key_s_scope_must_fit_its_role_and_exist(api: Api) -> None:
    admin = api.auth("admin")
    cases = [
        ({"role": "store", "name": "s"}, None),
        ({"role": "analyst", "name": "a", "location_id": "ST-OPERA"}, None),
        ({"role": "analyst", "name": "a", "channels": ["web-fr"]}, None),
        ({"role": "store", "name": "s", "location_id": "ST-NOWHERE"}, "location_not_found"),
        ({"role": "storefront", "name": "f", "channels": ["mars"]}, "channel_not_found"),
        ({"role": "storefront", "name": "f", "expires_at": "2020-01-01T00:00:00Z"}, "out_of_range"),
        ({"role": "boss", "name": "b"}, None),
    ]
    for body, code in cases:
        answer = await api.http.post("/keys", json=body, headers=admin)
        assert answer.status_code == 422, (body, answer.text)
        if code is not None:
            assert error_of(answer)["code"] == code, (body, answer.text)
    store = await api.http.post(
        "/keys", json={"role": "store", "name": "s", "location_id": "ST-OPERA"}, headers=admin
    )
    assert store.status_code == 201, store.text
    picks = await api.http.get(
        "/locations/ST-OPERA/fulfilments", headers=bearer(store.json()["secret"])
    )
    assert picks.status_code == 200


async def test_a_rotated_key_takes_its_new_secret_and_keeps_the_old_one_for_a_while(
    api: Api,
) -> None:
    admin = api.auth("admin")
    made = await api.http.post("/keys", json={"role": "analyst", "name": "desk"}, headers=admin)
    old = made.json()

    rotated = await api.http.post(f"/keys/{old['id']}/rotate", headers=admin)

    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert (new["id"], new["role"]) == (old["id"], "analyst")
    assert new["secret"] != old["secret"]
    for secret in (new["secret"], old["secret"]):
        assert (await api.http.get("/tasks", headers=bearer(secret))).status_code == 200
    grace_ends = datetime.fromisoformat(new["previous_secret_valid_until"])
    assert timedelta(hours=23) < grace_ends - datetime.now(UTC) <= timedelta(hours=24)
    # Past the grace period only the new secret opens the key.
    with api.db.reading() as s:
        later = grace_ends + timedelta(seconds=1)
        assert api_keys.authenticate(s, old["secret"], later) is None
        assert api_keys.authenticate(s, new["secret"], later) is not None
    missing = await api.http.post("/keys/nope/rotate", headers=admin)
    assert (missing.status_code, error_of(missing)["code"]) == (404, "key_not_found")


async def test_a_revoked_key_stops_at_once_with_every_secret_it_had(api: Api) -> None:
    admin = api.auth("admin")
    made = await api.http.post("/keys", json={"role": "integration", "name": "erp"}, headers=admin)
    first = made.json()
    second = (await api.http.post(f"/keys/{first['id']}/rotate", headers=admin)).json()

    revoked = await api.http.delete(f"/keys/{first['id']}", headers=admin)

    assert revoked.status_code == 204, revoked.text
    for secret in (first["secret"], second["secret"]):
        answer = await api.http.get("/locations", headers=bearer(secret))
        assert (answer.status_code, error_of(answer)["code"]) == (401, "unauthenticated")
    again = await api.http.delete(f"/keys/{first['id']}", headers=admin)
    assert (again.status_code, error_of(again)["code"]) == (404, "key_not_found")
    listed = (await api.http.get("/keys", headers=admin)).json()["items"]
    assert first["id"] not in [k["id"] for k in listed]
    everything = await api.http.get("/keys", params={"include_revoked": "true"}, headers=admin)
    gone = next(k for k in everything.json()["items"] if k["id"] == first["id"])
    assert gone["revoked_at"] is not None


async def test_an_admin_key_cannot_revoke_itself(api: Api) -> None:
    with api.db.reading() as s:
        me = api_keys.authenticate(s, api.keys["admin"], datetime.now(UTC))
        assert me is not None

    answer = await api.http.delete(f"/keys/{me.id}", headers=api.auth("admin"))

    assert (answer.status_code, error_of(answer)["code"]) == (409, "invalid_state")
    assert (await api.http.get("/keys", headers=api.auth("admin"))).status_code == 200


def test_an_expired_key_opens_nothing(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as s:
        secret = api_keys.create_key(
            s, role="analyst", name="temp", expires_at=now + timedelta(hours=1)
        )
    with db.reading() as s:
        assert api_keys.authenticate(s, secret, now) is not None
        assert api_keys.authenticate(s, secret, now + timedelta(hours=1)) is None


def test_oms_keys_create_issues_a_key_for_a_deployment_without_demo_data(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{(tmp_path / 'oms.db').as_posix()}"
    upgrade(url)
    db = Database(url)
    seed(db)
    env = {**os.environ, "OMS_DATABASE_URL": url, "OMS_LOG_LEVEL": "WARNING"}
    oms = str(Path(sys.executable).parent / "oms")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [oms, "keys", "create", *args], env=env, capture_output=True, text=True, timeout=60
        )

    made = run("--role", "store", "--location", "ST-OPERA", "--name", "opera-tills")
    refused = run("--role", "store", "--location", "ST-NOWHERE")
    unscoped = run("--role", "store")

    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert (key["role"], key["name"]) == ("store", "opera-tills")
    with db.reading() as s:
        row = api_keys.authenticate(s, key["secret"], datetime.now(UTC))
        assert row is not None
        assert (row.id, row.location_id) == (key["id"], "ST-OPERA")
    assert refused.returncode == 2
    assert "location_id: no location ST-NOWHERE" in refused.stderr
    assert unscoped.returncode == 2
    assert "store key is bound to one location" in unscoped.stderr
    db.dispose()


def test_a_rotation_retried_within_the_grace_keeps_the_secret_users_hold(db: Database) -> None:
    now = datetime.now(UTC)
    grace = timedelta(hours=24)
    with db.session() as s:
        original = api_keys.create_key(s, role="analyst", name="desk")
        key_id = api_keys.authenticate(s, original, now).id  # type: ignore[union-attr]
        lost = api_keys.rotate(s, key_id, now, grace)  # its answer never reached anyone
        kept = api_keys.rotate(s, key_id, now + timedelta(minutes=1), grace)
    assert lost is not None
    assert kept is not None
    with db.reading() as s:
        soon = now + timedelta(hours=1)
        assert api_keys.authenticate(s, original, soon) is not None
        assert api_keys.authenticate(s, kept, soon) is not None
        assert api_keys.authenticate(s, lost, soon) is None
        # Past the grace, only the newest works
        later = now + grace + timedelta(hours=1)
        assert api_keys.authenticate(s, original, later) is None
        assert api_keys.authenticate(s, kept, later) is not None


def test_an_expired_key_cannot_be_rotated_back_to_life(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as s:
        secret = api_keys.create_key(
            s, role="analyst", name="temp", expires_at=now + timedelta(minutes=5)
        )
        key_id = api_keys.authenticate(s, secret, now).id  # type: ignore[union-attr]
        assert api_keys.rotate(s, key_id, now + timedelta(hours=1), timedelta(hours=24)) is None
