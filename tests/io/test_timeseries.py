"""POST /io/timeseries: importing timeseries descriptions from a CSV file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import create, link_user_to_campaign
from tests.io.timeseries_support import (
    HEADER,
    content_error,
    imported,
    listed,
    locations,
    new_campaign,
    upload,
    values_of,
)

# The reference's example
EXAMPLE = (
    "Name,Description,Unit,Campaign scope,Site,Building,Storey,Space,Zone,Min,Max\n"
    "Space_1_Temp,Temperature,°C,Campaign 1 - Scope 1,Site 1,Building 1,Storey 1,Space 1,Zone 1,-10,60\n"
    "Space_2_Temp,Temperature 2,°C,Campaign 1 - Scope 1,Site 1,Building 1,,,,-15,65\n"
)


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


class TestImportTimeseries:
    async def test_the_reference_example(self, client, admin):
        campaign_id = await imported(client, admin, EXAMPLE)
        assert await listed(client, admin) == [
            {
                "id": 1,
                "name": "Space_1_Temp",
                "unit_symbol": "°C",
                "description": "Temperature",
                "campaign_id": campaign_id,
                "campaign_scope_id": 1,
            },
            {
                "id": 2,
                "name": "Space_2_Temp",
                "unit_symbol": "°C",
                "description": "Temperature 2",
                "campaign_id": campaign_id,
                "campaign_scope_id": 1,
            },
        ]
        assert await locations(client, admin) == {
            "Space_1_Temp": [("space", "Space 1"), ("zone", "Zone 1")],
            "Space_2_Temp": [("building", "Building 1")],
        }
        assert await values_of(client, admin) == {
            ("Space_1_Temp", "Min"): "-10",
            ("Space_1_Temp", "Max"): "60",
            ("Space_2_Temp", "Min"): "-15",
            ("Space_2_Temp", "Max"): "65",
        }

    async def test_the_answer_is_201_with_body_null(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await upload(client, admin, campaign_id, EXAMPLE)
        assert response.status_code == 201
        assert response.content == b"null"
        assert response.headers["content-type"] == "application/json"

    async def test_empty_description_and_unit_cells_give_no_description_and_no_unit(self, client, admin):
        await imported(client, admin, csv("T,,,Campaign 1 - Scope 2,,,,,"))
        (ts,) = await listed(client, admin)
        assert (ts["unit_symbol"], "description" in ts, ts["campaign_scope_id"]) == ("", False, 2)

    async def test_columns_may_come_in_any_order(self, client, admin):
        header = "Zone,Space,Storey,Building,Site,Campaign scope,Unit,Description,Name"
        await imported(client, admin, csv("Zone 1,,,,Site 1,Campaign 1 - Scope 1,kWh,d,T", header=header))
        (ts,) = await listed(client, admin)
        assert (ts["name"], ts["unit_symbol"], ts["description"]) == ("T", "kWh", "d")
        assert await locations(client, admin) == {"T": [("site", "Site 1"), ("zone", "Zone 1")]}

    async def test_a_reimport_updates_by_name_and_keeps_ids(self, client, admin):
        campaign_id = await imported(client, admin, EXAMPLE)
        again = csv(
            "Space_2_Temp,Hot water,degF,Campaign 1 - Scope 1,,,,,", "New,,W,Campaign 1 - Scope 2,,,,,"
        )
        assert (await upload(client, admin, campaign_id, again)).status_code == 201
        assert [
            (ts["id"], ts["name"], ts.get("description"), ts["unit_symbol"])
            for ts in await listed(client, admin)
        ] == [
            (1, "Space_1_Temp", "Temperature", "°C"),
            (2, "Space_2_Temp", "Hot water", "degF"),
            (3, "New", None, "W"),
        ]

    async def test_the_same_name_in_another_campaign_is_another_timeseries(self, client, admin):
        await imported(client, admin, EXAMPLE)
        other = EXAMPLE.replace("Campaign 1 - Scope 1", "Campaign 2 - Scope 1")
        await imported(client, admin, other, campaign="Campaign 2")
        assert [ts["campaign_id"] for ts in await listed(client, admin)] == [1, 1, 2, 2]

    async def test_a_name_repeated_in_the_file_is_one_timeseries_with_the_last_row(self, client, admin):
        rows = (
            "T,first,W,Campaign 1 - Scope 1,Site 1,,,,,1,",
            "T,second,kW,Campaign 1 - Scope 1,,,,,Zone 1,,5",
        )
        await imported(client, admin, csv(*rows, header=HEADER + ",Min,Max"))
        (ts,) = await listed(client, admin)
        assert (ts["description"], ts["unit_symbol"]) == ("second", "kW")
        assert await locations(client, admin) == {"T": [("zone", "Zone 1")]}
        assert await values_of(client, admin) == {("T", "Min"): "1", ("T", "Max"): "5"}

    async def test_a_reimport_of_the_same_file_changes_nothing(self, client, admin):
        campaign_id = await imported(client, admin, EXAMPLE)
        links = await client.get("/timeseries_by_spaces/", headers=admin.headers)
        assert (await upload(client, admin, campaign_id, EXAMPLE)).status_code == 201
        assert len(await listed(client, admin)) == 2
        assert (await client.get("/timeseries_by_spaces/", headers=admin.headers)).json() == links.json()
        assert len((await client.get("/timeseries_property_data/", headers=admin.headers)).json()) == 4


class TestLocations:
    @pytest.mark.parametrize(
        ("cells", "expected"),
        [
            ("Site 1,,,,", [("site", "Site 1")]),
            ("Site 1,Building 2,,,", [("building", "Building 2")]),
            ("Site 1,Building 1,Storey 1,,", [("storey", "Storey 1")]),
            ("Site 1,Building 1,Storey 1,Space 1,", [("space", "Space 1")]),
            (",,,,Zone 1", [("zone", "Zone 1")]),
            ("Site 1,Building 1,,,Zone 1", [("building", "Building 1"), ("zone", "Zone 1")]),
        ],
    )
    async def test_the_deepest_location_named_is_linked_and_the_zone_too(
        self, client, admin, cells, expected
    ):
        await imported(client, admin, csv(f"T,,,Campaign 1 - Scope 1,{cells}"))
        assert await locations(client, admin) == {"T": expected}

    async def test_no_location_cells_give_no_link(self, client, admin):
        await imported(client, admin, csv("T,,,Campaign 1 - Scope 1,,,,,"))
        assert await locations(client, admin) == {}

    async def test_a_reimport_moves_the_timeseries(self, client, admin):
        campaign_id = await imported(client, admin, EXAMPLE)
        kept = (await client.get("/timeseries_by_zones/", headers=admin.headers)).json()
        moved = csv("Space_1_Temp,Temperature,°C,Campaign 1 - Scope 1,Site 1,Building 2,,,Zone 1")
        assert (await upload(client, admin, campaign_id, moved)).status_code == 201
        assert await locations(client, admin) == {
            "Space_1_Temp": [("building", "Building 2"), ("zone", "Zone 1")],
            "Space_2_Temp": [("building", "Building 1")],
        }
        assert (await client.get("/timeseries_by_zones/", headers=admin.headers)).json() == kept

    async def test_a_reimport_replaces_every_location_link_of_the_timeseries(self, client, admin):
        campaign_id = await imported(client, admin, csv("T,,,Campaign 1 - Scope 1,Site 1,,,,Zone 1"))
        zone_2 = await create(client, "/zones/", admin.headers, name="Zone 2", campaign_id=campaign_id)
        await create(client, "/timeseries_by_zones/", admin.headers, timeseries_id=1, zone_id=zone_2["id"])
        await create(client, "/timeseries_by_spaces/", admin.headers, timeseries_id=1, space_id=1)
        assert (
            await upload(client, admin, campaign_id, csv("T,,,Campaign 1 - Scope 1,,,,,Zone 2"))
        ).status_code == 201
        assert await locations(client, admin) == {"T": [("zone", "Zone 2")]}

    @pytest.mark.parametrize(
        ("cells", "column", "detail"),
        [
            (",Building 1,,,", "Site", 'Missing site for building "Building 1"'),
            ("Site 1,,Storey 1,,", "Building", 'Missing building for storey "Storey 1"'),
            ("Site 1,Building 1,,Space 1,", "Storey", 'Missing storey for space "Space 1"'),
        ],
    )
    async def test_a_location_without_its_parent(self, client, admin, cells, column, detail):
        campaign_id = await new_campaign(client, admin)
        response = await upload(client, admin, campaign_id, csv(f"T,,,Campaign 1 - Scope 1,{cells}"))
        assert content_error(response) == f"line 2, column {column}: {detail}"

    @pytest.mark.parametrize(
        ("cells", "column", "detail"),
        [
            ("Site 9,,,,", "Site", 'Unknown site: "Site 9"'),
            ("Site 1,Building 9,,,", "Building", 'Unknown building: "Site 1/Building 9"'),
            ("Site 1,Building 2,Storey 1,,", "Storey", 'Unknown storey: "Site 1/Building 2/Storey 1"'),
            (
                "Site 1,Building 1,Storey 1,Space 9,",
                "Space",
                'Unknown space: "Site 1/Building 1/Storey 1/Space 9"',
            ),
            (",,,,Zone 9", "Zone", 'Unknown zone: "Zone 9"'),
        ],
    )
    async def test_an_unknown_location_is_named_with_its_path(self, client, admin, cells, column, detail):
        campaign_id = await new_campaign(client, admin)
        rows = ("A,,,Campaign 1 - Scope 1,Site 1,,,,", f"T,,,Campaign 1 - Scope 1,{cells}")
        response = await upload(client, admin, campaign_id, csv(*rows))
        assert content_error(response) == f"line 3, column {column}: {detail}"

    async def test_locations_are_looked_up_in_the_given_campaign_only(self, client, admin):
        await new_campaign(client, admin)
        other = await new_campaign(client, admin, "Campaign 2")
        await client.delete("/sites/1", headers=admin.headers | {"If-Match": "*"})
        response = await upload(client, admin, other, csv("T,,,Campaign 2 - Scope 1,Site 1,Building 1,,,"))
        assert response.status_code == 201
        assert await locations(client, admin) == {"T": [("building", "Building 1")]}
        assert (await client.get("/timeseries_by_buildings/", headers=admin.headers)).json()[0]["site"][
            "campaign_id"
        ] == other


class TestPropertyValues:
    async def test_values_are_set_updated_and_kept_when_empty(self, client, admin):
        campaign_id = await imported(client, admin, EXAMPLE)
        again = csv("Space_1_Temp,Temperature,°C,Campaign 1 - Scope 1,,,,,,,70", header=HEADER + ",Min,Max")
        assert (await upload(client, admin, campaign_id, again)).status_code == 201
        values = await values_of(client, admin)
        assert (values[("Space_1_Temp", "Min")], values[("Space_1_Temp", "Max")]) == ("-10", "70")

    async def test_custom_properties_of_every_type(self, client, admin):
        for name, value_type in (("Floor", "integer"), ("Critical", "boolean"), ("Brand", "string")):
            await create(client, "/timeseries_properties/", admin.headers, name=name, value_type=value_type)
        header = HEADER + ",Interval,Floor,Critical,Brand"
        await imported(
            client, admin, csv('T,,,Campaign 1 - Scope 1,,,,,,"600,5",2,TRUE,"Acme, Inc."', header=header)
        )
        assert await values_of(client, admin) == {
            ("T", "Interval"): "600.5",
            ("T", "Floor"): "2",
            ("T", "Critical"): "true",
            ("T", "Brand"): "Acme, Inc.",
        }

    async def test_an_unknown_property_column(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await upload(client, admin, campaign_id, csv(header=HEADER + ",Min,Volume"))
        assert content_error(response) == 'line 1, column Volume: Unknown property: "Volume"'

    @pytest.mark.parametrize(
        ("column", "value", "problem"),
        [
            ("Min", "low", '"low" is not a number.'),
            ("Min", "nan", '"nan" is not a number.'),
            ("Floor", "1.5", '"1.5" is not an integer.'),
            ("Critical", "yes", '"yes" is not true or false.'),
            ("Brand", "x" * 101, "longer than 100 characters."),
        ],
    )
    async def test_a_value_that_does_not_fit_the_property(self, client, admin, column, value, problem):
        for name, value_type in (("Floor", "integer"), ("Critical", "boolean"), ("Brand", "string")):
            await create(client, "/timeseries_properties/", admin.headers, name=name, value_type=value_type)
        campaign_id = await new_campaign(client, admin)
        response = await upload(
            client,
            admin,
            campaign_id,
            csv(f"T,,,Campaign 1 - Scope 1,,,,,,{value}", header=f"{HEADER},{column}"),
        )
        assert (
            content_error(response)
            == f'line 2, column {column}: Timeseries "T" property "{column}" can\'t be created: {problem}'
        )


class TestContentErrors:
    async def test_the_envelope_names_file_line_and_column(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await upload(
            client, admin, campaign_id, csv("T,,,Campaign 1 - Scope 1,,,,,", "U,,,Scope 9,,,,,")
        )
        assert response.json() == {
            "code": 422,
            "status": "Unprocessable Entity",
            "message": 'Invalid CSV file content: timeseries_csv line 3, column Campaign scope: Unknown campaign scope: "Scope 9"',
            "errors": {
                "files": {
                    "timeseries_csv": ['line 3, column Campaign scope: Unknown campaign scope: "Scope 9"']
                }
            },
        }

    async def test_an_empty_file(self, client, admin):
        response = await upload(client, admin, await new_campaign(client, admin), "")
        assert response.json()["message"] == "Invalid CSV file content: timeseries_csv: Empty CSV file"

    async def test_missing_columns_are_listed(self, client, admin):
        response = await upload(client, admin, await new_campaign(client, admin), "Name,Unit,Site\nT,,\n")
        assert content_error(response) == (
            "line 1: Missing columns: ['Campaign scope', 'Description', 'Building', 'Storey', 'Space', 'Zone']"
        )

    async def test_a_scope_of_another_campaign_is_unknown(self, client, admin):
        await new_campaign(client, admin)
        other = await new_campaign(client, admin, "Campaign 2")
        response = await upload(client, admin, other, csv("T,,,Campaign 1 - Scope 1,,,,,"))
        assert (
            content_error(response)
            == 'line 2, column Campaign scope: Unknown campaign scope: "Campaign 1 - Scope 1"'
        )

    @pytest.mark.parametrize(
        ("unit", "detail"),
        [
            ("wh", 'Timeseries "T" can\'t be created: undefined unit "wh". Close symbols: Wh.'),
            ("1/0", 'Timeseries "T" can\'t be created: undefined unit "1/0".'),
            (
                "kilowatt_hour / meter ** 2",
                'Timeseries "T" can\'t be created: Unit longer than 20 characters.',
            ),
        ],
    )
    async def test_a_bad_unit(self, client, admin, unit, detail):
        response = await upload(
            client, admin, await new_campaign(client, admin), csv(f"T,,{unit},Campaign 1 - Scope 1,,,,,")
        )
        assert content_error(response) == f"line 2, column Unit: {detail}"

    async def test_names_and_descriptions_too_long_or_empty(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        for row, expected in (
            (
                "x" * 81 + ",,,Campaign 1 - Scope 1,,,,,",
                f'line 2, column Name: Timeseries "{"x" * 40}..." can\'t be created: Name longer than 80 characters.',
            ),
            (
                "T," + "d" * 501 + ",,Campaign 1 - Scope 1,,,,,",
                'line 2, column Description: Timeseries "T" can\'t be created: Description longer than 500 characters.',
            ),
            (",,,Campaign 1 - Scope 1,,,,,", "line 2, column Name: Timeseries can't be created: empty name."),
        ):
            assert content_error(await upload(client, admin, campaign_id, csv(row))) == expected

    async def test_an_existing_timeseries_cannot_change_scope(self, client, admin):
        campaign_id = await imported(client, admin, EXAMPLE)
        moved = csv("Space_2_Temp,,,Campaign 1 - Scope 2,,,,,")
        assert content_error(await upload(client, admin, campaign_id, moved)) == (
            'line 2, column Campaign scope: Timeseries "Space_2_Temp" can\'t be created: '
            'it is in campaign scope "Campaign 1 - Scope 1", which cannot change.'
        )


class TestTransaction:
    async def test_an_error_on_a_later_line_stores_nothing(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        rows = ("A,,W,Campaign 1 - Scope 1,Site 1,,,,", "B,,W,Campaign 1 - Scope 1,,,,,,low")
        response = await upload(client, admin, campaign_id, csv(*rows, header=HEADER + ",Min"))
        assert response.status_code == 422
        assert await listed(client, admin) == []
        assert await locations(client, admin) == {}

    async def test_an_error_leaves_stored_timeseries_unchanged(self, client, admin):
        campaign_id = await imported(client, admin, EXAMPLE)
        before = (await listed(client, admin), await locations(client, admin), await values_of(client, admin))
        rows = (
            "Space_1_Temp,changed,W,Campaign 1 - Scope 1,,,,,,0,0",
            "X,,,Campaign 1 - Scope 1,Site 9,,,,,,",
        )
        response = await upload(client, admin, campaign_id, csv(*rows, header=HEADER + ",Min,Max"))
        assert response.status_code == 422
        assert (
            await listed(client, admin),
            await locations(client, admin),
            await values_of(client, admin),
        ) == before


class TestRequest:
    async def test_the_file_is_required(self, client, admin):
        response = await upload(client, admin, await new_campaign(client, admin), None)
        assert response.status_code == 422
        assert response.json() == {
            "code": 422,
            "status": "Unprocessable Entity",
            "errors": {"files": {"timeseries_csv": ["Missing data for required field."]}},
        }

    async def test_other_files_do_not_replace_it(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await client.post(
            "/io/timeseries",
            params={"campaign_id": campaign_id},
            files={"sites_csv": ("s.csv", b"Name\n", "text/csv")},
            headers=admin.headers,
        )
        assert response.json()["errors"] == {
            "files": {
                "sites_csv": ["Unknown field. Expected: timeseries_csv."],
                "timeseries_csv": ["Missing data for required field."],
            }
        }

    async def test_a_text_field_instead_of_a_file_is_422(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await client.post(
            "/io/timeseries",
            params={"campaign_id": campaign_id},
            data={"timeseries_csv": EXAMPLE},
            files={"other": ("o.csv", b"", "text/csv")},
            headers=admin.headers,
        )
        assert response.json()["errors"] == {
            "files": {
                "other": ["Unknown field. Expected: timeseries_csv."],
                "timeseries_csv": ["Not a file."],
            }
        }

    async def test_campaign_id_is_a_required_integer(self, client, admin):
        missing = await client.post(
            "/io/timeseries", files={"timeseries_csv": ("t.csv", EXAMPLE.encode())}, headers=admin.headers
        )
        assert missing.json()["errors"] == {"query": {"campaign_id": ["Missing data for required field."]}}
        wrong = await upload(client, admin, "one", EXAMPLE)
        assert wrong.json()["errors"] == {"query": {"campaign_id": ["Not a valid integer."]}}

    async def test_an_unknown_campaign_is_422(self, client, admin):
        for campaign_id in (999, 2**40):
            response = await upload(client, admin, campaign_id, EXAMPLE)
            assert response.status_code == 422
            assert response.json()["errors"] == {"query": {"campaign_id": ["Unknown campaign ID."]}}


class TestPermissions:
    async def test_anonymous_is_401(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await client.post(
            "/io/timeseries",
            params={"campaign_id": campaign_id},
            files={"timeseries_csv": ("t.csv", EXAMPLE.encode())},
        )
        assert response.status_code == 401

    async def test_a_campaign_member_who_is_no_admin_is_403(self, client, admin, user):
        campaign_id = await new_campaign(client, admin)
        await link_user_to_campaign(client, admin.headers, user.id, campaign_id)
        assert (await upload(client, user, campaign_id, EXAMPLE)).status_code == 403
        assert await listed(client, admin) == []

    async def test_a_non_member_is_403(self, client, admin, user):
        campaign_id = await new_campaign(client, admin)
        assert (await upload(client, user, campaign_id, EXAMPLE)).status_code == 403

    async def test_an_inactive_user_is_403(self, client, admin, inactive):
        campaign_id = await new_campaign(client, admin)
        assert (await upload(client, inactive, campaign_id, EXAMPLE)).status_code == 403


class TestDocumentedExample:
    async def test_the_example_of_docs_io_md_imports_as_the_page_says(self, client, admin):
        page = (Path(__file__).parents[2] / "docs" / "io.md").read_text()
        section = page[page.index("## Timeseries: `POST /io/timeseries") :]
        (example,) = re.findall(r"^```csv\n(.*?)^```$", section, re.S | re.M)[:1]
        assert example == EXAMPLE
        await imported(client, admin, example)
        assert await locations(client, admin) == {
            "Space_1_Temp": [("space", "Space 1"), ("zone", "Zone 1")],
            "Space_2_Temp": [("building", "Building 1")],
        }
