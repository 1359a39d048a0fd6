"""The page handlers, each (path, handler); routes.py wraps them with the sign-in guard."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from bemserver.ui.api import ApiError
from bemserver.ui.render import fragment, page, viewer_of

PAGE_SIZE = 50
ELEMENTS = (  # (kind, plural, parent key) of the building tree, top down, then zones
    ("site", "sites", None),
    ("building", "buildings", "site_id"),
    ("storey", "storeys", "building_id"),
    ("space", "spaces", "storey_id"),
    ("zone", "zones", None),
)
KINDS = {kind: plural for kind, plural, _ in ELEMENTS}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
BUCKET_UNITS = ("second", "minute", "hour", "day", "week", "month", "year")
AGGREGATIONS = ("avg", "sum", "min", "max", "count")

Text = Annotated[str | None, Query(max_length=200)]
OptionalId = Annotated[str | None, Query(max_length=12)]  # an id, or "" from an empty select


def _id(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and 0 < int(text) < 2**31 else None


async def home(request: Request) -> Response:
    viewer, api = await viewer_of(request)
    return await page(request, viewer, api, "home.html")


async def campaign_home(request: Request, campaign_id: int) -> Response:
    return RedirectResponse(f"/ui/campaigns/{campaign_id}/explorer", status_code=303)


async def building(request: Request, campaign_id: int) -> Response:
    viewer, api = await viewer_of(request)
    campaign = await api.get(f"/campaigns/{campaign_id}")
    lists = await asyncio.gather(
        *(api.all(f"/{plural}/", campaign_id=campaign_id) for _, plural, _ in ELEMENTS)
    )
    found = {kind: items for (kind, _, _), items in zip(ELEMENTS, lists, strict=True)}

    def children(kind: str, parent_key: str, parent_id: int) -> list[dict[str, Any]]:
        return [item for item in found[kind] if item.get(parent_key) == parent_id]

    tree = [
        {
            **site,
            "children": [
                {
                    **one,
                    "children": [
                        {**storey, "children": children("space", "storey_id", storey["id"])}
                        for storey in children("storey", "building_id", one["id"])
                    ],
                }
                for one in children("building", "site_id", site["id"])
            ],
        }
        for site in found["site"]
    ]
    return await page(
        request, viewer, api, "building.html", campaign, tree=tree, zones=found["zone"], section="building"
    )


async def building_element(request: Request, campaign_id: int, kind: str, element_id: int) -> Response:
    viewer, api = await viewer_of(request)
    if kind not in KINDS:
        return Response(status_code=404)
    element = await api.get(f"/{KINDS[kind]}/{element_id}")
    if element.get("campaign_id", campaign_id) != campaign_id and kind in ("site", "zone"):
        return Response(status_code=404)
    values, properties, enabled, (series, pagination) = await asyncio.gather(
        api.all(f"/{kind}_property_data/", **{f"{kind}_id": element_id}),
        api.all("/structural_element_properties/"),
        api.all(f"/{kind}_properties/"),
        api.page("/timeseries/", campaign_id=campaign_id, page_size=PAGE_SIZE, **{f"{kind}_id": element_id}),
    )
    by_id = {item["id"]: item for item in properties}
    enabled_to_property = {item["id"]: by_id.get(item["structural_element_property_id"]) for item in enabled}
    shown = [
        {"property": enabled_to_property.get(value[f"{kind}_property_id"]) or {}, "value": value["value"]}
        for value in values
    ]
    return fragment(
        request,
        viewer,
        "building_element.html",
        kind=kind,
        element=element,
        values=shown,
        series=series,
        total=pagination.get("total", len(series)),
        campaign_id=campaign_id,
    )


async def _scopes(api: Any, campaign_id: int) -> list[dict[str, Any]]:
    return await api.all("/campaign_scopes/", campaign_id=campaign_id)


def _properties(text: str | None) -> str | None:
    """ "Name=value; Other=value" as the API's JSON object of property values."""
    if not text or "=" not in text:
        return None
    import json

    pairs = [part.split("=", 1) for part in text.split(";") if "=" in part]
    return json.dumps({name.strip(): value.strip() for name, value in pairs})


