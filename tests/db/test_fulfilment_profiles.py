"""Fulfilment profile versions in the database: drafts, publishing, rolling back, and which
profile a fulfilment at a location runs."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from oms.db import fulfilment_profiles as profiles
from oms.db import tables as t
from oms.db.engine import Database
from oms.domain.delivery import DeliveryMethod
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.fulfilment_profiles import DEFAULT_PROFILE, FulfilmentProfile, ProfileStatus
from tests.factories import seed

SHIP, COLLECT = DeliveryMethod.SHIP, DeliveryMethod.COLLECT
COLLECTION = [{"type": "ready_for_collection"}, {"type": "collected"}]


def doc(profile_id: str, mode: str = "fast", **scope: str) -> dict[str, Any]:
    return {
        "id": profile_id,
        "applies_to": scope,
        "steps": [{"type": "pick", "mode": mode}, {"type": "pack"}, *COLLECTION],
    }


def run(s: Session, location_id: str, method: DeliveryMethod = SHIP) -> FulfilmentProfile:
    return profiles.in_force(s, location_id=location_id, channel="web-fr", method=method)


@pytest.fixture
def places(db: Database) -> Database:
    seed(db)  # WH-PARIS is a warehouse; ST-OPERA, ST-BASTILLE and ST-LYON are stores
    return db


def test_a_draft_runs_nowhere_until_published_and_never_changes_after(places: Database) -> None:
    with places.session() as s:
        draft = profiles.create_draft(s, doc("stores", location_type="store"), created_by="admin")
        assert (draft.version, draft.status, draft.created_by) == (1, "draft", "admin")
        assert run(s, "ST-OPERA") == DEFAULT_PROFILE
        profiles.update_draft(s, "stores", 1, doc("stores", "scan_each", location_type="store"))
        published = profiles.publish(s, "stores", 1)
    assert (published.status, published.published_at is not None) == (ProfileStatus.ACTIVE, True)
    with places.session() as s:
        assert run(s, "ST-OPERA").steps[0].mode == "scan_each"
        assert run(s, "WH-PARIS") == DEFAULT_PROFILE  # not a store
        with pytest.raises(DomainError) as refused:
            profiles.update_draft(s, "stores", 1, doc("stores"))
    assert refused.value.code is ErrorCode.PROFILE_PUBLISHED


def test_a_draft_keeps_its_id_and_the_built_in_id_is_not_for_taking(places: Database) -> None:
    with places.session() as s:
        profiles.create_draft(s, doc("stores"), created_by=None)
        with pytest.raises(DomainError) as other_id:
            profiles.update_draft(s, "stores", 1, doc("shops"))
        with pytest.raises(DomainError) as built_in:
            profiles.create_draft(s, doc("default"), created_by=None)
    assert (other_id.value.code, other_id.value.field) == (ErrorCode.INVALID, "id")
    assert (built_in.value.code, built_in.value.field) == (ErrorCode.INVALID, "id")


def test_an_invalid_document_is_refused_with_where_it_is_wrong(places: Database) -> None:
    bad = {**doc("stores"), "steps": [{"type": "pick", "mode": "sloppy"}, *COLLECTION]}
    with places.session() as s, pytest.raises(profiles.InvalidProfile) as refused:
        profiles.create_draft(s, bad, created_by=None)
    assert [e["loc"] for e in refused.value.error.errors()] == [("steps", 0, "mode")]
    with places.session() as s:
        assert profiles.versions(s) == []


def test_publishing_a_new_version_retires_the_old_and_rollback_brings_it_back(
    places: Database,
) -> None:
    with places.session() as s:
        profiles.create_draft(s, doc("stores", "fast", location_type="store"), created_by=None)
        profiles.publish(s, "stores", 1)
        profiles.create_draft(s, doc("stores", "scan_each", location_type="store"), created_by=None)
        profiles.publish(s, "stores", 2)
        assert run(s, "ST-LYON").version == 2
        assert [v.status for v in profiles.versions(s, "stores")] == [
            ProfileStatus.INACTIVE,
            ProfileStatus.ACTIVE,
        ]
        back = profiles.rollback(s, "stores")
        assert (back.version, run(s, "ST-LYON").steps[0].mode) == (1, "fast")
        with pytest.raises(DomainError, match="published before v1"):
            profiles.rollback(s, "stores")
        with pytest.raises(DomainError, match="no active version"):
            profiles.rollback(s, "nobody")


def test_the_most_specific_profile_runs_at_each_location(places: Database) -> None:
    with places.session() as s:
        for document in (
            doc("house"),  # every location, channel and method
            doc("stores", location_type="store"),
            doc("opera", location_id="ST-OPERA"),
            {
                **doc("web-collect", channel="web-fr", delivery_method="collect"),
                "steps": [{"type": "pick"}, *COLLECTION],
            },
            doc("kiosk-stores", location_type="store", channel="kiosk"),
        ):
            draft = profiles.create_draft(s, document, created_by=None)
            profiles.publish(s, draft.id, draft.version)

    with places.session() as s:
        assert run(s, "ST-OPERA").id == "opera"  # its own beats every store's
        assert run(s, "ST-LYON").id == "stores"  # a store of the web, not of the kiosk
        assert run(s, "ST-LYON", COLLECT).id == "stores"  # a type beats a channel
        assert run(s, "WH-PARIS", COLLECT).id == "web-collect"
        assert run(s, "WH-PARIS", SHIP).id == "house"
        found = profiles.in_force(s, location_id="ST-LYON", channel="kiosk", method=SHIP)
        assert found.id == "kiosk-stores"


def test_without_a_published_profile_every_location_runs_the_built_in_one(
    places: Database,
) -> None:
    with places.session() as s:
        assert run(s, "WH-PARIS") == DEFAULT_PROFILE
        assert run(s, "ST-OPERA", COLLECT) == DEFAULT_PROFILE
        with pytest.raises(DomainError) as unknown:
            run(s, "NOWHERE")
    assert unknown.value.code is ErrorCode.LOCATION_NOT_FOUND


def test_publishing_a_profile_for_the_same_scope_replaces_the_one_there(
    places: Database,
) -> None:
    with places.session() as s:
        for profile_id in ("stores", "shops"):
            profiles.create_draft(s, doc(profile_id, location_type="store"), created_by=None)
            profiles.publish(s, profile_id, 1)
        profiles.create_draft(s, doc("opera", location_id="ST-OPERA"), created_by=None)
        profiles.publish(s, "opera", 1)
        status = {v.id: v.status for v in profiles.versions(s)}
    assert status == {
        "stores": ProfileStatus.INACTIVE,  # the same scope as shops: never chosen again
        "shops": ProfileStatus.ACTIVE,
        "opera": ProfileStatus.ACTIVE,  # a scope of its own: both run
    }


def test_the_database_refuses_two_active_versions_of_one_profile(places: Database) -> None:
    with places.session() as s:
        profiles.create_draft(s, doc("stores", location_type="store"), created_by=None)
        profiles.create_draft(s, doc("stores", location_id="ST-OPERA"), created_by=None)
        profiles.publish(s, "stores", 1)
    with Session(places.engine) as s:
        row = s.get(t.FulfilmentProfile, ("stores", 2))
        assert row is not None
        row.status = ProfileStatus.ACTIVE.value
        s.add(row)
        with pytest.raises(IntegrityError):
            s.flush()


def test_concurrent_publishes_of_one_profile_leave_exactly_one_version_active(
    places: Database,
) -> None:
    with places.session() as s:
        for mode in ("fast", "scan_each", "fast", "scan_each"):
            profiles.create_draft(s, doc("stores", mode, location_type="store"), created_by=None)
    barrier = threading.Barrier(4)

    def publish(version: int) -> None:
        barrier.wait()
        try:
            with places.session() as s:
                profiles.publish(s, "stores", version)
        except IntegrityError:  # lost the race on the unique index: the API retries
            pass

    threads = [threading.Thread(target=publish, args=(v,)) for v in (1, 2, 3, 4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with places.session() as s:
        active = [v for v in profiles.versions(s) if v.status is ProfileStatus.ACTIVE]
    assert len(active) == 1


def test_a_retired_profile_runs_nowhere_and_a_publish_brings_it_back(places: Database) -> None:
    with places.session() as s:
        for document in (
            doc("stores", location_type="store"),
            doc("opera", "scan_each", location_id="ST-OPERA"),
        ):
            draft = profiles.create_draft(s, document, created_by=None)
            profiles.publish(s, draft.id, draft.version)
        retired = profiles.retire(s, "opera")
        assert (retired.version, retired.status) == (1, ProfileStatus.INACTIVE)
        assert run(s, "ST-OPERA").id == "stores"  # the next most specific
        with pytest.raises(DomainError, match="no active version"):
            profiles.retire(s, "opera")
        profiles.publish(s, "opera", 1)
        assert run(s, "ST-OPERA").id == "opera"
