"""Request dependencies: settings, database, Temporal client and the caller's identity."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.types import Scope
from temporalio.client import Client

from api.errors import ApiError
from oms.config import Settings
from oms.db import api_keys
from oms.db.availability import forget_topology
from oms.db.engine import Database
from oms.domain.errors import ErrorCode
from oms.domain.words import listed, with_article


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    with get_db(request).session() as session:
        yield session


def get_client(request: Request) -> Client:
    client: Client | None = request.app.state.temporal
    if client is None:
        raise ApiError(ErrorCode.UNAVAILABLE, "not connected to Temporal yet")
    return client


def topology_changes() -> Iterator[None]:
    """For endpoints that change locations, networks or channels: once the change is
    committed, this process forgets the channels it cached for ATP."""
    yield
    forget_topology()


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
SessionDep = Annotated[Session, Depends(get_session)]
ClientDep = Annotated[Client, Depends(get_client)]
TopologyWrite = Annotated[None, Depends(topology_changes)]
# A client that retries a request (a timeout, a 503) sends the same key: applied once. Read
# through api.idempotency, which holds the key to its first request.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The same key with the same request (method, path, body) answers the first "
        "request's outcome, applied once; a request sent while the first is under way waits "
        "for its outcome. The key with another request is refused `422 "
        "idempotency_key_reused` until its first use is older than "
        "`OMS_IDEMPOTENCY_KEYS_KEPT` (24 hours by default). Keys are per API key: another "
        "key's are its own.",
    ),
]

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer <key>`")


@dataclass(frozen=True)
class Principal:
    key_id: str
    name: str
    role: str
    location_id: str | None
    # A storefront key's channels; None: every channel.
    channels: tuple[str, ...] | None = None

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name}"

    def sees_location(self, location_id: str) -> bool:
        """A store key sees its own location's work only (another's answers 404, as if it
        did not exist); an admin sees every location's."""
        return self.role == "admin" or self.location_id == location_id

    def sees_channel(self, channel: str) -> bool:
        """A key scoped to channels sees nothing of another: its orders, carts and figures
        are answered as if they did not exist."""
        return self.role == "admin" or self.channels is None or channel in self.channels


def channel_in_scope(
    principal: Principal, channel: str, field: str = "channel", *, in_body: bool = False
) -> None:
    """A channel outside the key's scope does not exist for it: ``channel_not_found``, 404 for
    the channel a read names in its query, 422 at the field for one a body names."""
    if not principal.sees_channel(channel):
        reason = f"no channel {channel!r}"
        raise ApiError.missing(ErrorCode.CHANNEL_NOT_FOUND, reason, field, in_body=in_body)


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:  # found (and counted) by api.edge before the body was read
        return known
    principal = principal_for(get_db(request), credentials.credentials if credentials else None)
    request.app.state.limiter.admit(principal.key_id)
    return principal


def identify(scope: Scope) -> Principal:
    """The key of a request not yet read (api.edge): from its Authorization header."""
    header = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
    scheme, _, secret = header.decode("latin-1").partition(" ")
    state = scope["app"].state
    principal = principal_for(state.db, secret.strip() if scheme.lower() == "bearer" else None)
    state.limiter.admit(principal.key_id)
    return principal


def principal_for(db: Database, secret: str | None) -> Principal:
    if not secret:
        raise ApiError(
            ErrorCode.UNAUTHENTICATED,
            "missing API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    now = datetime.now(UTC)
    with db.reading() as s:
        row = api_keys.authenticate(s, secret, now)
    if row is None:
        raise ApiError(
            ErrorCode.UNAUTHENTICATED,
            "unknown, expired or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if api_keys.needs_touch(row, now):
        with db.session() as s:
            api_keys.touch(s, row.id, now)
    return Principal(
        key_id=row.id,
        name=row.name,
        role=row.role,
        location_id=row.location_id,
        channels=tuple(row.channels) if row.channels is not None else None,
    )


def require(*roles: str) -> Callable[..., Principal]:
    """Allow these roles (and admin, which may do everything)."""
    allowed = {*roles, "admin"}

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            needed = listed(sorted(allowed), last="or")
            raise ApiError(
                ErrorCode.FORBIDDEN,
                f"{with_article(principal.role)} key cannot do this; it takes "
                f"{with_article(needed)} key",
            )
        return principal

    REFUSALS[check] = (ErrorCode.FORBIDDEN,)
    return check


# What a dependency can refuse a request with: the OpenAPI document declares it on every
# operation that depends on it (api.openapi).
REFUSALS: dict[Callable[..., Any], tuple[ErrorCode, ...]] = {
    get_client: (ErrorCode.UNAVAILABLE,),
    # Reading the key needs the database: away, it is a 503 like any other database read.
    authenticate: (ErrorCode.UNAUTHENTICATED, ErrorCode.RATE_LIMITED, ErrorCode.UNAVAILABLE),
    get_db: (ErrorCode.UNAVAILABLE,),
}
