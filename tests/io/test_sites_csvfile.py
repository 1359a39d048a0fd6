"""bemserver.io.csvfile: decoding, separators, rows and line numbers, errors, numbers."""

import codecs

import pytest

from bemserver.io.csvfile import CsvError, decode, detect_separator, number_text, parse_csv


def error_of(data: bytes) -> CsvError:
    with pytest.raises(CsvError) as caught:
        parse_csv("f_csv", data)
    return caught.value


class TestDecode:
    def test_utf8_is_read_with_or_without_bom(self):
        assert decode("f", "é".encode()) == ("é", "UTF-8")
        assert decode("f", codecs.BOM_UTF8 + "é".encode()) == ("é", "UTF-8")

    def test_utf16_with_bom_is_read(self):
        assert decode("f", "a\tb\né".encode("utf-16")) == ("a\tb\né", "UTF-16")

    def test_other_bytes_are_read_as_windows_1252(self):
        assert decode("f", "Bâtiment €".encode("cp1252")) == ("Bâtiment €", "Windows-1252")

    def test_bytes_mixing_utf8_and_another_encoding_are_refused_naming_the_line(self):
        error = error_of("Name\né\n".encode() + "è\n".encode("cp1252"))
        assert error.line == 3
        assert error.detail.startswith("Invalid UTF-8 in a file that has valid UTF-8 elsewhere")

    def test_bytes_undefined_in_windows_1252_are_refused(self):
        assert "Neither UTF-8 nor Windows-1252" in error_of(b"a\n\x81").detail

    def test_a_bad_byte_after_a_utf8_bom_is_refused(self):
        assert error_of(codecs.BOM_UTF8 + b"a\n\xff").detail.startswith("Invalid UTF-8")

    def test_truncated_utf16_is_refused(self):
        assert error_of(codecs.BOM_UTF16_LE + b"a").detail.startswith("Invalid UTF-16")

    def test_binary_files_are_refused(self):
        assert "NUL" in error_of(b"PK\x03\x04\x00\x00 workbook").detail


class TestDetectSeparator:
    @pytest.mark.parametrize(
        ("header", "separator"),
        [
            ("Name,Description,IFC_ID\n", ","),
            ("Name;Description;IFC_ID\r\n", ";"),
            ("Name\tDescription\tIFC_ID", "\t"),
            ('"a;b",c,d\n1;2;3;4;5', ","),  # separators inside quotes and below the header do not count
            ("Name\n", ","),
            ("a,b;c\n", ","),  # a tie goes to the comma
        ],
    )
    def test_the_separator_is_the_most_used_in_the_header(self, header, separator):
        assert detect_separator(header) == separator


class TestParse:
    def test_rows_know_their_first_line(self):
        table = parse_csv("f_csv", b'\n\nA,B\n1,"x\ny"\n\n2,z\n')
        assert table.header_line == 3
        assert [(row.line, row.cells) for row in table.rows] == [
            (4, {"A": "1", "B": "x\ny"}),
            (7, {"A": "2", "B": "z"}),
        ]

    def test_cr_crlf_and_lf_line_endings_are_read(self):
        table = parse_csv("f_csv", b"A,B\r1,2\r\n3,4\n")
        assert [(row.line, row["A"]) for row in table.rows] == [(2, "1"), (3, "3")]

    def test_header_names_are_stripped_and_short_rows_padded(self):
        table = parse_csv("f_csv", b" A ; B \n1\n")
        assert table.columns == ["A", "B"]
        assert table.rows[0].cells == {"A": "1", "B": ""}

    def test_empty_trailing_columns_and_rows_are_spreadsheet_leftovers(self):
        table = parse_csv("f_csv", b"A;B;;\r\n1;2;;\r\n;;;\r\n")
        assert table.columns == ["A", "B"]
        assert [row.cells for row in table.rows] == [{"A": "1", "B": "2"}]

    def test_require_returns_the_other_columns_in_header_order(self):
        table = parse_csv("f_csv", b"Z,Name,A\n")
        assert table.require(["Name"]) == ["Z", "A"]

    def test_an_oversized_cell_is_an_error_not_a_crash(self):
        error = error_of(b"A\n" + b"x" * 200_000 + b"\n")
        assert error.line == 2
        assert error.detail.startswith("Unreadable CSV")


class TestCsvError:
    def test_message_and_errors_name_file_line_and_column(self):
        error = CsvError("sites_csv", "Bad.", 3, "Name")
        assert error.status_code == 422
        assert error.message == "Invalid CSV file content: sites_csv line 3, column Name: Bad."
        assert error.errors == {"files": {"sites_csv": ["line 3, column Name: Bad."]}}

    def test_a_file_level_error_names_the_file(self):
        assert (
            CsvError("sites_csv", "Empty CSV file").message
            == "Invalid CSV file content: sites_csv: Empty CSV file"
        )


class TestNumberText:
    @pytest.mark.parametrize(
        ("cell", "text"),
        [
            ("1234,5", "1234.5"),
            (" -0,25 ", "-0.25"),
            (",5", ".5"),
            ("1,5e3", "1.5e3"),
            ("12", "12"),
            ("1.5", "1.5"),
            ("1,234,5", "1,234,5"),  # not a number: left for the type check to refuse
            ("1.234,5", "1.234,5"),
        ],
    )
    def test_a_decimal_comma_becomes_a_point(self, cell, text):
        assert number_text(cell) == text
