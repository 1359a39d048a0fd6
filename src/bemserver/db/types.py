"""Column types shared by several domains."""

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

PROPERTY_VALUE_TYPES = ("integer", "float", "boolean", "string")


def value_type_column() -> Mapped[str]:
    return mapped_column(String(8), server_default="string")


def value_type_check() -> CheckConstraint:
    allowed = ", ".join(f"'{name}'" for name in PROPERTY_VALUE_TYPES)
    return CheckConstraint(f"value_type IN ({allowed})", name="value_type")


def valid_property_value(value_type: str, value: str) -> bool:
    """Property values are stored as text; they must parse as their property's type.

    Booleans are exactly "true" or "false"; integers reject "4.2"; floats must be finite.
    """
    if value_type == "boolean":
        return value in ("true", "false")
    if value_type == "integer":
        try:
            int(value)
        except ValueError:
            return False
        return True
    if value_type == "float":
        try:
            number = float(value)
        except ValueError:
            return False
        return number == number and number not in (float("inf"), float("-inf"))
    return True
