"""Column types shared by several domains."""

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

PROPERTY_VALUE_TYPES = ("integer", "float", "boolean", "string")


def value_type_column() -> Mapped[str]:
    return mapped_column(String(8), server_default="string")


def value_type_check() -> CheckConstraint:
    allowed = ", ".join(f"'{name}'" for name in PROPERTY_VALUE_TYPES)
    return CheckConstraint(f"value_type IN ({allowed})", name="value_type")
