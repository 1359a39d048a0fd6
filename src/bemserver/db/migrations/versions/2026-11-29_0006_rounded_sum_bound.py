"""rounded_sum: exact sums that round to the largest double

Revision ID: 0006
Revises: 0005

rounded_sum() turned an exact sum into an infinity as soon as it exceeded the decimal
1.7976931348623157e308, but sums up to 2**1024 - 2**970 (the largest double plus half its last
unit) round to the largest double.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The smallest magnitude that rounds to an infinity: 2**1024 - 2**970, exactly.
OVERFLOW = str(2**1024 - 2**970)

ROUNDED_SUM = """
CREATE OR REPLACE FUNCTION rounded_sum(micros numeric, decimals numeric) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN decimals IS NULL AND abs(micros) < 9007199254740992 THEN micros::int8::float8 / 1e6::float8
        WHEN abs(micros * 0.000001 + coalesce(decimals, 0)) < {bound}
            THEN (micros * 0.000001 + coalesce(decimals, 0))::float8
        ELSE sign(micros * 0.000001 + coalesce(decimals, 0)) * 'Infinity'::float8 END
$$;
"""

PREVIOUS_BOUND = "1.7976931348623157e308"


def upgrade() -> None:
    op.execute(ROUNDED_SUM.format(bound=OVERFLOW))


def downgrade() -> None:
    op.execute(
        ROUNDED_SUM.format(bound=PREVIOUS_BOUND).replace(f"< {PREVIOUS_BOUND}", f"<= {PREVIOUS_BOUND}")
    )
