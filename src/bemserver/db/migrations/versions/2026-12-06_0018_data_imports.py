"""data_imports: the progress and outcome of recent data imports

Revision ID: 0018
Revises: 0016

A POST to /timeseries_data/ that names an import (X-Import-Id or import_id) keeps its state here,
updated a few times per second while it runs and announced on the bemserver_imports channel;
GET /timeseries_data/imports/{import_id}[/stream] read it. Rows live a day after their last change.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_imports",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=True),
        sa.Column("lines", sa.BigInteger(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("report", postgresql.JSON(astext_type=sa.Text()), nullable=True),
        sa.Column("error", postgresql.JSON(astext_type=sa.Text()), nullable=True),
        sa.Column("backend_pid", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_imports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_imports")),
        sa.UniqueConstraint("user_id", "import_id", name=op.f("uq_data_imports_user_id")),
    )
    op.create_index("ix_data_imports_updated_at", "data_imports", ["updated_at"])


def downgrade() -> None:
    op.drop_table("data_imports")
