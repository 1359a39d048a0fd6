"""Bulk set-up of the events workload by direct SQL (1,000,000 events would take hours through the API).

It works on any schema whose events and notifications tables have the reference's column names
(core behaviour document: events.campaign_scope_id, category_id, timestamp, source, level;
notifs.user_id, event_id, timestamp, read), ours (`events`, `notifications`) and the reference's
(`events`, `notifs`) alike: the tables are found by their columns, and each bulk row copies a
template row that the benchmark created through the API, so every other column (the level's type,
a denormalised campaign id...) gets the value the server itself chose."""

from __future__ import annotations

import datetime as dt
from typing import Any

EVENT_COLUMNS = {"campaign_scope_id", "category_id", "timestamp", "source", "level"}
NOTIFICATION_COLUMNS = {"user_id", "event_id", "timestamp", "read"}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
STEP_SECONDS = 30  # bulk event i is at START + 30 s x i


def libpq_url(url: str) -> str:
    """postgresql+psycopg://... (SQLAlchemy's form, as in BEMSERVER_DATABASE_URL) -> postgresql://..."""
    scheme, sep, rest = url.partition("://")
    return scheme.split("+")[0] + sep + rest if sep else url


def connect(url: str) -> Any:
    import psycopg  # optional: only the bulk set-up needs it

    return psycopg.connect(libpq_url(url), autocommit=True)


def table_with(connection: Any, columns: set[str]) -> str:
    """The table of the current schema that has all `columns` (the smallest name when several do)."""
    rows = connection.execute(
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_name = ANY(%s)"
        " GROUP BY table_name HAVING count(*) = %s ORDER BY length(table_name), table_name",
        (sorted(columns), len(columns)),
    ).fetchall()
    if not rows:
        raise LookupError(f"no table with the columns {', '.join(sorted(columns))}")
    return rows[0][0]


def copied_columns(connection: Any, table: str, replaced: set[str]) -> list[str]:
    """The columns a bulk row copies from its template: all but the key, generated ones and `replaced`."""
    rows = connection.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s"
        " AND is_generated = 'NEVER' AND is_identity = 'NO' AND column_name <> 'id'"
        " ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [name for (name,) in rows if name not in replaced]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def event_index(scope_index: int, level_index: int) -> int:
    """The template of scope 0 or 1 and a level: 0..9."""
    return scope_index * len(LEVELS) + level_index


def bulk_level(i: int) -> int:
    """The level index of bulk event i (i even: the first scope, i odd: the second)."""
    return (i // 2) % len(LEVELS)


def insert_events(
    connection: Any, templates: list[int], count: int, start: dt.datetime, source: str
) -> tuple[str, float]:
    """`count` events copied from the 10 templates (event_index order); returns the table and the time taken."""
    table = table_with(connection, EVENT_COLUMNS)
    columns = copied_columns(connection, table, {"timestamp", "source"})
    names = ", ".join(quoted(c) for c in columns)
    copied = ", ".join(f"t.{quoted(c)}" for c in columns)
    started = dt.datetime.now()
    connection.execute(
        f'INSERT INTO {quoted(table)} ({names}, "timestamp", source)'
        f" SELECT {copied}, %(start)s + g.i * make_interval(secs => %(step)s), %(source)s"
        f" FROM generate_series(0, %(count)s - 1) AS g(i)"
        f" JOIN unnest(%(ids)s::int[]) WITH ORDINALITY AS p(id, k)"
        f" ON p.k - 1 = (g.i %% 2) * {len(LEVELS)} + (g.i / 2) %% {len(LEVELS)}"
        f" JOIN {quoted(table)} AS t ON t.id = p.id ORDER BY g.i",
        {"start": start, "step": STEP_SECONDS, "source": source, "count": count, "ids": templates},
    )
    vacuum_analyze(connection, table)
    return table, (dt.datetime.now() - started).total_seconds()


def vacuum_analyze(connection: Any, table: str) -> None:
    """What autovacuum would soon do after a bulk load on a live server: statistics for the planner,
    and the visibility map that lets index-only scans skip the table's pages."""
    connection.execute(f"VACUUM (ANALYZE) {quoted(table)}")


def insert_notifications(
    connection: Any, first_scope: int, templates: tuple[int, int], count: int, source: str
) -> tuple[str, float]:
    """`count` notifications, one for each of the first `count` bulk events, each copied from the
    template notification of its event's scope (templates: first scope's, second scope's)."""
    events = table_with(connection, EVENT_COLUMNS)
    table = table_with(connection, NOTIFICATION_COLUMNS)
    columns = copied_columns(connection, table, {"event_id", "timestamp"})
    names = ", ".join(quoted(c) for c in columns)
    copied = ", ".join(f"t.{quoted(c)}" for c in columns)
    started = dt.datetime.now()
    connection.execute(
        f'WITH picked AS (SELECT id, campaign_scope_id, "timestamp" FROM {quoted(events)}'
        f" WHERE source = %(source)s ORDER BY id LIMIT %(count)s)"
        f' INSERT INTO {quoted(table)} ({names}, event_id, "timestamp")'
        f' SELECT {copied}, picked.id, picked."timestamp" FROM picked'
        f" JOIN {quoted(table)} AS t ON t.id = CASE WHEN picked.campaign_scope_id = %(scope)s"
        f" THEN %(first)s ELSE %(second)s END ORDER BY picked.id",
        {
            "source": source,
            "count": count,
            "scope": first_scope,
            "first": templates[0],
            "second": templates[1],
        },
    )
    vacuum_analyze(connection, table)
    return table, (dt.datetime.now() - started).total_seconds()


def delete_rows(connection: Any, scopes: list[int], users: list[int]) -> None:
    """Removes the benchmark's events and notifications (the reference would load 1,000,000 events
    into its ORM to delete a campaign).

    The events go without their foreign-key checks when the role may skip them (a superuser, as on the
    reference's and the embedded databases): the reference has no index on notifs.event_id, so each of
    the 1,000,000 checks would scan the notifications. Otherwise they go after a VACUUM of those."""
    events = table_with(connection, EVENT_COLUMNS)
    notifications = table_with(connection, NOTIFICATION_COLUMNS)
    connection.execute(
        f"DELETE FROM {quoted(notifications)} WHERE user_id = ANY(%(users)s)"
        f" OR event_id IN (SELECT id FROM {quoted(events)} WHERE campaign_scope_id = ANY(%(scopes)s))",
        {"users": users, "scopes": scopes},
    )
    superuser = connection.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if not (superuser and superuser[0]):
        connection.execute(f"VACUUM {quoted(notifications)}")
    with connection.transaction():
        if superuser and superuser[0]:
            connection.execute("SET LOCAL session_replication_role = replica")  # no trigger, no FK check
        connection.execute(f"DELETE FROM {quoted(events)} WHERE campaign_scope_id = ANY(%s)", (scopes,))


def expected_page_total(count: int, first: int, last: int, level_min: int) -> int:
    """How many bulk events of the first scope with a level index >= level_min lie in [first, last]."""
    last = min(last, count - 1)
    return sum(1 for i in range(first, last + 1) if i % 2 == 0 and bulk_level(i) >= level_min)
