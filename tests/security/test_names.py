"""Names and e-mails: surrounding spaces dropped, Unicode NFC; e-mails unique regardless of case,
and names of one kind within one parent too. Migration 0015 does the same to existing rows."""

from __future__ import annotations

import unicodedata

import psycopg
import pytest

from bemserver.db.migrate import upgrade
from tests.conftest import PASSWORD, Users
from tests.helpers import scratch_database

DECOMPOSED = "Cafe\u0301"  # "Café" written with a combining accent
COMPOSED = unicodedata.normalize("NFC", DECOMPOSED)


async def create(client, path: str, body: dict, users: Users):
    return await client.post(path, json=body, headers=users.admin.headers)


class TestUsers:
    async def test_name_and_email_are_trimmed_and_normalised(self, client, users: Users):
        body = {"name": f"  {DECOMPOSED} ", "email": f" {DECOMPOSED}@Test.com  ", "password": "x"}
        response = await create(client, "/users/", body, users)
        assert response.status_code == 201, response.text
        assert response.json()["name"] == COMPOSED
        assert response.json()["email"] == f"{COMPOSED}@Test.com"

    @pytest.mark.parametrize("email", ["ACTIVE@test.com", "Active@Test.Com", " active@test.com"])
    async def test_emails_are_unique_regardless_of_case(self, client, users: Users, email: str):
        response = await create(client, "/users/", {"name": "Twin", "email": email, "password": "x"}, users)
        assert response.status_code == 409
        assert response.json()["message"] == "Unique constraint violation"

    async def test_login_ignores_the_case_of_the_email(self, client, users: Users):
        response = await client.post("/auth/token", json={"email": "ACTIVE@Test.com ", "password": PASSWORD})
        assert response.json()["status"] == "success"

    async def test_basic_ignores_the_case_of_the_email(self, client, users: Users):
        import base64

        raw = base64.b64encode(f"Chuck@TEST.com:{PASSWORD}".encode()).decode()
        assert (await client.get("/users/", headers={"Authorization": f"Basic {raw}"})).status_code == 200

    async def test_a_blank_name_is_refused(self, client, users: Users):
        response = await create(client, "/user_groups/", {"name": "   "}, users)
        assert response.status_code == 422


class TestNamesWithinAParent:
    async def test_group_names(self, client, users: Users):
        assert (await create(client, "/user_groups/", {"name": COMPOSED}, users)).status_code == 201
        for twin in (DECOMPOSED, COMPOSED.upper(), f" {COMPOSED.lower()} "):
            assert (await create(client, "/user_groups/", {"name": twin}, users)).status_code == 409

    async def test_site_names_per_campaign(self, client, users: Users):
        first = (await create(client, "/campaigns/", {"name": "One", "timezone": "UTC"}, users)).json()
        second = (await create(client, "/campaigns/", {"name": "Two", "timezone": "UTC"}, users)).json()
        assert (
            await create(client, "/campaigns/", {"name": " ONE", "timezone": "UTC"}, users)
        ).status_code == 409
        site = {"name": "Main site", "campaign_id": first["id"]}
        assert (await create(client, "/sites/", site, users)).status_code == 201
        twin = {"name": "MAIN SITE ", "campaign_id": first["id"]}
        assert (await create(client, "/sites/", twin, users)).status_code == 409
        elsewhere = {"name": "MAIN SITE", "campaign_id": second["id"]}
        assert (await create(client, "/sites/", elsewhere, users)).status_code == 201

    async def test_renaming_into_a_twin_is_409(self, client, users: Users):
        await create(client, "/user_groups/", {"name": "Alpha"}, users)
        beta = (await create(client, "/user_groups/", {"name": "Beta"}, users)).json()
        response = await client.put(
            f"/user_groups/{beta['id']}",
            json={"name": "alpha"},
            headers=users.admin.headers | {"If-Match": "*"},
        )
        assert response.status_code == 409


@pytest.fixture
def fresh_database(database_url: str):
    """An empty database of its own, for migration tests."""
    with scratch_database(database_url, "m15") as url:
        yield url


class TestMigration:
    def test_existing_rows_are_normalised_and_indexed_without_case(self, fresh_database: str):
        upgrade(fresh_database, "0010")
        with psycopg.connect(fresh_database, autocommit=True) as connection:
            connection.execute(
                "INSERT INTO users (name, email, password) VALUES (%s, %s, 'x'), ('B', 'b@test.com', 'x')",
                (f" {DECOMPOSED} ", f" {DECOMPOSED}@Test.com "),
            )
            connection.execute("INSERT INTO campaigns (name) VALUES (%s)", (f"{DECOMPOSED}  ",))
        upgrade(fresh_database)
        with psycopg.connect(fresh_database, autocommit=True) as connection:
            assert connection.execute("SELECT name, email FROM users ORDER BY id").fetchall() == [
                (COMPOSED, f"{COMPOSED}@Test.com"),
                ("B", "b@test.com"),
            ]
            assert connection.execute("SELECT name FROM campaigns").fetchone() == (COMPOSED,)
            with pytest.raises(psycopg.errors.UniqueViolation):
                connection.execute(
                    "INSERT INTO users (name, email, password) VALUES ('C', 'B@TEST.COM', 'x')"
                )

    def test_rows_that_would_clash_stop_it_with_their_names(self, fresh_database: str):
        upgrade(fresh_database, "0010")
        with psycopg.connect(fresh_database, autocommit=True) as connection:
            connection.execute(
                "INSERT INTO users (name, email, password) VALUES ('A', 'twin@test.com', 'x'), ('B', 'Twin@test.com ', 'x')"
            )
        with pytest.raises(Exception, match=r"twin@test\.com.*rename them"):
            upgrade(fresh_database)

    def test_downgrade_and_upgrade_again(self, fresh_database: str):
        from alembic import command

        from bemserver.db.migrate import alembic_config

        upgrade(fresh_database)
        command.downgrade(alembic_config(fresh_database), "0010")
        upgrade(fresh_database)
