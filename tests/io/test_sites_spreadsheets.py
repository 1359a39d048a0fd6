"""/io/sites with the files European spreadsheets write: BOM, `;`, decimal comma, CRLF, Windows-1252."""

import codecs

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
