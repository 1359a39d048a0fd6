"""CheckMissingData and CheckOutliers: one query per check finds, for every timeseries of the
campaign the caller may read, its state in the window and its previous state (its newest event of
the check's two categories, ties broken by the highest event id); the timeseries whose state
changed or stays bad are grouped per campaign scope and case, and each group becomes one event
(at most three per scope), linked to its timeseries, created through events.service.create_event.

Both checks read Raw points in [start, end). Everything happens in the task's transaction: a run
that fails or is killed leaves no event behind, and its retry makes them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, and_, case, cast, func, insert, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on

from bemserver.events.models import Event, EventCategory, TimeseriesByEvent
from bemserver.events.service import create_event
from bemserver.tasks.registry import TaskContext
from bemserver.tasks.sql import campaign_timeseries, valid
from bemserver.timeseries_data.models import TimeseriesData


@dataclass(frozen=True)
class Case:
    key: str
    level: str
    category: str
    description: str  # followed by the timeseries names joined by a bare comma


@dataclass(frozen=True)
class Check:
    source: str
    bad_category: str  # "was bad" when the newest event is of this category
    good_category: str
    new: Case
    still: Case
    back: Case


MISSING = Check(
    source="BEMServer - Check missing data",
    bad_category="Data missing",
    good_category="Data present",
    new=Case("new", "WARNING", "Data missing", "The following timeseries are missing: "),
    still=Case("still", "INFO", "Data missing", "The following timeseries are still missing: "),
    back=Case("back", "INFO", "Data present", "The following timeseries are not missing anymore: "),
)
OUTLIERS = Check(
    source="BEMServer - Check outliers",
    bad_category="Data outliers",
    good_category="No data outliers",
    new=Case("new", "WARNING", "Data outliers", "The following timeseries have outliers: "),
    still=Case("still", "INFO", "Data outliers", "The following timeseries still have outliers: "),
    back=Case("back", "INFO", "No data outliers", "The following timeseries don't have outliers anymore: "),
)


def _previous(check: Check, ts: Any) -> Any:
    """Per timeseries of `ts` with an event of the check's categories: whether its newest one
    (ties broken by the highest id) is the bad category. One pass over their links."""
    link = TimeseriesByEvent
    return (
        select(link.timeseries_id, (EventCategory.name == check.bad_category).label("was_bad"))
        .ext(distinct_on(link.timeseries_id))
        .select_from(link)
        .join(Event, Event.id == link.event_id)
        .join(EventCategory, EventCategory.id == Event.category_id)
        .where(
            link.timeseries_id.in_(select(ts.c.id)),
            EventCategory.name.in_((check.bad_category, check.good_category)),
        )
        .order_by(link.timeseries_id, Event.timestamp.desc(), Event.id.desc())
        .subquery("previous")
    )


def _grouped(check: Check, states: Any) -> Any:
    """Per scope and case: the timeseries ids and names, in id order."""
    case_of = case(
        (and_(states.c.bad, states.c.was_bad.is_(True)), literal(check.still.key)),
        (states.c.bad, literal(check.new.key)),
        (states.c.was_bad.is_(True), literal(check.back.key)),
    ).label("case")
    rows = select(states.c.campaign_scope_id, states.c.id, states.c.name, case_of).subquery("rows")
    return (
        select(
            rows.c.campaign_scope_id,
            rows.c.case,
            func.array_agg(aggregate_order_by(rows.c.id, rows.c.id), type_=ARRAY(Integer)),
            func.string_agg(rows.c.name, aggregate_order_by(literal(","), rows.c.id)),
        )
        .where(rows.c.case.is_not(None))
        .group_by(rows.c.campaign_scope_id, rows.c.case)
        .order_by(rows.c.campaign_scope_id)
    )


def aggregate_order_by(target: Any, order: Any) -> Any:
    from sqlalchemy.dialects.postgresql import aggregate_order_by as ordered

    return ordered(target, order)


async def _raise_events(context: TaskContext, check: Check, groups: list[Any]) -> int:
    rows = await context.session.execute(
        select(EventCategory.name, EventCategory.id).where(
            EventCategory.name.in_((check.bad_category, check.good_category))
        )
    )
    categories = {name: category_id for name, category_id in rows}
    cases = {c.key: c for c in (check.new, check.still, check.back)}
    order = {"new": 0, "still": 1, "back": 2}
    created = 0
    for scope_id, key, ids, names in sorted(groups, key=lambda g: (g[0], order[g[1]])):
        this = cases[key]
        event = await create_event(
            context.session,
            context.settings,
            {
                "campaign_scope_id": scope_id,
                "category_id": categories[this.category],
                "timestamp": context.start,
                "source": check.source,
                "description": this.description + names,
                "level": this.level,
            },
        )
        await context.session.execute(
            insert(TimeseriesByEvent).from_select(
                ["timeseries_id", "event_id"],
                select(func.unnest(cast(ids, ARRAY(Integer))), literal(event["id"])),
            )
        )
        created += 1
    return created


def _counts(context: TaskContext, ts: Any, *aggregates: Any, bounded: bool = False) -> Any:
    """Per Raw series of `ts`, aggregates of its points in [start, end): one scan of the index for
    all the series at once, each heap page read once (not once per series)."""
    d = TimeseriesData
    raw_ids = select(ts.c.raw).where(ts.c.raw.is_not(None))
    points = select(d.series_id, *aggregates)
    if bounded:  # the aggregates compare values with the series' properties
        points = points.join(ts, ts.c.raw == d.series_id)
    return (
        points.where(
            d.series_id == func.any(func.array(raw_ids.scalar_subquery())),
            d.timestamp >= context.start,
            d.timestamp < context.end,
        )
        .group_by(d.series_id)
        .subquery("counts")
    )


def _states(check: Check, ts: Any, counts: Any, bad: Any) -> Any:
    previous = _previous(check, ts)
    return (
        select(ts.c.campaign_scope_id, ts.c.id, ts.c.name, bad.label("bad"), previous.c.was_bad)
        .select_from(ts)
        .outerjoin(counts, counts.c.series_id == ts.c.raw)
        .outerjoin(previous, previous.c.timeseries_id == ts.c.id)
        .subquery("states")
    )


def _materialized(ts: Any) -> Any:
    return select(ts).cte("ts").prefix_with("MATERIALIZED")


async def check_missing_data(context: TaskContext) -> dict[str, Any]:
    ratio = float(context.parameters.get("min_completeness_ratio", 0.9))
    ts = _materialized(campaign_timeseries(context.caller, context.campaign.id, "Interval"))
    seconds = (context.end - context.start).total_seconds()
    counts = _counts(context, ts, func.count(TimeseriesData.value).label("n"))  # NULL is no data
    n = func.coalesce(counts.c.n, 0)
    # With an Interval: count * Interval / window seconds < ratio; without: no point at all.
    bad = case(
        (ts.c.interval.is_not(None), n * ts.c.interval < literal(ratio * seconds, Float)), else_=n == 0
    )
    groups = (await context.session.execute(_grouped(MISSING, _states(MISSING, ts, counts, bad)))).all()
    events = await _raise_events(context, MISSING, groups)
    return {"events_created": events, "timeseries_flagged": sum(len(g[2]) for g in groups if g[1] != "back")}


async def check_outliers(context: TaskContext) -> dict[str, Any]:
    ratio = float(context.parameters.get("min_correctness_ratio", 0.9))
    ts = _materialized(campaign_timeseries(context.caller, context.campaign.id, "Min", "Max"))
    value = TimeseriesData.value
    within = and_(
        valid(value), or_(ts.c.min.is_(None), value >= ts.c.min), or_(ts.c.max.is_(None), value <= ts.c.max)
    )
    counts = _counts(
        context,
        ts,
        func.count().filter(valid(value)).label("n"),  # NULL and NaN are no data
        func.count().filter(within).label("correct"),
        bounded=True,
    )
    n, correct = func.coalesce(counts.c.n, 0), func.coalesce(counts.c.correct, 0)
    # Only timeseries with data are assessed; one flagged before and without data now is cleared.
    bad = and_(n > 0, cast(correct, Float) < n * literal(ratio, Float))
    groups = (await context.session.execute(_grouped(OUTLIERS, _states(OUTLIERS, ts, counts, bad)))).all()
    events = await _raise_events(context, OUTLIERS, groups)
    return {"events_created": events, "timeseries_flagged": sum(len(g[2]) for g in groups if g[1] != "back")}
