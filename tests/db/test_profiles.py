"""Sourcing profile versions in the database: drafts, publishing, rolling back."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from oms.db import profiles
from oms.db import tables as t
from oms.db.engine import Database
from oms.domain.errors import DomainError, ErrorCode
from oms.domain.sourcing.profiles import DEFAULT_PROFILE, ProfileStatus


def doc(channel: str | None = "web-fr", name: str = "nearest") -> dict[str, Any]:
    return {
        "channel": channel,
        "strategies": [{"name": name, "criteria": [{"criterion": "distance"}]}],
        "fallback": {"name": "rest"},
    }


def test_a_draft_counts_only_once_published_and_never_changes_after(db: Database) -> None:
    with db.session() as s:
        v1 = profiles.create_draft(s, "web", doc(), created_by="admin")
        assert (v1.version, v1.status) == (1, ProfileStatus.DRAFT)
        assert profiles.in_force(s, "web-fr") == DEFAULT_PROFILE
        profiles.update_draft(s, "web", 1, doc(name="edited"))
        published = profiles.publish(s, "web", 1)
    assert published.status is ProfileStatus.ACTIVE
    with db.session() as s:
        assert profiles.in_force(s, "web-fr").strategies[0].name == "edited"
        assert profiles.in_force(s, "app-fr") == DEFAULT_PROFILE  # another channel
        with pytest.raises(DomainError) as refused:
            profiles.update_draft(s, "web", 1, doc(name="again"))
    assert refused.value.code is ErrorCode.PROFILE_PUBLISHED


def test_publishing_a_new_version_retires_the_old_and_rollback_brings_it_back(
    db: Database,
) -> None:
    with db.session() as s:
        profiles.create_draft(s, "web", doc(name="one"), created_by=None)
        profiles.publish(s, "web", 1)
        profiles.create_draft(s, "web", doc(name="two"), created_by=None)
        profiles.publish(s, "web", 2)
        assert profiles.in_force(s, "web-fr").strategies[0].name == "two"
        assert [p.status for p in profiles.versions(s, "web")] == [
            ProfileStatus.INACTIVE,
            ProfileStatus.ACTIVE,
        ]
        back = profiles.rollback(s, "web")
        assert (back.version, profiles.in_force(s, "web-fr").strategies[0].name) == (1, "one")
        with pytest.raises(DomainError, match="published before v1"):
            profiles.rollback(s, "web")


def test_a_default_profile_serves_channels_without_their_own(db: Database) -> None:
    with db.session() as s:
        profiles.create_draft(s, "house", doc(channel=None, name="house"), created_by=None)
        profiles.publish(s, "house", 1)
        assert profiles.in_force(s, "kiosk").ref == "house@v1"


def test_the_database_refuses_two_active_versions_for_one_channel(db: Database) -> None:
    with db.session() as s:
        profiles.create_draft(s, "a", doc(), created_by=None)
        profiles.create_draft(s, "b", doc(), created_by=None)
        profiles.publish(s, "a", 1)
    with Session(db.engine) as s:
        row = s.get(t.SourcingProfile, ("b", 1))
        assert row is not None
        row.status = "active"
        s.add(row)
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_concurrent_publishes_leave_exactly_one_active(db: Database) -> None:
    with db.session() as s:
        for name in ("a", "b", "c", "d"):
            profiles.create_draft(s, name, doc(), created_by=None)
    barrier = threading.Barrier(4)
    errors: list[Exception] = []

    def publish(name: str) -> None:
        barrier.wait()
        try:
            with db.session() as s:
                profiles.publish(s, name, 1)
        except IntegrityError as exc:  # lost the race on the unique index: retry is the fix
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in "abcd"]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with db.session() as s:
        active = [p for p in profiles.versions(s) if p.status is ProfileStatus.ACTIVE]
    assert len(active) == 1
