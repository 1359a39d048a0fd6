"""weather: weather_ts_by_site, the timeseries of a site's weather parameters

Revision ID: 0012
Revises: 0011

The parameters are the reference's PostgreSQL enum `weatherparameterenum`, labels in its order.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PARAMETERS = (
    "AIR_TEMPERATURE",
    "DEWPOINT_TEMPERATURE",
    "WETBULB_TEMPERATURE",
    "WIND_SPEED",
    "WIND_DIRECTION",
    "SURFACE_SOLAR_RADIATION",
    "SURFACE_DIRECT_SOLAR_RADIATION",
    "SURFACE_DIFFUSE_SOLAR_RADIATION",
    "DIRECT_NORMAL_SOLAR_RADIATION",
    "RELATIVE_HUMIDITY",
    "SURFACE_PRESSURE",
    "TOTAL_PRECIPITATION",
)
TABLE = "weather_ts_by_site"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("parameter", sa.Enum(*PARAMETERS, name="weatherparameterenum"), nullable=False),
        sa.Column("timeseries_id", sa.Integer(), nullable=False),
        sa.Column("forecast", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f(f"fk_{TABLE}_site_id_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["timeseries_id"],
            ["timeseries.id"],
            name=op.f(f"fk_{TABLE}_timeseries_id_timeseries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("site_id", "parameter", "forecast", name=op.f(f"uq_{TABLE}_site_id")),
    )
    op.create_index(op.f(f"ix_{TABLE}_timeseries_id"), TABLE, ["timeseries_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{TABLE}_timeseries_id"), table_name=TABLE)
    op.drop_table(TABLE)
    sa.Enum(name="weatherparameterenum").drop(op.get_bind())
