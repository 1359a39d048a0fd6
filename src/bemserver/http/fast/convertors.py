"""`{name:int}` in paths: parse_integer, so a huge number is an unknown item, not a 500."""

from starlette.convertors import IntegerConvertor, register_url_convertor

from bemserver.http.fields import parse_integer


class IdConvertor(IntegerConvertor):
    def convert(self, value: str) -> int:
        return parse_integer(value)


def register() -> None:
    """Called when bemserver.http is first imported, before any route compiles its path."""
    register_url_convertor("int", IdConvertor())
