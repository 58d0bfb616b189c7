"""Alembic environment: the tables are SQLModel's metadata; the URL comes from settings."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import oms.db.tables  # noqa: F401  (registers the tables on the metadata)
from oms.config import get_settings
from oms.db.engine import make_engine, normalize_url

config = context.config
url = config.attributes.get("url") or normalize_url(get_settings().db_url)
target_metadata = SQLModel.metadata


def run_offline() -> None:
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
