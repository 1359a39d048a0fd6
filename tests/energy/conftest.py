"""A campaign with two scopes and a building tree (the timeseries tests' fixtures), another campaign."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import create

# A campaign, its scope, a second scope and a building tree: the same fixtures as the timeseries tests'.
from tests.timeseries.conftest import campaign, other_scope, scope, tree  # noqa: F401


@pytest.fixture
async def other_campaign(client, admin) -> dict[str, Any]:
    return await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
