"""Base classes for request bodies, responses and list filters."""

from pydantic import BaseModel, ConfigDict


class InputSchema(BaseModel):
    """Request bodies: unknown fields (including id and read-only ones) are rejected."""

    model_config = ConfigDict(extra="forbid")


class OutputSchema(BaseModel):
    """Response documents; the field order is the JSON key order."""


class FilterSchema(BaseModel):
    """List query arguments: unknown arguments are ignored, as clients expect."""

    model_config = ConfigDict(extra="ignore")
