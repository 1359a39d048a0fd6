"""Alembic environment: runs migrations on a synchronous psycopg connection."""

from alembic import context
from sqlalchemy import create_engine, pool

from bemserver.db.base import Base
from bemserver.db.models import load_all_models

load_all_models()
target_metadata = Base.metadata
url = context.config.attributes["database_url"]

engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
