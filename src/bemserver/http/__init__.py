"""HTTP conventions shared by every endpoint: errors, ETags, pagination, query parsing, JSON and CSV."""

from starlette.convertors import IntegerConvertor, register_url_convertor

from bemserver.http.fields import parse_integer


class _IdConvertor(IntegerConvertor):
    """`{name:int}` in paths: parse_integer, so a huge number is an unknown item, not a 500."""

    def convert(self, value: str) -> int:
        return parse_integer(value)


# Registered when the package is first imported, before any route compiles its path.
register_url_convertor("int", _IdConvertor())
