"""/io/sites with the files European spreadsheets write: BOM, `;`, decimal comma, CRLF, Windows-1252."""

import codecs
import re
from pathlib import Path

from tests.helpers import create
from tests.io.sites_support import (
    content_error,
    enable_properties,
    imported,
    listed,
    new_campaign,
    upload,
    values_of,
)

# What LibreOffice or Excel in French write for "CSV UTF-8 (;)"
SITES = (
    codecs.BOM_UTF8
    + (
        "Name;Description;IFC_ID;Area;Floors;Heated\r\n"
        "Siège;Bâtiment « principal »;;1234,5;3;TRUE\r\n"
        "Entrepôt;;;;;FALSE\r\n"
        ";;;;;\r\n"
    ).encode()
)
BUILDINGS = codecs.BOM_UTF8 + 'Site;Name;Description;IFC_ID;Area\r\nSiège;Aile A;;;"0,5"\r\n'.encode()


class TestEuropeanFiles:
    async def test_bom_semicolons_decimal_commas_and_crlf_are_read(self, client, admin):
        await enable_properties(client, admin)
        await imported(client, admin, sites_csv=SITES, buildings_csv=BUILDINGS)
        sites = await listed(client, admin, "site")
        assert [(s["name"], s.get("description")) for s in sites] == [
            ("Siège", "Bâtiment « principal »"),
            ("Entrepôt", None),
        ]
        assert await values_of(client, admin, "site") == {
            ("Siège", "Area"): "1234.5",
            ("Siège", "Floors"): "3",
            ("Siège", "Heated"): "true",
            ("Entrepôt", "Heated"): "false",
        }
        assert await values_of(client, admin, "building") == {("Aile A", "Area"): "0.5"}

    async def test_windows_1252_files_are_read(self, client, admin):
        sites = "Name;Description;IFC_ID\r\nSiège;Coût 10 €;\r\n".encode("cp1252")
        await imported(client, admin, sites_csv=sites)
        (site,) = await listed(client, admin, "site")
        assert (site["name"], site["description"]) == ("Siège", "Coût 10 €")

    async def test_blanks_around_quoted_cells_are_dropped_and_the_quotes_too(self, client, admin):
        """`;  "x"`: the csv module alone keeps the quotes and splits at a `;` inside them."""
        sites = 'Name;Description;IFC_ID\r\n  "Siège; nord"  ;   "Aile; 2" ;\r\nSud;  libre;\r\n'.encode()
        await imported(client, admin, sites_csv=sites)
        sites_found = await listed(client, admin, "site")
        # An unquoted cell keeps its blanks, as before.
        assert sorted((s["name"], s.get("description")) for s in sites_found) == [
            ("Siège; nord", "Aile; 2"),
            ("Sud", "  libre"),
        ]

    async def test_utf16_tab_separated_files_are_read(self, client, admin):
        zones = "Name\tDescription\tIFC_ID\r\nZone été\t\t\r\n".encode("utf-16")
        await imported(client, admin, zones_csv=zones)
        assert [z["name"] for z in await listed(client, admin, "zone")] == ["Zone été"]

    async def test_errors_count_lines_the_same_way(self, client, admin):
        buildings = (
            codecs.BOM_UTF8 + "Site;Name;Description;IFC_ID\r\nSiège;A;;\r\nNulle part;B;;\r\n".encode()
        )
        await enable_properties(client, admin)
        campaign_id = await imported(client, admin, sites_csv=SITES)
        response = await upload(client, admin, campaign_id, buildings_csv=buildings)
        assert content_error(response) == 'buildings_csv line 3, column Site: Unknown site: "Nulle part"'

    async def test_a_file_mixing_encodings_is_refused_naming_the_file_and_line(self, client, admin):
        sites = "Name;Description;IFC_ID\r\nSiège;;\r\n".encode() + "Entrepôt;;\r\n".encode("cp1252")
        response = await upload(client, admin, await new_campaign(client, admin), sites_csv=sites)
        assert content_error(response).startswith(
            "sites_csv line 3: Invalid UTF-8 in a file that has valid UTF-8 elsewhere"
        )
        assert await listed(client, admin, "site") == []

    async def test_a_workbook_instead_of_a_csv_file_is_refused(self, client, admin):
        response = await upload(
            client, admin, await new_campaign(client, admin), sites_csv=b"PK\x03\x04\x14\x00\x00"
        )
        assert content_error(response) == (
            "sites_csv: Not a CSV text file (it contains NUL characters). Save the sheet as CSV."
        )


class TestDocumentedExamples:
    """The examples of docs/io.md import as the page says."""

    @staticmethod
    def examples() -> list[str]:
        page = (Path(__file__).parents[2] / "docs" / "io.md").read_text()
        blocks = re.findall(r"^```(\w*)\n(.*?)^```$", page, re.S | re.M)
        return [block for language, block in blocks if not language and not block.startswith("curl")]

    async def test_the_examples_import(self, client, admin):
        sites, buildings, storeys, spaces, zones, french_sites = self.examples()
        area = await create(
            client, "/structural_element_properties/", admin.headers, name="Area", value_type="float"
        )
        heated = await create(
            client, "/structural_element_properties/", admin.headers, name="Heated", value_type="boolean"
        )
        floor = await create(
            client, "/structural_element_properties/", admin.headers, name="Floor area", value_type="float"
        )
        for prop in (area, heated):
            await create(
                client, "/site_properties/", admin.headers, structural_element_property_id=prop["id"]
            )
        await create(client, "/storey_properties/", admin.headers, structural_element_property_id=floor["id"])
        await imported(
            client,
            admin,
            sites_csv=sites,
            buildings_csv=buildings,
            storeys_csv=storeys,
            spaces_csv=spaces,
            zones_csv=zones,
        )
        counts = [
            len(await listed(client, admin, e)) for e in ("site", "building", "storey", "space", "zone")
        ]
        assert counts == [2, 3, 2, 2, 2]
        assert await values_of(client, admin, "storey") == {
            ("Ground floor", "Floor area"): "400",
            ("First floor", "Floor area"): "380",
        }
        english = await values_of(client, admin, "site")
        await imported(client, admin, "French", sites_csv=french_sites.encode("utf-8-sig"))
        assert await values_of(client, admin, "site") == english  # same names, same values
        assert english == {
            ("Site 1", "Area"): "1200.5",
            ("Site 1", "Heated"): "true",
            ("Site 2", "Area"): "3400",
        }
