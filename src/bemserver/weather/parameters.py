"""The reference's twelve weather parameters, in its enum's order (PostgreSQL sorts by it)."""

from __future__ import annotations

from enum import StrEnum


class WeatherParameter(StrEnum):
    AIR_TEMPERATURE = "AIR_TEMPERATURE"
    DEWPOINT_TEMPERATURE = "DEWPOINT_TEMPERATURE"
    WETBULB_TEMPERATURE = "WETBULB_TEMPERATURE"
    WIND_SPEED = "WIND_SPEED"
    WIND_DIRECTION = "WIND_DIRECTION"
    SURFACE_SOLAR_RADIATION = "SURFACE_SOLAR_RADIATION"
    SURFACE_DIRECT_SOLAR_RADIATION = "SURFACE_DIRECT_SOLAR_RADIATION"
    SURFACE_DIFFUSE_SOLAR_RADIATION = "SURFACE_DIFFUSE_SOLAR_RADIATION"
    DIRECT_NORMAL_SOLAR_RADIATION = "DIRECT_NORMAL_SOLAR_RADIATION"
    RELATIVE_HUMIDITY = "RELATIVE_HUMIDITY"
    SURFACE_PRESSURE = "SURFACE_PRESSURE"
    TOTAL_PRECIPITATION = "TOTAL_PRECIPITATION"


PARAMETER_NAMES = tuple(parameter.value for parameter in WeatherParameter)

# The reference's unit of each parameter (bemserver-core's Oikolab units, as pint symbols): the
# values of a timeseries without a unit are in it, whichever provider they come from.
REFERENCE_UNITS: dict[WeatherParameter, str] = {
    WeatherParameter.AIR_TEMPERATURE: "degC",
    WeatherParameter.DEWPOINT_TEMPERATURE: "degC",
    WeatherParameter.WETBULB_TEMPERATURE: "degC",
    WeatherParameter.WIND_SPEED: "m/s",
    WeatherParameter.WIND_DIRECTION: "degree",
    WeatherParameter.SURFACE_SOLAR_RADIATION: "W/m**2",
    WeatherParameter.SURFACE_DIRECT_SOLAR_RADIATION: "W/m**2",
    WeatherParameter.SURFACE_DIFFUSE_SOLAR_RADIATION: "W/m**2",
    WeatherParameter.DIRECT_NORMAL_SOLAR_RADIATION: "W/m**2",
    WeatherParameter.RELATIVE_HUMIDITY: "",  # a fraction: 0.78
    WeatherParameter.SURFACE_PRESSURE: "Pa",
    WeatherParameter.TOTAL_PRECIPITATION: "mm",
}