async def _timeseries_rows(
    api: Any,
    campaign_id: int,
    in_name: str | None,
    unit: str | None,
    scope: str | None,
    location: str | None,
    properties: str | None,
    page_number: int,
) -> dict[str, Any]:
    params: dict[str, Any] = {"campaign_id": campaign_id, "page": page_number, "page_size": PAGE_SIZE}
    params |= {"in_name": in_name or None, "unit_symbol": unit or None, "campaign_scope_id": _id(scope)}
    if location and ":" in location:
        kind, _, element = location.partition(":")
        if kind in KINDS and element.isdigit():
            params[f"recurse_{kind}_id" if kind in ("site", "building", "storey") else f"{kind}_id"] = element
    params["properties"] = _properties(properties)
    rows, pagination = await api.page("/timeseries/", **params)
    return {"rows": rows, "pagination": pagination, "page_number": page_number}


async def timeseries(
    request: Request,
    campaign_id: int,
    in_name: Text = None,
    unit: Text = None,
    scope: OptionalId = None,
    location: Text = None,
    properties: Text = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=10**6)] = 1,
) -> Response:
    viewer, api = await viewer_of(request)
    listed, scopes = await asyncio.gather(
        _timeseries_rows(api, campaign_id, in_name, unit, scope, location, properties, page_number),
        _scopes(api, campaign_id),
    )
    scope_names = {item["id"]: item["name"] for item in scopes}
    if request.headers.get("hx-request"):
        return fragment(
            request,
            viewer,
            "timeseries_rows.html",
            campaign_id=campaign_id,
            scope_names=scope_names,
            **listed,
        )
    campaign = await api.get(f"/campaigns/{campaign_id}")
    lists = await asyncio.gather(
        *(api.all(f"/{plural}/", campaign_id=campaign_id) for _, plural, _ in ELEMENTS)
    )
    locations = [(kind, item) for (kind, _, _), items in zip(ELEMENTS, lists, strict=True) for item in items]
    filters = {
        "in_name": in_name,
        "unit": unit,
        "scope": _id(scope),
        "location": location,
        "properties": properties,
    }
    return await page(
        request,
        viewer,
        api,
        "timeseries.html",
        campaign,
        scopes=scopes,
        scope_names=scope_names,
        campaign_id=campaign_id,
        locations=locations,
        filters=filters,
        section="timeseries",
        **listed,
    )


async def explorer(request: Request, campaign_id: int) -> Response:
    viewer, api = await viewer_of(request)
    campaign = await api.get(f"/campaigns/{campaign_id}")
    states = await api.all("/timeseries_data_states/")
    return await page(
        request,
        viewer,
        api,
        "explorer.html",
        campaign,
        states=states,
        bucket_units=BUCKET_UNITS,
        aggregations=AGGREGATIONS,
        section="explorer",
    )


async def completeness(request: Request, campaign_id: int) -> Response:
    viewer, api = await viewer_of(request)
    campaign = await api.get(f"/campaigns/{campaign_id}")
    states = await api.all("/timeseries_data_states/")
    end = date.today()
    if campaign.get("end_time"):
        end = min(end, date.fromisoformat(campaign["end_time"][:10]))
    start = end - timedelta(days=90)
    return await page(
        request,
        viewer,
        api,
        "completeness.html",
        campaign,
        states=states,
        start=start.isoformat(),
        end=end.isoformat(),
        section="completeness",
    )


