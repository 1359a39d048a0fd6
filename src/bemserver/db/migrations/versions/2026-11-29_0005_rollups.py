"""timeseries data rollups

Revision ID: 0005
Revises: 0004

Per stored series, the points of each 15 minutes, hour and UTC day summed up: count, exact sum,
min, max (and, per day, the sum of squared deviations for stats). Writes only note which spans
changed (timeseries_data_dirty); readers bring the rollups of the series they read up to date
first (refresh_dirty_rollups). See timeseries_data/rollups.py.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LEVELS = ("timeseries_data_quarters", "timeseries_data_hours", "timeseries_data_days")

# Exact sums without numeric arithmetic per point (far too slow for a year of points): a value whose
# shortest decimal form has at most 6 decimals and |v| < 1e9 (sensor readings, nearly always) is
# that decimal's number of millionths, an int8: exact_micros(v). Below 1e9 two decimals of 6 places
# never round to the same float8, so the decimal found is the shortest one. Other values ("NULL"
# here) are added up as numeric from their shortest decimal form (v::text, extra_float_digits 1).
EXACT_MICROS = """
CREATE FUNCTION exact_micros(v float8) RETURNS int8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN abs(v) < 1e9 AND round(v * 1e6::float8) / 1e6::float8 = v
        THEN round(v * 1e6::float8)::int8 END
$$;
"""

# The float8 nearest to an exact sum given as millionths (numeric: a sum of int8) plus decimals;
# cheap when it is a whole number of millionths below 2^53; an infinity beyond the float8 range.
# (Not STRICT, and one expression: the planner inlines it.)
ROUNDED_SUM = """
CREATE FUNCTION rounded_sum(micros numeric, decimals numeric) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN decimals IS NULL AND abs(micros) < 9007199254740992 THEN micros::int8::float8 / 1e6::float8
        WHEN abs(micros * 0.000001 + coalesce(decimals, 0)) <= 1.7976931348623157e308
            THEN (micros * 0.000001 + coalesce(decimals, 0))::float8
        ELSE sign(micros * 0.000001 + coalesce(decimals, 0)) * 'Infinity'::float8 END
