"""The shell examples of the documentation run against the app (see tests/docs_examples.py)."""

from __future__ import annotations

import pytest

from tests.docs_examples import Session, blocks, page, run_page

ADMIN_PASSWORD = "the printed password"


@pytest.fixture
async def session(client, admin) -> Session:
    """A session as the README's: admin@localhost, the first admin, with its printed password."""
    made = await client.post(
        "/users/",
        json={"name": "Admin", "email": "admin@localhost", "password": ADMIN_PASSWORD},
        headers=admin.headers,
    )
    if made.status_code == 201:
        set_admin = await client.put(
            f"/users/{made.json()['id']}/set_admin",
            json={"value": True},
            headers={**admin.headers, "If-Match": "*"},
        )
        assert set_admin.status_code == 204, set_admin.text
    return Session(client, ADMIN_PASSWORD)


@pytest.mark.parametrize("name", ["docs/data-formats.md", "docs/io.md", "README.md"])
async def test_every_example_runs(session, name):
    text = page(name)
    assert blocks(text), f"{name} has no ```sh example"
    await run_page(session, text)
    assert session.ran > 0
