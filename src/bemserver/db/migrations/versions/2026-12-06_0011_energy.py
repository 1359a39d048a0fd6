"""energy: energies, end uses and production technologies (seeded), consumption and production
timeseries by site and by building

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from bemserver.db.seed import seed

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LOOKUPS = ("energies", "ener_end_uses", "ener_prod_techs")
# link table -> (element table, element column, lookup column, lookup table)
LINKS = {
    "ener_cons_ts_by_site": ("sites", "site_id", "end_use_id", "ener_end_uses"),
    "ener_cons_ts_by_building": ("buildings", "building_id", "end_use_id", "ener_end_uses"),
    "ener_prod_ts_by_site": ("sites", "site_id", "prod_tech_id", "ener_prod_techs"),
    "ener_prod_ts_by_building": ("buildings", "building_id", "prod_tech_id", "ener_prod_techs"),
}


def _lookup_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("name", name=op.f(f"uq_{name}_name")),
    )


def _link_table(name: str, element: str, element_id: str, kind_id: str, kinds: str) -> None:
    op.create_table(
        name,
        sa.Column(element_id, sa.Integer(), nullable=False),
        sa.Column("energy_id", sa.Integer(), nullable=False),
        sa.Column(kind_id, sa.Integer(), nullable=False),
        sa.Column("timeseries_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            [element_id],
            [f"{element}.id"],
            name=op.f(f"fk_{name}_{element_id}_{element}"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["energy_id"], ["energies.id"], name=op.f(f"fk_{name}_energy_id_energies")),
        sa.ForeignKeyConstraint([kind_id], [f"{kinds}.id"], name=op.f(f"fk_{name}_{kind_id}_{kinds}")),
        sa.ForeignKeyConstraint(
            ["timeseries_id"],
            ["timeseries.id"],
            name=op.f(f"fk_{name}_timeseries_id_timeseries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint(element_id, "energy_id", kind_id, name=op.f(f"uq_{name}_{element_id}")),
    )
    for column in ("energy_id", kind_id, "timeseries_id"):
        op.create_index(op.f(f"ix_{name}_{column}"), name, [column], unique=False)


def upgrade() -> None:
    for name in LOOKUPS:
        _lookup_table(name)
    for name, (element, element_id, kind_id, kinds) in LINKS.items():
        _link_table(name, element, element_id, kind_id, kinds)
    seed(op.get_bind(), tables=list(LOOKUPS))


def downgrade() -> None:
    for name in (*LINKS, *LOOKUPS):
        op.drop_table(name)
