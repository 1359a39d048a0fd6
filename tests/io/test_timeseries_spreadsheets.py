"""/io/timeseries with the files European spreadsheets write: BOM, `;`, decimal comma, CRLF, Windows-1252."""

import codecs

from tests.io.timeseries_support import (
    content_error,
    imported,
    listed,
    locations,
    new_campaign,
    upload,
    values_of,
)

HEADER = "Name;Description;Unit;Campaign scope;Site;Building;Storey;Space;Zone;Min;Max;Interval"
ROWS = (
    "Température bureau;Sonde « nord »;°C;Campaign 1 - Scope 1;Site 1;Building 1;;;Zone 1;-10,5;60;600\r\n"
    "Énergie;;kWh;Campaign 1 - Scope 2;;;;;;;;\r\n"
    ";;;;;;;;;;;\r\n"
)


class TestEuropeanFiles:
    async def test_bom_semicolons_decimal_commas_and_crlf_are_read(self, client, admin):
        await imported(client, admin, codecs.BOM_UTF8 + (HEADER + "\r\n" + ROWS).encode())
        assert [
            (ts["name"], ts.get("description"), ts["unit_symbol"]) for ts in await listed(client, admin)
        ] == [
            ("Température bureau", "Sonde « nord »", "°C"),
            ("Énergie", None, "kWh"),
        ]
        assert await locations(client, admin) == {
            "Température bureau": [("building", "Building 1"), ("zone", "Zone 1")]
        }
        assert await values_of(client, admin) == {
            ("Température bureau", "Min"): "-10.5",
            ("Température bureau", "Max"): "60",
            ("Température bureau", "Interval"): "600",
        }

    async def test_windows_1252_files_are_read(self, client, admin):
        await imported(client, admin, (HEADER + "\r\n" + ROWS).encode("cp1252"))
        assert [ts["unit_symbol"] for ts in await listed(client, admin)] == ["°C", "kWh"]

    async def test_tab_separated_utf16_is_read(self, client, admin):
        text = (HEADER + "\r\n" + ROWS).replace(";", "\t")
        await imported(client, admin, text.encode("utf-16"))
        assert len(await listed(client, admin)) == 2

    async def test_errors_name_the_line_of_the_spreadsheet(self, client, admin):
        campaign_id = await new_campaign(client, admin)
        rows = ROWS.replace("-10,5", "-10,5,1")
        response = await upload(
            client, admin, campaign_id, codecs.BOM_UTF8 + (HEADER + "\r\n" + rows).encode()
        )
        assert content_error(response) == (
            'line 2, column Min: Timeseries "Température bureau" property "Min" can\'t be created: '
            '"-10,5,1" is not a number.'
        )
