"""POST /io/sites: importing the building model from CSV files."""

from tests.helpers import link_user_to_campaign
from tests.io.sites_support import (
    content_error,
    enable_properties,
    imported,
    listed,
    new_campaign,
    upload,
    values_of,
)

SITES = "Name,Description,IFC_ID\nSite 1,Great site 1,abcdefghijklmnopqrtsuv\nSite 2,Great site 2,\n"
BUILDINGS = "Site,Name,Description,IFC_ID\nSite 1,Building 1,B one,\nSite 2,Building 1,B two,\n"
STOREYS = (
    "Site,Building,Name,Description,IFC_ID\nSite 1,Building 1,Storey 1,,\nSite 2,Building 1,Storey 1,,\n"
)
SPACES = "Site,Building,Storey,Name,Description,IFC_ID\nSite 1,Building 1,Storey 1,Space 1,,\n"
ZONES = "Name,Description,IFC_ID\nZone 1,Z,zone-ifc\nZone 2,,\n"


class TestImportSites:
    async def test_no_file_is_a_no_op_answered_201_with_body_null(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await upload(client, admin, campaign_id)
        assert response.status_code == 201
        assert response.content == b"null"
        assert response.headers["content-type"] == "application/json"
        assert await listed(client, admin, "site") == []

    async def test_sites_are_created_in_the_campaign_with_their_columns(self, client, admin):
        campaign_id = await imported(client, admin, sites_csv=SITES)
        assert await listed(client, admin, "site") == [
            {
                "id": 1,
                "name": "Site 1",
                "description": "Great site 1",
                "ifc_id": "abcdefghijklmnopqrtsuv",
                "campaign_id": campaign_id,
            },
            {"id": 2, "name": "Site 2", "description": "Great site 2", "campaign_id": campaign_id},
        ]

    async def test_empty_description_and_ifc_id_cells_are_stored_as_null(self, client, admin):
        await imported(client, admin, zones_csv="Name,Description,IFC_ID\nZone,,\n")
        assert [set(zone) for zone in await listed(client, admin, "zone")] == [{"id", "name", "campaign_id"}]

    async def test_columns_may_come_in_any_order(self, client, admin):
        await imported(client, admin, sites_csv="IFC_ID,Name,Description\nifc,Site,desc\n")
        (site,) = await listed(client, admin, "site")
        assert (site["name"], site["description"], site["ifc_id"]) == ("Site", "desc", "ifc")

    async def test_a_reimport_updates_sites_by_name_without_duplicating_them(self, client, admin):
        campaign_id = await imported(client, admin, sites_csv=SITES)
        again = "Name,Description,IFC_ID\nSite 2,New description,new-ifc\nSite 3,Third,\n"
        assert (await upload(client, admin, campaign_id, sites_csv=again)).status_code == 201
        sites = await listed(client, admin, "site")
        assert [(s["id"], s["name"], s.get("description"), s.get("ifc_id")) for s in sites] == [
            (1, "Site 1", "Great site 1", "abcdefghijklmnopqrtsuv"),
            (2, "Site 2", "New description", "new-ifc"),
            (sites[2]["id"], "Site 3", "Third", None),
        ]

    async def test_an_empty_cell_clears_the_stored_description_and_ifc_id(self, client, admin):
        campaign_id = await imported(client, admin, sites_csv=SITES)
        await upload(client, admin, campaign_id, sites_csv="Name,Description,IFC_ID\nSite 1,,\n")
        site = (await listed(client, admin, "site"))[0]
        assert "description" not in site and "ifc_id" not in site

    async def test_the_same_name_in_another_campaign_is_another_site(self, client, admin):
        await imported(client, admin, sites_csv=SITES)
        await imported(client, admin, "Other campaign", sites_csv=SITES)
        assert [s["campaign_id"] for s in await listed(client, admin, "site")] == [1, 1, 2, 2]

    async def test_a_name_repeated_in_one_file_is_one_site_with_the_last_row_values(self, client, admin):
        await enable_properties(client, admin)
        sites = "Name,Description,IFC_ID,Area,Code\nS,first,,10,a\nS,second,,,b\n"
        await imported(client, admin, sites_csv=sites)
        (site,) = await listed(client, admin, "site")
        assert site["description"] == "second"
        assert await values_of(client, admin, "site") == {("S", "Area"): "10", ("S", "Code"): "b"}


class TestImportTree:
    async def test_every_level_is_linked_to_its_parent_by_names(self, client, admin):
        campaign_id = await imported(
            client,
            admin,
            sites_csv=SITES,
            buildings_csv=BUILDINGS,
            storeys_csv=STOREYS,
            spaces_csv=SPACES,
            zones_csv=ZONES,
        )
        buildings = await listed(client, admin, "building")
        assert [(b["name"], b["site_id"], b["description"]) for b in buildings] == [
            ("Building 1", 1, "B one"),
            ("Building 1", 2, "B two"),
        ]
        assert [(s["name"], s["building_id"]) for s in await listed(client, admin, "storey")] == [
            ("Storey 1", 1),
            ("Storey 1", 2),
        ]
        assert [(s["name"], s["storey_id"]) for s in await listed(client, admin, "space")] == [("Space 1", 1)]
        zones = await listed(client, admin, "zone")
        assert [(z["name"], z["campaign_id"], z.get("ifc_id")) for z in zones] == [
            ("Zone 1", campaign_id, "zone-ifc"),
            ("Zone 2", campaign_id, None),
        ]

    async def test_files_may_refer_to_elements_stored_before(self, client, admin):
        campaign_id = await imported(client, admin, sites_csv=SITES, buildings_csv=BUILDINGS)
        response = await upload(client, admin, campaign_id, storeys_csv=STOREYS, spaces_csv=SPACES)
        assert response.status_code == 201
        assert len(await listed(client, admin, "space")) == 1

    async def test_parents_are_looked_up_in_the_given_campaign_only(self, client, admin):
        await imported(client, admin, sites_csv=SITES)
        other = await new_campaign(client, admin, "Other")
        response = await upload(client, admin, other, buildings_csv=BUILDINGS)
        assert content_error(response) == 'buildings_csv line 2, column Site: Unknown site: "Site 1"'

    async def test_a_reimport_of_the_tree_creates_nothing_new(self, client, admin):
        files = {"sites_csv": SITES, "buildings_csv": BUILDINGS, "storeys_csv": STOREYS, "spaces_csv": SPACES}
        campaign_id = await imported(client, admin, **files, zones_csv=ZONES)
        assert (await upload(client, admin, campaign_id, **files, zones_csv=ZONES)).status_code == 201
        counts = [
            len(await listed(client, admin, e)) for e in ("site", "building", "storey", "space", "zone")
        ]
        assert counts == [2, 2, 2, 1, 2]


class TestPropertyValues:
    async def test_non_empty_cells_set_values_at_every_level(self, client, admin):
        await enable_properties(client, admin)
        await imported(
            client,
            admin,
            sites_csv="Name,Description,IFC_ID,Area,Heated\nS,,,1000.5,true\n",
            buildings_csv="Site,Name,Description,IFC_ID,Floors\nS,B,,,3\n",
            storeys_csv="Site,Building,Name,Description,IFC_ID,Code\nS,B,St,,,R+1\n",
            spaces_csv="Site,Building,Storey,Name,Description,IFC_ID,Area\nS,B,St,Sp,,,12\n",
            zones_csv="Name,Description,IFC_ID,Heated\nZ,,,false\n",
        )
        assert await values_of(client, admin, "site") == {("S", "Area"): "1000.5", ("S", "Heated"): "true"}
        assert await values_of(client, admin, "building") == {("B", "Floors"): "3"}
        assert await values_of(client, admin, "storey") == {("St", "Code"): "R+1"}
        assert await values_of(client, admin, "space") == {("Sp", "Area"): "12"}
        assert await values_of(client, admin, "zone") == {("Z", "Heated"): "false"}

    async def test_a_reimport_updates_values_and_empty_cells_keep_them(self, client, admin):
        await enable_properties(client, admin)
        campaign_id = await imported(client, admin, sites_csv="Name,Description,IFC_ID,Area,Code\nS,,,10,x\n")
        response = await upload(
            client, admin, campaign_id, sites_csv="Name,Description,IFC_ID,Area,Code\nS,,,20,\n"
        )
        assert response.status_code == 201
        assert await values_of(client, admin, "site") == {("S", "Area"): "20", ("S", "Code"): "x"}
        response = await client.get("/site_property_data/", headers=admin.headers)
        assert len(response.json()) == 2

    async def test_booleans_may_be_written_in_any_case(self, client, admin):
        await enable_properties(client, admin)
        await imported(client, admin, zones_csv="Name,Description,IFC_ID,Heated\nA,,,TRUE\nB,,,False\n")
        assert await values_of(client, admin, "zone") == {("A", "Heated"): "true", ("B", "Heated"): "false"}

    async def test_numbers_may_have_a_decimal_comma_and_blanks(self, client, admin):
        await enable_properties(client, admin)
        sites = 'Name,Description,IFC_ID,Area,Floors,Code\nS,,,"1234,5", 7 ,"1,5"\n'
        await imported(client, admin, sites_csv=sites)
        assert await values_of(client, admin, "site") == {
            ("S", "Area"): "1234.5",
            ("S", "Floors"): "7",
            ("S", "Code"): "1,5",  # a string property keeps its text
        }


class TestContentErrors:
    async def test_the_envelope_names_file_line_and_column(self, client, admin):
        campaign_id = await imported(client, admin, sites_csv=SITES)
        buildings = "Site,Name,Description,IFC_ID\nSite 1,B,,\nS9,B,,\n"
        response = await upload(client, admin, campaign_id, buildings_csv=buildings)
        assert response.status_code == 422
        assert response.json() == {
            "code": 422,
            "status": "Unprocessable Entity",
            "message": 'Invalid CSV file content: buildings_csv line 3, column Site: Unknown site: "S9"',
            "errors": {"files": {"buildings_csv": ['line 3, column Site: Unknown site: "S9"']}},
        }

    async def test_an_empty_file(self, client, admin):
        response = await upload(client, admin, await new_campaign(client, admin), sites_csv="")
        assert content_error(response) == "sites_csv: Empty CSV file"

    async def test_a_file_of_blank_lines_is_empty(self, client, admin):
        response = await upload(client, admin, await new_campaign(client, admin), zones_csv="\r\n\n")
        assert content_error(response) == "zones_csv: Empty CSV file"

    async def test_missing_columns_are_listed(self, client, admin):
        response = await upload(client, admin, await new_campaign(client, admin), storeys_csv="Name,Site\n")
        assert (
            content_error(response)
            == "storeys_csv line 1: Missing columns: ['Building', 'Description', 'IFC_ID']"
        )

    async def test_an_unknown_property(self, client, admin):
        response = await upload(
            client, admin, await new_campaign(client, admin), sites_csv="Name,Description,IFC_ID,Volume\n"
        )
        assert content_error(response) == 'sites_csv line 1, column Volume: Unknown property: "Volume"'

    async def test_a_property_not_enabled_for_that_element_type_is_unknown(self, client, admin):
        await enable_properties(client, admin, elements=("site",))
        campaign_id = await new_campaign(client, admin)
        response = await upload(client, admin, campaign_id, zones_csv="Name,Description,IFC_ID,Area\nZ,,,1\n")
        assert content_error(response) == 'zones_csv line 1, column Area: Unknown property: "Area"'

    async def test_an_unknown_building(self, client, admin):
        campaign_id = await imported(client, admin, sites_csv=SITES, buildings_csv=BUILDINGS)
        storeys = "Site,Building,Name,Description,IFC_ID\nSite 2,Building 9,St,,\n"
        response = await upload(client, admin, campaign_id, storeys_csv=storeys)
        assert (
            content_error(response)
            == 'storeys_csv line 2, column Building: Unknown building: "Site 2/Building 9"'
        )

    async def test_an_unknown_storey(self, client, admin):
        campaign_id = await imported(
            client, admin, sites_csv=SITES, buildings_csv=BUILDINGS, storeys_csv=STOREYS
        )
        spaces = "Site,Building,Storey,Name,Description,IFC_ID\nSite 1,Building 1,Storey 2,Sp,,\n"
        response = await upload(client, admin, campaign_id, spaces_csv=spaces)
        assert content_error(response) == (
            'spaces_csv line 2, column Storey: Unknown storey: "Site 1/Building 1/Storey 2"'
        )

    async def test_an_unknown_site_in_the_spaces_file(self, client, admin):
        spaces = "Site,Building,Storey,Name,Description,IFC_ID\nS9,B,St,Sp,,\n"
        response = await upload(client, admin, await new_campaign(client, admin), spaces_csv=spaces)
        assert content_error(response) == 'spaces_csv line 2, column Site: Unknown site: "S9"'

    async def test_a_building_of_another_site_is_unknown(self, client, admin):
        campaign_id = await imported(client, admin, sites_csv=SITES + "Site 3,,\n", buildings_csv=BUILDINGS)
        storeys = "Site,Building,Name,Description,IFC_ID\nSite 3,Building 1,St,,\n"
        response = await upload(client, admin, campaign_id, storeys_csv=storeys)
        assert (
            content_error(response)
            == 'storeys_csv line 2, column Building: Unknown building: "Site 3/Building 1"'
        )

    async def test_an_ifc_id_too_long(self, client, admin):
        sites = "Name,Description,IFC_ID\nOK,,\nS,,abcdefghijklmnopqrstuvw\n"
        response = await upload(client, admin, await new_campaign(client, admin), sites_csv=sites)
        assert content_error(response) == (
            'sites_csv line 3, column IFC_ID: Site "S" can\'t be created: IFC_ID longer than 22 characters.'
        )

    async def test_a_name_too_long(self, client, admin):
        zones = f"Name,Description,IFC_ID\n{'z' * 81},,\n"
        response = await upload(client, admin, await new_campaign(client, admin), zones_csv=zones)
        assert content_error(response) == (
            f'zones_csv line 2, column Name: Zone "{"z" * 40}..." can\'t be created: Name longer than 80 characters.'
        )

    async def test_a_description_too_long(self, client, admin):
        sites = f"Name,Description,IFC_ID\nS,{'d' * 501},\n"
        response = await upload(client, admin, await new_campaign(client, admin), sites_csv=sites)
        assert content_error(response) == (
            'sites_csv line 2, column Description: Site "S" can\'t be created: Description longer than 500 characters.'
        )

    async def test_an_empty_name(self, client, admin):
        response = await upload(
            client, admin, await new_campaign(client, admin), sites_csv="Name,Description,IFC_ID\n,desc,\n"
        )
        assert content_error(response) == "sites_csv line 2, column Name: Site can't be created: empty name."

    async def test_a_value_of_the_wrong_type(self, client, admin):
        await enable_properties(client, admin)
        cases = {
            "Area": ('"1,2,3"', '"1,2,3" is not a number.'),
            "Floors": ("2.5", '"2.5" is not an integer.'),
            "Heated": ("yes", '"yes" is not true or false.'),
            "Code": ("c" * 101, "longer than 100 characters."),
        }
        campaign_id = await new_campaign(client, admin)
        for column, (cell, problem) in cases.items():
            sites = f"Name,Description,IFC_ID,{column}\nS,,,{cell}\n"
            response = await upload(client, admin, campaign_id, sites_csv=sites)
            assert content_error(response) == (
                f'sites_csv line 2, column {column}: Site "S" property "{column}" can\'t be created: {problem}'
            )

    async def test_a_duplicate_column(self, client, admin):
        response = await upload(
            client, admin, await new_campaign(client, admin), sites_csv="Name,Description,IFC_ID,Name\n"
        )
        assert content_error(response) == "sites_csv line 1, column Name: Duplicate column"

    async def test_a_value_beyond_the_header(self, client, admin):
        response = await upload(
            client, admin, await new_campaign(client, admin), sites_csv="Name,Description,IFC_ID\nS,,,extra\n"
        )
        assert content_error(response) == (
            'sites_csv line 2: Value "extra" in column 4, which has no name in the header'
        )

    async def test_line_numbers_count_lines_inside_quoted_cells(self, client, admin):
        sites = 'Name,Description,IFC_ID\nS,"two\nlines",\n,,\nS2,,\n,x,\n'
        response = await upload(client, admin, await new_campaign(client, admin), sites_csv=sites)
        assert content_error(response) == "sites_csv line 6, column Name: Site can't be created: empty name."


class TestTransaction:
    async def test_an_error_in_the_zones_file_stores_no_site(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await upload(
            client, admin, campaign_id, sites_csv=SITES, buildings_csv=BUILDINGS, zones_csv="Name\n"
        )
        assert content_error(response) == "zones_csv line 1: Missing columns: ['Description', 'IFC_ID']"
        assert await listed(client, admin, "site") == []
        assert await listed(client, admin, "building") == []

    async def test_an_error_leaves_stored_elements_and_values_unchanged(self, client, admin):
        await enable_properties(client, admin)
        campaign_id = await imported(client, admin, sites_csv="Name,Description,IFC_ID,Area\nS,old,,1\n")
        sites = "Name,Description,IFC_ID,Area\nS,new,,2\nT,,,not a number\n"
        assert (await upload(client, admin, campaign_id, sites_csv=sites)).status_code == 422
        assert [s["description"] for s in await listed(client, admin, "site")] == ["old"]
        assert await values_of(client, admin, "site") == {("S", "Area"): "1"}


class TestRequest:
    async def test_campaign_id_is_required(self, client, admin):
        response = await client.post("/io/sites", headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {"query": {"campaign_id": ["Missing data for required field."]}}

    async def test_campaign_id_must_be_an_integer(self, client, admin):
        response = await upload(client, admin, "one")
        assert response.json()["errors"] == {"query": {"campaign_id": ["Not a valid integer."]}}

    async def test_an_unknown_campaign_is_422(self, client, admin):
        for campaign_id in (9, 2**31, -(2**63), 10**30):
            response = await upload(client, admin, campaign_id, sites_csv=SITES)
            assert response.status_code == 422, campaign_id
            assert response.json() == {
                "code": 422,
                "status": "Unprocessable Entity",
                "errors": {"query": {"campaign_id": ["Unknown campaign ID."]}},
            }

    async def test_a_text_field_instead_of_a_file_is_422(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await client.post(
            "/io/sites", params={"campaign_id": campaign_id}, data={"sites_csv": SITES}, headers=admin.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"files": {"sites_csv": ["Not a file."]}}
        assert await listed(client, admin, "site") == []

    async def test_an_unknown_field_is_named_with_the_expected_ones(self, client, admin):
        """A misspelled field (site_csv) would otherwise import nothing and answer 201."""
        campaign_id = await new_campaign(client, admin)
        response = await upload(client, admin, campaign_id, site_csv=SITES)
        assert response.status_code == 422
        expected = "sites_csv, buildings_csv, storeys_csv, spaces_csv, zones_csv"
        assert response.json()["errors"] == {"files": {"site_csv": [f"Unknown field. Expected: {expected}."]}}
        assert await listed(client, admin, "site") == []

    async def test_a_malformed_multipart_body_is_400(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await client.post(
            "/io/sites",
            params={"campaign_id": campaign_id},
            content=b"garbage",
            headers={**admin.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        )
        assert response.status_code == 400
        assert response.json()["code"] == 400

    async def test_an_empty_file_input_counts_as_no_file(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        files = {"sites_csv": ("", b"", "application/octet-stream")}
        response = await client.post(
            "/io/sites", params={"campaign_id": campaign_id}, files=files, headers=admin.headers
        )
        assert response.status_code == 201


class TestPermissions:
    async def test_anonymous_is_401(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        response = await client.post(
            "/io/sites", params={"campaign_id": campaign_id}, files={"sites_csv": SITES}
        )
        assert response.status_code == 401

    async def test_a_campaign_member_who_is_no_admin_is_403(self, client, admin, user):
        campaign_id = await new_campaign(client, admin)
        await link_user_to_campaign(client, admin.headers, user.id, campaign_id)
        response = await upload(client, user, campaign_id, sites_csv=SITES)
        assert response.status_code == 403
        assert response.json() == {"code": 403, "status": "Forbidden", "message": "Authorization error"}
        assert await listed(client, admin, "site") == []

    async def test_a_member_is_403_even_without_files(self, client, admin, user):
        campaign_id = await new_campaign(client, admin)
        await link_user_to_campaign(client, admin.headers, user.id, campaign_id)
        assert (await upload(client, user, campaign_id)).status_code == 403

    async def test_a_non_member_is_403(self, client, admin, user):
        campaign_id = await new_campaign(client, admin)
        assert (await upload(client, user, campaign_id, sites_csv=SITES)).status_code == 403

    async def test_an_unknown_campaign_is_422_before_permissions(self, client, admin, user):
        response = await upload(client, user, 42, sites_csv=SITES)
        assert response.json()["errors"] == {"query": {"campaign_id": ["Unknown campaign ID."]}}

    async def test_an_inactive_user_is_403(self, client, admin, inactive):
        campaign_id = await new_campaign(client, admin)
        assert (await upload(client, inactive, campaign_id, sites_csv=SITES)).status_code == 403

    async def test_permissions_are_checked_before_the_content(self, client, admin, user):
        campaign_id = await new_campaign(client, admin)
        assert (await upload(client, user, campaign_id, sites_csv="")).status_code == 403
