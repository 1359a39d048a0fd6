"""Schemathesis fuzz of the served OpenAPI: whatever the request, the answer is never a 5xx.

Each selected operation gets a few dozen generated requests (valid and invalid ones), sent as an
admin through the ASGI app to the test database. Domains add their paths to FUZZ_PATHS.
Set BEMSERVER_FUZZ_EXAMPLES to explore more, and BEMSERVER_FUZZ_RANDOM=1 for new random inputs
(by default the inputs are derandomized, so a run is repeatable).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bemserver.app import create_app
from bemserver.db.database import make_sessionmaker, normalize_url
from tests.conftest import Users, make_settings
from tests.helpers import create

# Path regular expressions of the operations to fuzz, by owner.
FUZZ_PATHS = {
    "foundation": r"^/(auth/|about/|users/|users/\{|user_groups/|users_by_user_groups/)",
    "io-sites": r"^/io/sites$",
    "timeseries": r"^/(timeseries/|io/timeseries)$",
    "aggregates": r"^/timeseries_data/(campaign/\{campaign_id\}/)?(aggregate|stats)$",
    "energy": r"^/energ(ies|y_)",
    "weather": r"^/(weather_timeseries_by_sites/|sites/\{item_id\}/download_weather_data$)",
    "tasks": r"^/(tasks/|tasks/run|tasks_by_campaigns/|task_runs/)",
}

MAX_EXAMPLES = int(os.environ.get("BEMSERVER_FUZZ_EXAMPLES", "25"))


def _spec() -> dict[str, Any]:
    # Building the app does not connect to any database: the spec is known at collection time.
    return create_app(make_settings(), "postgresql://unused@127.0.0.1:1/unused").openapi()


# The live streams (/notifications/stream, /events/stream) never end: a fuzzed call would wait
# forever for the whole answer. tests/events/test_streams.py covers their parameters instead.
ENDLESS = r"/stream$"

schema = (
    schemathesis.openapi.from_dict(_spec())
    .include(path_regex="|".join(f"(?:{pattern})" for pattern in FUZZ_PATHS.values()))
    .exclude(path_regex=ENDLESS)
)


@pytest.fixture(scope="module")
def fuzz_app(database_url: str) -> Iterator[Any]:
    """The app on the test database, without a connection pool: schemathesis calls it from its own
    event loop (one per request), and pooled asyncio connections cannot move between loops."""
    app = create_app(make_settings(), database_url)
    database = app.state.database
    database.engine = create_async_engine(normalize_url(database_url), poolclass=NullPool)
    database.sessionmaker = make_sessionmaker(database.engine)
    yield app


@pytest.fixture
async def rows(client, users: Users) -> None:
    """A few groups and memberships for item operations to find (ids 1 to 5)."""
    for n in range(5):
        group = await create(client, "/user_groups/", users.admin.headers, name=f"Fuzz group {n}")
        member = users.active if n % 2 else users.inactive
        await create(
            client,
            "/users_by_user_groups/",
            users.admin.headers,
            user_id=member.id,
            user_group_id=group["id"],
        )


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("BEMSERVER_FUZZ_RANDOM") is None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error(case, fuzz_app, users: Users, rows: None):
    item_id = (case.path_parameters or {}).get("item_id")
    if isinstance(item_id, int) and not isinstance(item_id, bool):
        # Aim at rows that exist (the active and inactive users, groups made by earlier examples)
        # rather than at random ids that are all 404; id 1, the admin making the calls, is spared.
        case.path_parameters["item_id"] = 2 + abs(item_id) % 4
    # If-Match: * gets PUT and DELETE past the precondition to the code behind it.
    response = case.call(app=fuzz_app, headers=users.admin.headers | {"If-Match": "*"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    )