async def energy(request: Request, campaign_id: int) -> Response:
    viewer, api = await viewer_of(request)
    campaign = await api.get(f"/campaigns/{campaign_id}")
    sites, buildings, states, properties, energies, uses, technologies = await asyncio.gather(
        api.all("/sites/", campaign_id=campaign_id),
        api.all("/buildings/", campaign_id=campaign_id),
        api.all("/timeseries_data_states/"),
        api.all("/structural_element_properties/"),
        api.all("/energies/"),
        api.all("/energy_end_uses/"),
        api.all("/energy_production_technologies/"),
    )
    places = [("site", item) for item in sites] + [("building", item) for item in buildings]
    numeric = [item for item in properties if item.get("value_type") in ("integer", "float")]
    names = {
        "energies": {item["id"]: item["name"] for item in energies},
        "end_uses": {item["id"]: item["name"] for item in uses},
        "technologies": {item["id"]: item["name"] for item in technologies},
    }
    end = date.today().replace(day=1)
    start = end.replace(year=end.year - 1)
    return await page(
        request,
        viewer,
        api,
        "energy.html",
        campaign,
        places=places,
        states=states,
        properties=numeric,
        names=names,
        start=start.isoformat(),
        end=end.isoformat(),
        section="energy",
    )


async def tasks(
    request: Request,
    campaign_id: int,
    status: Annotated[str | None, Query(pattern="^(queued|running|succeeded|failed)?$")] = None,
) -> Response:
    viewer, api = await viewer_of(request)
    campaign = await api.get(f"/campaigns/{campaign_id}")
    scheduled, catalogue = await asyncio.gather(
        api.get_or_none("/tasks_by_campaigns/", campaign_id=campaign_id), api.get("/tasks/")
    )
    try:
        runs, pagination = await api.page(
            "/task_runs/", campaign_id=campaign_id, status=status or None, page_size=PAGE_SIZE
        )
    except ApiError:
        runs, pagination = None, {}
    return await page(
        request,
        viewer,
        api,
        "tasks.html",
        campaign,
        scheduled=scheduled,
        catalogue=catalogue,
        offset_units=BUCKET_UNITS,
        runs=runs,
        total=pagination.get("total", 0),
        status=status,
        section="tasks",
    )


async def import_page(request: Request, campaign_id: int) -> Response:
    viewer, api = await viewer_of(request)
    campaign = await api.get(f"/campaigns/{campaign_id}")
    states = await api.all("/timeseries_data_states/")
    return await page(request, viewer, api, "import.html", campaign, states=states, section="import")


async def events(
    request: Request,
    campaign_id: int,
    level_min: Annotated[str | None, Query(pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)?$")] = None,
    category: OptionalId = None,
    scope: OptionalId = None,
    source: Text = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=10**6)] = 1,
) -> Response:
    viewer, api = await viewer_of(request)
    params = {"campaign_id": campaign_id, "level_min": level_min or None, "category_id": _id(category)}
    params |= {"campaign_scope_id": _id(scope), "in_source": source or None, "sort": "-timestamp"}
    rows, pagination = await api.page("/events/", page=page_number, page_size=PAGE_SIZE, **params)
    categories = {item["id"]: item for item in await api.all("/event_categories/")}
    scopes = await _scopes(api, campaign_id)
    context = {
        "rows": rows,
        "pagination": pagination,
        "page_number": page_number,
        "categories": categories,
        "scope_names": {item["id"]: item["name"] for item in scopes},
        "campaign_id": campaign_id,
    }
    if request.headers.get("hx-request"):
        return fragment(request, viewer, "events_rows.html", **context)
    campaign = await api.get(f"/campaigns/{campaign_id}")
    filters = {"level_min": level_min, "category": _id(category), "scope": _id(scope), "source": source}
    return await page(
        request,
        viewer,
        api,
        "events.html",
        campaign,
        scopes=scopes,
        levels=LEVELS,
        filters=filters,
        section="events",
        **context,
    )


async def event_links(request: Request, campaign_id: int, event_id: int) -> Response:
    viewer, api = await viewer_of(request)
    event = await api.get(f"/events/{event_id}")
    linked = await asyncio.gather(
        api.all("/timeseries/", event_id=event_id),
        *(api.all(f"/events_by_{plural}/", event_id=event_id) for _, plural, _ in ELEMENTS),
    )
    places = []
    for (kind, plural, _), links in zip(ELEMENTS, linked[1:], strict=True):
        for link in links:
            places.append((kind, plural, link.get(f"{kind}_id"), (link.get(kind) or {}).get("name")))
    return fragment(
        request,
        viewer,
        "event_links.html",
        event=event,
        series=linked[0],
        places=places,
        campaign_id=campaign_id,
    )


