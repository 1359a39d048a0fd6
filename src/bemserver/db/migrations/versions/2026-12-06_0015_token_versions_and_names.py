"""users: token versions, refresh token families, login failures; names and e-mails normalised

Revision ID: 0015
Revises: 0014

- users.token_version: raised to void a user's tokens (deactivation, demotion, new password).
- token_families: one row per login, the current refresh token of it (reuse detection).
- login_failures: failed logins per account and per client address (rate limit of /auth/token).
- Names and e-mails lose surrounding spaces and are put in Unicode NFC form; every unique
  constraint on a `name` column (alone or within a parent) and the one on users.email become
  unique indexes on lower(...), so that uniqueness ignores case. Rows that would then clash make
  the migration stop with a message naming them: an administrator renames them first.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Unique constraints of the current schema that include a column named `name` or `email`:
# (table, constraint, [columns in order]).
_UNIQUE_ON_TEXT = """
SELECT c.conrelid::regclass::text, c.conname,
       array_agg(a.attname::text ORDER BY k.ordinality)
FROM pg_constraint c
JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ordinality) ON true
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
WHERE c.contype = 'u' AND c.connamespace = current_schema()::regnamespace
GROUP BY c.conrelid, c.conname
HAVING bool_or(a.attname IN ('name', 'email'))
ORDER BY 1, 2
"""

# Every name (and the users' e-mails): trimmed and put in NFC form.
_TEXT_COLUMNS = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND data_type IN ('character varying', 'text')
  AND (column_name = 'name' OR (table_name = 'users' AND column_name = 'email'))
ORDER BY 1, 2
"""


def _sql(sql: str) -> list[tuple]:
    """Run on the driver (same transaction): no bind parameter parsing of `%`."""
    cursor = op.get_bind().connection.driver_connection.execute(sql)  # type: ignore[union-attr]
    return cursor.fetchall() if cursor.description else []


def _text_column(columns: list[str]) -> str:
    return "email" if "email" in columns else "name"


def upgrade() -> None:
    op.add_column("users", sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "token_families",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("current_jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_token_families_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_families")),
    )
    op.create_index(op.f("ix_token_families_user_id"), "token_families", ["user_id"])
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
    for table, column in _sql(_TEXT_COLUMNS):
        _sql(
            f'UPDATE "{table}" SET "{column}" = normalize(btrim("{column}"), NFC)'
            f' WHERE "{column}" IS DISTINCT FROM normalize(btrim("{column}"), NFC)'
        )
    for table, name, columns in _sql(_UNIQUE_ON_TEXT):
        text = _text_column(columns)
        keys = [f"lower({column})" if column == text else f'"{column}"' for column in columns]
        clashes = _sql(
            f"SELECT {', '.join(keys)}, count(*) FROM {table} GROUP BY {', '.join(keys)}"
            " HAVING count(*) > 1 LIMIT 5"
        )
        if clashes:
            listed = "; ".join(", ".join(str(value) for value in row[:-1]) for row in clashes)
            raise RuntimeError(
                f"{table}: rows whose {text} differ only by case or spaces ({listed}); "
                "rename them, then run the migration again"
            )
        op.drop_constraint(name, table, type_="unique")
        _sql(f'CREATE UNIQUE INDEX "{name}" ON {table} ({", ".join(keys)})')


def downgrade() -> None:
    indexes = _sql(
        "SELECT tablename, indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() AND indexname LIKE 'uq\\_%'"
        " AND (indexdef LIKE '%lower(name)%' OR indexdef LIKE '%lower((name)%'"
        " OR indexdef LIKE '%lower((email)%' OR indexdef LIKE '%lower(email)%')"
    )
    for table, name, definition in indexes:
        inside = definition[definition.index("(") + 1 : definition.rindex(")")]
        columns = [
            "email" if "email" in part else "name" if "lower(" in part else part.strip().strip('"')
            for part in inside.split(", ")
        ]
        op.drop_index(name, table_name=table)
        op.create_unique_constraint(name, table, columns)
    op.drop_table("login_failures")
    op.drop_index(op.f("ix_token_families_user_id"), table_name="token_families")
    op.drop_table("token_families")
    op.drop_column("users", "token_version")
