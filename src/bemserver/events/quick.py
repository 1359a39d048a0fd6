"""POST /events/ in one round trip to the database.

One statement, committed on its own (autocommit), checks the token's user (current, active),
their right to create the event (the create rule, on the values), inserts the event, its
notifications and, when mail is on, the job sending their e-mails. Nothing is written unless all
of it is. When it writes nothing (an unknown, inactive or refused caller) or fails (a category or
scope that does not exist), or when extensions must run (AFTER_INSERT), the route as declared
answers, with its own checks and errors, in their order.

On an idle machine each round trip wakes a sleeping database process: with the five of the
declared route (BEGIN, caller, event, notifications, COMMIT), the benchmark's fan-out POST took
8.0 ms, with this one 6.3 ms (docs/performance.md).
"""

from __future__ import annotations

from sqlalchemy import Executable, bindparam, cast, func, insert, or_, select
from sqlalchemy.exc import DataError, IntegrityError
from starlette.requests import Request

from bemserver import permissions
from bemserver.auth.caller import bearer_claims, token_caller, token_values
from bemserver.crud.resource import Item
from bemserver.db.engine import database_of
from bemserver.db.prepared import Shapes
from bemserver.events import models as m
from bemserver.events.service import (
    AFTER_INSERT,
    DEFAULT_NOTIFICATION_LEVEL,
    at_least,
    mail_job,
    notifications,
)
from bemserver.jobs.mail import mail_enabled

_EVENTS = m.Event.__table__
_SHAPES = Shapes()


def _statement(names: tuple[str, ...], told_by_default: bool, mail: bool) -> Executable:
    caller = token_caller().cte("caller")
    values = {name: cast(bindparam(f"v_{name}"), _EVENTS.c[name].type) for name in names}
    allowed = or_(caller.c.is_admin, permissions.create_filter_on(m.Event, values))
    source = select(*values.values()).select_from(caller).where(allowed)
    event = insert(m.Event).from_select(list(names), source).returning(*_EVENTS.c).cte("event")
    notified = notifications(told_by_default, event)
    statement = select(*event.c)
    if not mail:
        return statement.add_cte(notified.cte("notified"))
    made = notified.returning(m.Notification.id).cte("notified")
    jobs = mail_job(made, select(event.c.id).scalar_subquery()).cte("mail_job")
    return statement.add_columns(select(func.count()).select_from(jobs).scalar_subquery().label("_jobs"))


async def create_event(request: Request, values: Item) -> Item | None:
    """The event as inserted, or None for the route as declared (see the module's text)."""
    claims = bearer_claims(request)
    if claims is None or AFTER_INSERT:
        return None
    level = values["level"]
    mail = mail_enabled(request.app.state.settings)
    names = tuple(values)
    told_by_default = at_least(level, DEFAULT_NOTIFICATION_LEVEL)
    prepared = _SHAPES.get((names, told_by_default, mail), lambda: _statement(names, told_by_default, mail))
    assert prepared is not None  # no expanding parameters in it
    params = {f"v_{name}": value for name, value in values.items()} | token_values(claims)
    params |= {"scope_id": values["campaign_scope_id"], "category_id": values["category_id"], "level": level}
    try:
        async with database_of(request).reader() as connection:
            rows = await prepared.rows(connection, params)
    # An error of the statement (no such category, say) wrote nothing: the declared route reports
    # it. A lost connection is not retried there: the statement may have committed.
    except (IntegrityError, DataError):
        return None
    return rows[0] if rows else None