async def notifications(request: Request) -> Response:
    viewer, api = await viewer_of(request)
    rows, pagination = await api.page(
        "/notifications/", user_id=viewer.user["id"], page_size=10, sort="-timestamp"
    )
    return fragment(request, viewer, "notifications.html", rows=rows, total=pagination.get("total", 0))


# The fields of each section's edit form (PUT with If-Match), beyond the creation form's: the
# user's flags go through their own routes (PUT /users/<id>/set_admin, /set_active).
EDITS: dict[str, tuple[str, ...]] = {
    "users": ("name", "email", "password", "is_admin", "is_active"),
    "groups": ("name",),
    "campaigns": ("name", "description", "timezone", "start_time", "end_time"),
    "scopes": ("name", "description"),
}
FLAGS = {"is_admin": "set_admin", "is_active": "set_active"}


ADMIN_SECTIONS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    # section: (title, API list path, columns shown, fields of the creation form)
    "users": (
        "Users",
        "/users/",
        ("id", "name", "email", "is_admin", "is_active"),
        ("name", "email", "password"),
    ),
    "groups": ("User groups", "/user_groups/", ("id", "name"), ("name",)),
    "memberships": (
        "Group memberships",
        "/users_by_user_groups/",
        ("id", "user_id", "user_group_id"),
        ("user_id", "user_group_id"),
    ),
    "campaigns": (
        "Campaigns",
        "/campaigns/",
        ("id", "name", "description", "start_time", "end_time", "timezone"),
        ("name", "description", "timezone"),
    ),
    "scopes": (
        "Campaign scopes",
        "/campaign_scopes/",
        ("id", "name", "description", "campaign_id"),
        ("name", "description", "campaign_id"),
    ),
    "campaign_groups": (
        "Groups of campaigns",
        "/user_groups_by_campaigns/",
        ("id", "user_group_id", "campaign_id"),
        ("user_group_id", "campaign_id"),
    ),
    "scope_groups": (
        "Groups of campaign scopes",
        "/user_groups_by_campaign_scopes/",
        ("id", "user_group_id", "campaign_scope_id"),
        ("user_group_id", "campaign_scope_id"),
    ),
}


async def admin(request: Request, section: str = "users") -> Response:
    viewer, api = await viewer_of(request)
    if not viewer.is_admin or section not in ADMIN_SECTIONS:
        return await page(
            request, viewer, api, "error.html", message="Administrators only.", status=403, status_code=403
        )
    title, path, columns, creates = ADMIN_SECTIONS[section]
    rows = await api.all(path)
    return await page(
        request,
        viewer,
        api,
        "admin.html",
        None,
        sections=ADMIN_SECTIONS,
        current=section,
        title=title,
        path=path,
        columns=columns,
        creates=creates,
        edits=EDITS.get(section, ()),
        flags=FLAGS,
        rows=rows,
        section="admin",
    )


PAGES = (
    ("/ui/", home),
    ("/ui/campaigns/{campaign_id:int}", campaign_home),
    ("/ui/campaigns/{campaign_id:int}/building", building),
    ("/ui/campaigns/{campaign_id:int}/building/{kind}/{element_id:int}", building_element),
    ("/ui/campaigns/{campaign_id:int}/timeseries", timeseries),
    ("/ui/campaigns/{campaign_id:int}/explorer", explorer),
    ("/ui/campaigns/{campaign_id:int}/import", import_page),
    ("/ui/campaigns/{campaign_id:int}/completeness", completeness),
    ("/ui/campaigns/{campaign_id:int}/energy", energy),
    ("/ui/campaigns/{campaign_id:int}/tasks", tasks),
    ("/ui/campaigns/{campaign_id:int}/events", events),
    ("/ui/campaigns/{campaign_id:int}/events/{event_id:int}/links", event_links),
    ("/ui/notifications", notifications),
    ("/ui/admin", admin),
    ("/ui/admin/{section}", admin),
)
