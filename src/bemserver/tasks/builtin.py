"""The four tasks of the reference (bemserver-core §4.2), with their default parameters and schedules."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from bemserver.tasks.checks import check_missing_data, check_outliers
from bemserver.tasks.cleanup import cleanup
from bemserver.tasks.registry import TaskContext, business_task
from bemserver.tasks.weather import download_weather_data

Ratio = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoParameters(Parameters):
    pass


class MissingDataParameters(Parameters):
    min_completeness_ratio: Ratio = 0.9


class OutliersParameters(Parameters):
    min_correctness_ratio: Ratio = 0.9


class WeatherParameters(Parameters):
    sites: list[Annotated[str, Field(max_length=80)]] = []
    forecast: bool = False


EVERY_10_MINUTES = "*/10 * * * *"
DAILY = "0 2 * * *"  # 02:00 UTC, when the previous day is complete everywhere in Europe


@business_task("CheckMissingData", parameters=MissingDataParameters, schedule=DAILY)
async def _check_missing_data(context: TaskContext) -> dict[str, Any]:
    return await check_missing_data(context)


@business_task("CheckOutliers", parameters=OutliersParameters, schedule=DAILY)
async def _check_outliers(context: TaskContext) -> dict[str, Any]:
    return await check_outliers(context)


@business_task("Cleanup", parameters=NoParameters, schedule=EVERY_10_MINUTES)
async def _cleanup(context: TaskContext) -> dict[str, Any]:
    return await cleanup(context)


@business_task("DownloadWeatherData", parameters=WeatherParameters, schedule=DAILY)
async def _download_weather_data(context: TaskContext) -> dict[str, Any]:
    return await download_weather_data(context)
