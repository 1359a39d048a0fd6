"""timeseries data

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Python's repr() of a float8, for the SQL-rendered answers (see timeseries_data/formats.py): below
# 1e15 PostgreSQL's shortest output already matches once integral values get '.0'; above, the
# shortest round-tripping digits are searched and written in Python's notation (exponent from 1e16).
PY_FLOAT_TEXT = """
CREATE FUNCTION py_float_text(v float8) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    exact numeric;
    candidate numeric;
    magnitude int;
    mantissa text;
BEGIN
    IF v = 'NaN'::float8 THEN RETURN 'nan'; END IF;
    IF v = 'Infinity'::float8 THEN RETURN 'inf'; END IF;
    IF v = '-Infinity'::float8 THEN RETURN '-inf'; END IF;
    IF abs(v) < 1e15 THEN
        RETURN CASE WHEN v = trunc(v) THEN v::text || '.0' ELSE v::text END;
    END IF;
    exact := v::text::numeric;
    magnitude := length(trunc(abs(exact))::text) - 1;
    FOR digits IN 1..17 LOOP
        candidate := round(exact, digits - 1 - magnitude);
        IF abs(candidate) <= 1.7976931348623157e308 THEN
            EXIT WHEN candidate::float8 = v;
        END IF;
    END LOOP;
    magnitude := length(trunc(abs(candidate))::text) - 1;
    IF magnitude < 16 THEN
        mantissa := trim_scale(candidate)::text;
        RETURN CASE WHEN strpos(mantissa, '.') > 0 THEN mantissa ELSE mantissa || '.0' END;
    END IF;
    mantissa := trim_scale(candidate / power(10::numeric, magnitude))::text;
    RETURN mantissa || 'e+' || magnitude::text;
END
$$;
"""


# The points table has no foreign key to timeseries_by_data_states: checking it row by row makes
# COPY about three times slower. Writers lock their series rows FOR KEY SHARE instead (see
# timeseries_data/request.py), and deleting series (directly, or through a timeseries or a data
# state) deletes their points here, once per statement, through the primary key.
DELETE_SERIES_POINTS = """
CREATE FUNCTION delete_series_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM timeseries_data WHERE series_id = ANY (ARRAY(SELECT id FROM removed_series));
    RETURN NULL;
END
$$;
CREATE TRIGGER delete_series_points AFTER DELETE ON timeseries_by_data_states
REFERENCING OLD TABLE AS removed_series
FOR EACH STATEMENT EXECUTE FUNCTION delete_series_points();
"""


def upgrade() -> None:
    op.create_table(
        "timeseries_data",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("series_id", "timestamp", name=op.f("pk_timeseries_data")),
    )
    op.execute(PY_FLOAT_TEXT)
    op.execute(DELETE_SERIES_POINTS)


def downgrade() -> None:
    op.execute("DROP TRIGGER delete_series_points ON timeseries_by_data_states")
    op.execute("DROP FUNCTION delete_series_points()")
    op.execute("DROP FUNCTION py_float_text(float8)")
    op.drop_table("timeseries_data")
