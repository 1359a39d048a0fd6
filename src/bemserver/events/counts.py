"""The total and the search of a page of GET /events/ through the kept counts (event_counts).

When a list is filtered by no more than campaign, scope, level and time range, every event of a
(scope, level, UTC day) row of event_counts whose day lies wholly in the range matches:

- the total is the sum of those rows' counts, plus the matches counted in `events` on the partial
  days at the range's ends (an index range each);
- the first page by id (no `sort`) needs the k = offset + limit smallest matching ids. Taking whole
  days by growing `max_id` until their counts reach k gives a bound B: at least k matches have an
  id <= B, so the page has none above it; and a match with an id <= B lies in a day whose `min_id`
  <= B. The search is narrowed to those ids and the span of those days, which (events coming in
  roughly in time order) is a day or two instead of the whole range. Bounds are never tighter than
  the truth (deletes leave them), so the narrowing never loses a match; without enough whole days
  it narrows nothing.

Both are SQL in the list's own statement: one snapshot for the page and its total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, DateTime, Integer, bindparam, cast, func, literal, select

from bemserver.auth.caller import Caller
from bemserver.campaigns.models import CampaignScope
from bemserver.crud.resource import Narrowed, Narrowing
from bemserver.events import models as m
from bemserver.permissions import scope_ids_of_user

COUNTED = frozenset(
    {"campaign_id", "campaign_scope_id", "level", "level_min", "timestamp_min", "timestamp_max"}
)
DAY = dt.timedelta(days=1)
LAST_ID = 2**31 - 1
_MOMENT = DateTime(timezone=True)


def _floor(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil(moment: dt.datetime) -> dt.datetime:
    floor = _floor(moment)
    return floor if floor == moment else floor + DAY


def _count_rows(names: frozenset[str], caller: Caller) -> list[ColumnElement[bool]]:
    """The event_counts rows of the filters' scopes and levels (and the caller's scopes)."""
    c = m.EventCount
    conditions: list[ColumnElement[bool]] = []
    if "campaign_id" in names:
        scopes = select(CampaignScope.id).where(CampaignScope.campaign_id == bindparam("f_campaign_id"))
        conditions.append(c.campaign_scope_id.in_(scopes))
    if "campaign_scope_id" in names:
        conditions.append(c.campaign_scope_id == bindparam("f_campaign_scope_id"))
    if "level" in names:
        conditions.append(c.level == bindparam("f_level"))
    if "level_min" in names:
        conditions.append(c.level >= bindparam("f_level_min"))
    if not caller.is_admin:  # the read rule of events (rules.py): members of their scope
        conditions.append(c.campaign_scope_id.in_(scope_ids_of_user(caller.id)))
    return conditions


def plan(values: dict[str, Any]) -> tuple[Hashable, dict[str, Any]] | None:
    """Whether the counts serve these filters (None: the plain way), and the whole days' bounds."""
    if not values.keys() <= COUNTED:
        return None
    low, high = values.get("timestamp_min"), values.get("timestamp_max")
    first = _ceil(low) if low is not None else None  # the first whole day
    end = _floor(high) if high is not None else None  # the end of the last whole day
    if first is not None and end is not None and first >= end:
        return None  # no whole day: the plain count reads less than a day
    bounds = {"n_low": _floor(low), "n_first": first} if low is not None else {}
    if end is not None:
        bounds["n_end"] = end
    return "counts", bounds  # the SQL follows the filters' names, already in the shape's key


def build(
    names: frozenset[str], sort: str | None, caller: Caller, clauses: list[ColumnElement[bool]]
) -> Narrowed:
    """The total (and, without `sort`, the narrowing of the search), the filters' values and the
    days' bounds as placeholders. `clauses`: the list's own conditions on `events`."""
    c, event = m.EventCount, m.Event
    low, high = "timestamp_min" in names, "timestamp_max" in names
    first, end = bindparam("n_first", type_=_MOMENT), bindparam("n_end", type_=_MOMENT)
    overlapping = _count_rows(names, caller)
    if low:
        overlapping.append(c.day >= bindparam("n_low", type_=_MOMENT))
    if high:
        overlapping.append(c.day <= bindparam("f_timestamp_max", type_=_MOMENT))
    buckets = select(c.day, c.count, c.min_id, c.max_id).where(*overlapping).cte("buckets")
    whole = [buckets.c.day >= first] if low else []
    if high:
        whole.append(buckets.c.day < end)
    summed = func.coalesce(func.sum(buckets.c.count), 0)
    total: ColumnElement[Any] = cast(select(summed).where(*whole).scalar_subquery(), BigInteger)
    for edge in ([event.timestamp < first] if low else []) + ([event.timestamp >= end] if high else []):
        total = total + _count(clauses, edge)
    if sort:
        return Narrowed(total, [])
    return Narrowed(total, _page_search(buckets, whole))


NARROWING = Narrowing(plan, build)


def _count(clauses: list[ColumnElement[bool]], edge: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(m.Event).where(*clauses, edge).correlate(None).scalar_subquery()


def _page_search(buckets: Any, whole: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """Conditions keeping the first page's matches: id <= B, and the span of the days that may
    hold such ids (nothing narrowed when whole days hold fewer than offset + limit matches)."""
    wanted = bindparam("limit", type_=Integer) + bindparam("offset", type_=Integer)
    running = (
        select(buckets.c.max_id, func.sum(buckets.c.count).over(order_by=buckets.c.max_id).label("running"))
        .where(*whole)
        .subquery("running")
    )
    bound = select(func.min(running.c.max_id).label("id")).where(running.c.running >= wanted).cte("bound")
    last = select(bound.c.id).scalar_subquery()
    near = buckets.c.min_id <= last
    span = select(func.min(buckets.c.day).label("start"), func.max(buckets.c.day).label("day")).where(near)
    days = span.cte("span")
    earliest = select(days.c.start).scalar_subquery()
    latest = select(days.c.day + literal(DAY)).scalar_subquery()
    event = m.Event
    return [
        event.id <= func.coalesce(last, LAST_ID),
        event.timestamp >= func.coalesce(earliest, cast(literal("-infinity"), _MOMENT)),
        event.timestamp < func.coalesce(latest, cast(literal("infinity"), _MOMENT)),
    ]