$$;
"""

# A sum of millionths stays an int8 while it fits; beyond, it moves to the decimals.
KEPT_MICROS = """
CREATE FUNCTION kept_micros(micros numeric) RETURNS int8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN abs(micros) < 9000000000000000000 THEN micros::int8 ELSE 0 END
$$;
CREATE FUNCTION kept_decimals(micros numeric, decimals numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN abs(micros) < 9000000000000000000 THEN decimals
        ELSE coalesce(decimals, 0) + micros * 0.000001 END
$$;
"""

# refresh_rollups(series, lo, hi): recompute every rollup cell of these series that meets [lo, hi):
# quarters from the points, then hours and days from the quarters. Each level deletes the cells
# it recomputes and inserts the non-empty ones. A day's m2 (sum of squared deviations from its
# mean, for the stddev of stats) merges its quarters' (Chan et al.); it is NULL when a value of
# the day is not a whole number of millionths below 1e9 (stats then reads the points).
REFRESH_ROLLUPS = """
CREATE FUNCTION refresh_rollups(series int[], lo timestamptz, hi timestamptz) RETURNS void
LANGUAGE plpgsql SET work_mem = '64MB' SET extra_float_digits = 1 SET jit = off AS $$
DECLARE
    epoch CONSTANT timestamptz := '1970-01-01 00:00:00+00';
    q CONSTANT interval := '15 minutes';
    h CONSTANT interval := '1 hour';
    d CONSTANT interval := '1 day';
    last CONSTANT timestamptz := hi - interval '1 microsecond';
BEGIN
    IF lo >= hi OR cardinality(series) = 0 THEN
        RETURN;
    END IF;

    DELETE FROM timeseries_data_quarters
    WHERE series_id = ANY (series) AND start >= date_bin(q, lo, epoch) AND start < hi;
    INSERT INTO timeseries_data_quarters (series_id, start, count, micros, decimals, fsum, min, max, m2)
    SELECT series_id, cell, n, micros, decimals, rounded_sum(micros, decimals), smallest, largest, m2
    FROM (
        SELECT series_id, cell, n, smallest, largest, m2,
            kept_micros(micros) AS micros, kept_decimals(micros, decimals) AS decimals
        FROM (
            SELECT series_id, cell, count(*) AS n, min(value) AS smallest, max(value) AS largest,
                coalesce(sum(u), 0) AS micros, sum(value::text::numeric) FILTER (WHERE u IS NULL) AS decimals,
                CASE WHEN count(u) = count(*) THEN var_pop(value) FILTER (WHERE u IS NOT NULL) * count(*) END AS m2
            FROM (
                SELECT series_id, date_bin(q, timestamp, epoch) AS cell, value, exact_micros(value) AS u
                FROM timeseries_data
                WHERE series_id = ANY (series) AND value IS NOT NULL
                  AND timestamp >= date_bin(q, lo, epoch) AND timestamp < date_bin(q, last, epoch) + q
            ) AS points
            GROUP BY series_id, cell
        ) AS sums
    ) AS cells
    ORDER BY series_id, cell;  -- the primary key's order: reads scan the index in heap order

    DELETE FROM timeseries_data_hours
    WHERE series_id = ANY (series) AND start >= date_bin(h, lo, epoch) AND start < hi;
    INSERT INTO timeseries_data_hours (series_id, start, count, micros, decimals, fsum, min, max)
    SELECT series_id, cell, n, kept_micros(micros), kept_decimals(micros, decimals),
        rounded_sum(micros, decimals), smallest, largest
    FROM (
        SELECT series_id, date_bin(h, start, epoch) AS cell, sum(count) AS n, sum(micros) AS micros,
            sum(decimals) AS decimals, min(min) AS smallest, max(max) AS largest
        FROM timeseries_data_quarters
        WHERE series_id = ANY (series)
          AND start >= date_bin(h, lo, epoch) AND start < date_bin(h, last, epoch) + h
        GROUP BY 1, 2
    ) AS cells
    ORDER BY series_id, cell;  -- the primary key's order: reads scan the index in heap order

    DELETE FROM timeseries_data_days
    WHERE series_id = ANY (series) AND start >= date_bin(d, lo, epoch) AND start < hi;
    INSERT INTO timeseries_data_days (series_id, start, count, micros, decimals, fsum, min, max, m2)
    SELECT series_id, cell, n, kept_micros(micros), kept_decimals(micros, decimals),
        rounded_sum(micros, decimals), smallest, largest, m2
    FROM (
        SELECT series_id, cell, sum(count) AS n, sum(micros) AS micros, sum(decimals) AS decimals,
            min(min) AS smallest, max(max) AS largest,
            CASE WHEN bool_and(day_exact) THEN sum(m2 + count * (mean - day_mean) ^ 2) FILTER (WHERE day_exact) END AS m2
        FROM (
            SELECT series_id, date_bin(d, start, epoch) AS cell, count, micros, decimals, min, max, m2,
                -- only for days of whole millionths below 1e9: no float overflow there
                CASE WHEN m2 IS NOT NULL THEN fsum / count END AS mean,
                sum(CASE WHEN m2 IS NOT NULL THEN fsum END) OVER day / sum(count) OVER day AS day_mean,
                bool_and(m2 IS NOT NULL) OVER day AS day_exact
            FROM timeseries_data_quarters
            WHERE series_id = ANY (series)
              AND start >= date_bin(d, lo, epoch) AND start < date_bin(d, last, epoch) + d
            WINDOW day AS (PARTITION BY series_id, date_bin(d, start, epoch))
        ) AS quarters
        GROUP BY 1, 2
    ) AS cells
    ORDER BY series_id, cell;  -- the primary key's order: reads scan the index in heap order
END
$$;
"""

# refresh_dirty_rollups(series): bring the rollups of these series up to date: claim the spans
# written since (timeseries_data_dirty), widened to whole quarters and merged per series, and
# refresh them. Readers of a series
# are serialized here (advisory lock per series, in id order); writers never wait for them.
REFRESH_DIRTY_ROLLUPS = """
CREATE FUNCTION refresh_dirty_rollups(series int[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    span record;
BEGIN
    IF NOT EXISTS (SELECT FROM timeseries_data_dirty WHERE series_id = ANY (series)) THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(5005, s) FROM (SELECT DISTINCT s FROM unnest(series) AS s ORDER BY s) AS ordered;
    FOR span IN
        WITH claimed AS (
            DELETE FROM timeseries_data_dirty WHERE series_id = ANY (series) RETURNING series_id, lo, hi
        )
        SELECT series_id, lower(merged) AS lo, upper(merged) AS hi
        FROM (
            SELECT series_id, unnest(range_agg(tstzrange(
                date_bin('15 minutes', lo, '1970-01-01 00:00:00+00'),
                date_bin('15 minutes', hi - interval '1 microsecond', '1970-01-01 00:00:00+00') + interval '15 minutes'
            ))) AS merged
            FROM claimed GROUP BY series_id
        ) AS spans
        ORDER BY series_id, lo
    LOOP
        PERFORM refresh_rollups(ARRAY[span.series_id], span.lo, span.hi);
    END LOOP;
END
$$;
"""

# Deleting series (directly, or through a timeseries, a data state or a campaign) deletes their
# rollups and spans to refresh, once per statement, as migration 0004 does for their points.
DELETE_SERIES_ROLLUPS = """
CREATE FUNCTION delete_series_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    removed int[] := ARRAY(SELECT id FROM removed_series);
BEGIN
    DELETE FROM timeseries_data_quarters WHERE series_id = ANY (removed);
    DELETE FROM timeseries_data_hours WHERE series_id = ANY (removed);
    DELETE FROM timeseries_data_days WHERE series_id = ANY (removed);
    DELETE FROM timeseries_data_dirty WHERE series_id = ANY (removed);
    RETURN NULL;
END
$$;
CREATE TRIGGER delete_series_rollups AFTER DELETE ON timeseries_by_data_states
REFERENCING OLD TABLE AS removed_series
FOR EACH STATEMENT EXECUTE FUNCTION delete_series_rollups();
"""


def upgrade() -> None:
    for table in LEVELS:
        op.create_table(
            table,
            sa.Column("series_id", sa.Integer(), nullable=False),
            sa.Column("start", sa.DateTime(timezone=True), nullable=False),
            sa.Column("count", sa.BigInteger(), nullable=False),
            sa.Column("micros", sa.BigInteger(), nullable=False),
            sa.Column("decimals", sa.Numeric(), nullable=True),
            sa.Column("fsum", sa.Float(), nullable=False),
            sa.Column("min", sa.Float(), nullable=False),
            sa.Column("max", sa.Float(), nullable=False),
            *([] if table == "timeseries_data_hours" else [sa.Column("m2", sa.Float(), nullable=True)]),
            sa.PrimaryKeyConstraint("series_id", "start", name=op.f(f"pk_{table}")),
        )
    op.create_table(
        "timeseries_data_dirty",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("lo", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hi", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        op.f("ix_timeseries_data_dirty_series_id"), "timeseries_data_dirty", ["series_id"], unique=False
    )
    for function in (EXACT_MICROS, ROUNDED_SUM, KEPT_MICROS, REFRESH_ROLLUPS, REFRESH_DIRTY_ROLLUPS):
        op.execute(function)
    op.execute(DELETE_SERIES_ROLLUPS)


def downgrade() -> None:
    op.execute("DROP TRIGGER delete_series_rollups ON timeseries_by_data_states")
    op.execute("DROP FUNCTION delete_series_rollups()")
    op.execute("DROP FUNCTION refresh_dirty_rollups(int[])")
    op.execute("DROP FUNCTION refresh_rollups(int[], timestamptz, timestamptz)")
    op.execute("DROP FUNCTION kept_decimals(numeric, numeric)")
    op.execute("DROP FUNCTION kept_micros(numeric)")
    op.execute("DROP FUNCTION rounded_sum(numeric, numeric)")
    op.execute("DROP FUNCTION exact_micros(float8)")
    op.drop_index(op.f("ix_timeseries_data_dirty_series_id"), table_name="timeseries_data_dirty")
    op.drop_table("timeseries_data_dirty")
    for table in reversed(LEVELS):
        op.drop_table(table)
