"""The building tree registry and the link factory, without a database: what they derive.

The link factory is exercised with owners this server does not serve yet (events, energy and weather
timeseries), on throwaway tables, to show it declares their documents in the reference's field order.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ForeignKey
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bemserver.structure import models as m
from bemserver.structure import tree as t
from bemserver.structure.links import (
    ELEMENT_ID,
    LOCATIONS,
    OWNER_ID,
    ExtraField,
    OwnerLinks,
    SameCampaign,
    link_resources,
)
from bemserver.timeseries.links import TIMESERIES_LINKS


def sql(condition: Any) -> str:
    return str(condition.compile(dialect=postgresql.dialect()))


class TestTree:
    def test_chains_run_from_the_top(self):
        assert t.SPACE.chain == (t.SITE, t.BUILDING, t.STOREY, t.SPACE)
        assert t.ZONE.chain == (t.ZONE,)
        assert t.STOREY.ancestors == (t.SITE, t.BUILDING)

    def test_descendants_and_elements_with_children(self):
        assert t.descendants(t.SITE) == (t.BUILDING, t.STOREY, t.SPACE)
        assert t.descendants(t.ZONE) == ()
        assert t.WITH_CHILDREN == (t.SITE, t.BUILDING, t.STOREY)

    def test_parent_links_for_permission_inheritance(self):
        assert t.parent_link(t.SITE) is None
        assert t.parent_link(t.ZONE) is None
        column, parent = t.parent_link(t.STOREY)
        assert column is m.Storey.building_id
        assert parent is m.Building

    def test_descendant_filters_name_the_ancestors_above_the_parent(self):
        assert set(t.descendant_filters(t.SITE)) == set()
        assert set(t.descendant_filters(t.BUILDING)) == {"campaign_id"}
        assert set(t.descendant_filters(t.SPACE)) == {"campaign_id", "site_id", "building_id"}

    def test_a_descendant_filter_nests_one_select_per_level_crossed(self):
        text = sql(t.descendant_filters(t.SPACE)["campaign_id"](1))
        assert text.count("SELECT") == 3
        assert "sites.campaign_id" in text

    def test_nested_documents_are_the_read_documents_without_id(self):
        assert t.SITE.nested.__name__ == "SiteExcludeId"
        assert list(t.SITE.nested.model_fields) == [
            "name",
            "latitude",
            "longitude",
            "description",
            "ifc_id",
            "campaign_id",
        ]

    def test_campaign_of_a_space_joins_up_to_its_site(self):
        text = sql(t.campaign_of(t.SPACE, 5))
        assert text.startswith("SELECT sites.campaign_id")
        assert text.count("JOIN") == 3


class TestOwnerLinks:
    def test_timeseries_location_filters_in_the_reference_order(self):
        assert list(TIMESERIES_LINKS.location_filters()) == [
            "site_id",
            "recurse_site_id",
            "building_id",
            "recurse_building_id",
            "storey_id",
            "recurse_storey_id",
            "space_id",
            "zone_id",
        ]
        assert TIMESERIES_LINKS.location_refs()["recurse_building_id"] is m.Building

    def test_recurse_site_id_looks_at_all_four_link_tables(self):
        text = sql(TIMESERIES_LINKS.location_filters()["recurse_site_id"](1))
        assert text.count("UNION") == 3


# -- owners to come: throwaway tables ---------------------------------------------------------------


class Throwaway(DeclarativeBase):
    pass


class Event(Throwaway):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int]


class EventBySite(Throwaway):
    __tablename__ = "events_by_sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    site_id: Mapped[int]


class EventByStorey(Throwaway):
    __tablename__ = "events_by_storeys"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    storey_id: Mapped[int]


class Series(Throwaway):
    __tablename__ = "series"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int]


class EnergyBySite(Throwaway):
    __tablename__ = "energy_by_sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    timeseries_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    site_id: Mapped[int]
    energy_id: Mapped[int]
    end_use_id: Mapped[int]


class WeatherBySite(Throwaway):
    __tablename__ = "weather_by_sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    timeseries_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    site_id: Mapped[int]
    parameter: Mapped[str]
    forecast: Mapped[bool]


def fields(model: Any) -> list[str]:
    return list(model.model_fields)


class TestLinkFactory:
    def test_event_links_as_in_the_reference(self):
        links = OwnerLinks("event", Event, {"site": EventBySite, "storey": EventByStorey})
        by_site, by_storey = link_resources(
            links,
            plural="events",
            same_campaign=SameCampaign("Event and {element} must be in same campaign"),
            layout=("id", LOCATIONS, OWNER_ID, ELEMENT_ID),
        )
        assert (by_storey.path, by_storey.name, by_storey.tag) == (
            "/events_by_storeys/",
            "event_by_storey",
            "EventByStorey",
        )
        assert fields(by_storey.read) == ["id", "site", "building", "storey", "event_id", "storey_id"]
        assert fields(by_storey.create) == ["event_id", "storey_id"]
        assert fields(by_storey.filters) == ["storey_id", "event_id"]
        assert (by_site.update, by_site.etag, by_site.paginate) == (None, False, True)
        assert by_site.hooks.before_write is not None
        assert list(links.location_filters()) == [
            "site_id",
            "recurse_site_id",
            "storey_id",
            "recurse_storey_id",
        ]

    def test_energy_links_carry_extra_ids_and_a_nested_timeseries(self):
        links = OwnerLinks("timeseries", Series, {"site": EnergyBySite})
        (by_site,) = link_resources(
            links,
            name="energy_consumption_timeseries",
            same_campaign=SameCampaign("The timeseries and the {element} belong to different campaigns."),
            layout=("id", "timeseries", ELEMENT_ID, "energy_id", "end_use_id", OWNER_ID),
            extra={
                "timeseries": ExtraField(read=dict),
                "energy_id": ExtraField(read=int, write=int, filter=int),
                "end_use_id": ExtraField(read=int, write=int, filter=int),
            },
            etag=True,
            paginate=False,
            update=True,
        )
        assert by_site.path == "/energy_consumption_timeseries_by_sites/"
        assert by_site.tag == "EnergyConsumptionTimeseriesBySite"
        assert fields(by_site.read) == [
            "id",
            "timeseries",
            "site_id",
            "energy_id",
            "end_use_id",
            "timeseries_id",
        ]
        assert fields(by_site.create) == ["site_id", "energy_id", "end_use_id", "timeseries_id"]
        assert by_site.update is by_site.create
        assert fields(by_site.filters) == ["site_id", "energy_id", "end_use_id", "timeseries_id"]
        assert by_site.hooks.enrich is None  # the nested timeseries is the owner's own enrich hook

    def test_weather_links_with_an_optional_extra_field(self):
        links = OwnerLinks("timeseries", Series, {"site": WeatherBySite})
        parameter = Literal["AIR_TEMPERATURE", "WIND_SPEED"]
        (by_site,) = link_resources(
            links,
            name="weather_timeseries",
            same_campaign=None,
            layout=("id", "parameter", "timeseries", ELEMENT_ID, OWNER_ID, "forecast"),
            extra={
                "parameter": ExtraField(
                    read=parameter, write=parameter, default="AIR_TEMPERATURE", filter=str
                ),
                "timeseries": ExtraField(read=dict),
                "forecast": ExtraField(read=bool, write=bool, filter=bool),
            },
        )
        assert fields(by_site.read) == [
            "id",
            "parameter",
            "timeseries",
            "site_id",
            "timeseries_id",
            "forecast",
        ]
        assert fields(by_site.filters) == ["site_id", "parameter", "timeseries_id", "forecast"]
        assert not by_site.create.model_fields["parameter"].is_required()
        assert by_site.create.model_fields["forecast"].is_required()
        assert by_site.hooks.before_write is None
