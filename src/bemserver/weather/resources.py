"""/weather_timeseries_by_sites/: which timeseries of a site holds a weather parameter, measured
(forecast false) or forecast. Std CRUD with ETags; PUT takes the whole document."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from sqlalchemy import String, cast

from bemserver.crud.nested import nested
from bemserver.structure.links import (
    ELEMENT_ID,
    OWNER_ID,
    ExtraField,
    OwnerLinks,
    SameCampaign,
    link_resources,
)
from bemserver.timeseries.models import Timeseries
from bemserver.timeseries.schemas import TimeseriesExcludeId
from bemserver.weather.models import WeatherTimeseriesBySite
from bemserver.weather.parameters import PARAMETER_NAMES

Parameter = Literal[PARAMETER_NAMES]  # type: ignore[valid-type]

WEATHER_LINKS = OwnerLinks("timeseries", Timeseries, {"site": WeatherTimeseriesBySite})

(_BY_SITES,) = link_resources(
    WEATHER_LINKS,
    name="weather_timeseries",
    same_campaign=SameCampaign("The timeseries and the {element} belong to different campaigns."),
    layout=("id", "parameter", "timeseries", ELEMENT_ID, OWNER_ID, "forecast"),
    extra={
        "parameter": ExtraField(read=Parameter, write=Parameter, filter=str),
        "timeseries": ExtraField(read=TimeseriesExcludeId),
        "forecast": ExtraField(read=bool, write=bool, filter=bool),
    },
    enrich=nested(Timeseries, TimeseriesExcludeId, "timeseries_id", "timeseries"),
    etag=True,
    paginate=False,
    update=True,
)

# `parameter` filters by name as text: a name that is no parameter lists nothing (no enum cast).
WEATHER_TIMESERIES_BY_SITES = replace(
    _BY_SITES,
    custom_filters={"parameter": lambda name: cast(WeatherTimeseriesBySite.parameter, String) == name},
)

RESOURCES = (WEATHER_TIMESERIES_BY_SITES,)
